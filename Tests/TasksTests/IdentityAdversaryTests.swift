import Foundation
import Layers
import Tasks
import Tensors
import TensorTesting
import XCTest
import Zoo

/// Where each identity objective of `iat` sends its gradients, checked against the same losses taken
/// apart by hand on a small classifier.
final class IdentityAdversaryTests: XCTestCase {
    private let encoder = #"{"type": "vit", "img_size": 8, "patch_size": 4, "embed_dim": 8, "depth": 1, "num_heads": 2, "global_pool": "avg"}"#
    private let subjects = 3
    private let onehot = Tensor([1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1], shape: [4, 3])
    private let images = randomTensor([4, 3, 8, 8], seed: 41)

    /// A classifier with the adversary's identity head, every parameter random and the same for each call.
    private func classifier(_ adversary: IdentityAdversary) throws -> ClassifierModel {
        let registry = LayerRegistry()
        registry.register(builtinLayerPlugins)
        let spec = try JSONParser.parse(#"{"encoder": \#(encoder), "heads": [\#(adversary.headSpec.serialized())]}"#)
        let model = try ModelBuilder(registry: registry, seed: 0).build(spec).classifier!
        let g = Generator(seed: 42)
        for p in model.parameters() { p.assign(Tensor.randn(p.shape, generator: g, std: 0.3)) }
        model.eval()
        return model
    }

    private func gradients(_ model: ClassifierModel, _ loss: (ClassifierModel) -> Tensor) -> [String: [Float]] {
        for p in model.parameters() { p.grad = nil }
        loss(model).backward()
        return Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.key, $0.tensor.grad?.scalars ?? []) })
    }

    func testConfusionTeachesTheHeadIdentityAndTheEncoderUniformity() throws {
        for loss in ["bce", "ce"] {
            let adversary = IdentityAdversary(settings: .init(lambda: 0.7, head: "linear", loss: loss, objective: .confuse), subjects: subjects)
            XCTAssertFalse(adversary.headSpec.serialized().contains("grad_reverse"), "confusion needs no reversal in the model")
            let model = try classifier(adversary)
            let head = model.head(named: "ID_head")!.layer
            func identityLoss(_ logits: Tensor, uniform: Bool) -> Tensor {
                if loss == "ce" { return Tensor.crossEntropy(logits: logits, targets: [0, 2, 1, 2], labelSmoothing: uniform ? 1 : 0) }
                return Tensor.binaryCrossEntropyWithLogits(logits: logits, targets: uniform ? Tensor(repeating: 1 / 3, shape: [4, 3]) : onehot)
            }
            let both = gradients(model) { adversary.loss($0(images), classifier: $0, onehot: onehot).0 }
            // The head: only its identity loss, on features it cannot move.
            let learning = gradients(model) { identityLoss(head($0(images).features.detached()), uniform: false) }
            // The encoder: λ times the loss against the uninformative target.
            let confusion = gradients(model) { identityLoss(head($0(images).features), uniform: true) }
            for (key, value) in both {
                if key.hasPrefix("ID_head.") {
                    assertClose(value, learning[key]!, tol: 1e-6, "\(loss) \(key)")
                } else if key.hasPrefix("head.") {
                    XCTAssertTrue(value.isEmpty, "\(loss) \(key): the AU head is not in this loss")
                } else {
                    XCTAssertTrue(learning[key]!.isEmpty, "\(key): the head's own loss reaches the encoder")
                    assertClose(value, confusion[key]!.map { $0 * 0.7 }, tol: 1e-5, "\(loss) \(key)")
                    XCTAssertTrue(value.contains { $0 != 0 }, "\(loss) \(key) receives the confusion gradient")
                }
            }
        }
    }

    func testReversalIsFMAEsHeadBehindGradientReversal() throws {
        let adversary = IdentityAdversary(settings: .init(lambda: 0.7, head: "linear", loss: "bce"), subjects: subjects)
        XCTAssertTrue(adversary.headSpec.serialized().contains("\"grad_reverse\""))
        let model = try classifier(adversary)
        let both = gradients(model) { adversary.loss($0(images), classifier: $0, onehot: onehot).0 }
        let plain = gradients(model) { Tensor.binaryCrossEntropyWithLogits(logits: $0(images)["ID_head"]!, targets: onehot) }
        // `plain` went through the model's reversal too: the same loss, the same gradients everywhere.
        for (key, value) in both where !key.hasPrefix("head.") { assertClose(value, plain[key]!, tol: 1e-6, key) }
        XCTAssertTrue(both["blocks.0.attn.qkv.weight"]!.contains { $0 != 0 })
    }
}
