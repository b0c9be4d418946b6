import Foundation
import Layers
import Tensors
import TensorTesting
import XCTest
import Zoo

/// Every layer plugin, built from its JSON, against float64 central differences: the gradient of the
/// input and of every parameter (LayerNorm weights and biases randomised so that none is trivial).
final class LayerGradientTests: XCTestCase {
    /// Checks d(output)/d(input) and d(output)/d(every parameter) of a one-input layer.
    func checkLayer(_ json: String, inputShape: [Int], inputDim: Int? = nil, file: StaticString = #filePath, line: UInt = #line) throws {
        let layer = try buildLayer(json, inputDim: inputDim)
        guard let unary = layer as? (Module & UnaryLayer) else { return XCTFail("\(json) is not a unary layer", file: file, line: line) }
        randomizeParameters(layer, seed: 11, std: 0.3)
        layer.eval()
        let x = randomTensor(inputShape, seed: 12)
        GradientCheck.check([x] + layer.parameters().filter(\.requiresGrad), file: file, line: line) { inputs in unary(inputs[0]) }
    }

    func testLinear() throws {
        try checkLayer(#"{"type": "linear", "in_features": 4, "out_features": 3}"#, inputShape: [2, 3, 4])
        try checkLayer(#"{"type": "linear", "out_features": 3, "bias": false}"#, inputShape: [5, 4], inputDim: 4)
    }

    func testLayerNorm() throws {
        try checkLayer(#"{"type": "layer_norm", "dim": 6}"#, inputShape: [2, 3, 6])
    }

    func testMLP() throws {
        try checkLayer(#"{"type": "mlp", "in_features": 4, "hidden": [5, 3], "out_features": 2}"#, inputShape: [3, 4])
        try checkLayer(#"{"type": "mlp", "hidden_features": 8}"#, inputShape: [2, 2, 4], inputDim: 4)
    }

    func testAttention() throws {
        try checkLayer(#"{"type": "attention", "dim": 8, "num_heads": 2}"#, inputShape: [2, 5, 8])
    }

    func testBlock() throws {
        try checkLayer(#"{"type": "block", "dim": 8, "num_heads": 2, "mlp_ratio": 2.0}"#, inputShape: [2, 4, 8])
    }

    func testPatchEmbed() throws {
        try checkLayer(#"{"type": "patch_embed", "patch_size": 2, "in_chans": 3, "embed_dim": 5}"#, inputShape: [2, 3, 4, 4])
    }

    func testGradientReversalLayer() throws {
        let layer = try buildLayer(#"{"type": "grad_reverse", "lambda": 1.5}"#) as! GradientReversal
        let x = randomTensor([3, 4], seed: 13)
        GradientCheck.check([x], gradientScale: -1.5) { layer($0[0].squared()) }
    }

    func testVisionTransformerEveryPooling() throws {
        for pool in ["avg", "token", "none"] {
            let model = try buildModel(#"""
                {"encoder": {"type": "vit", "img_size": 8, "patch_size": 4, "embed_dim": 8, "depth": 2, "num_heads": 2,
                             "global_pool": "\#(pool)"},
                 "heads": [{"name": "head", "type": "linear", "out_features": 3, "init_std": 0.5},
                           {"name": "ID_head", "type": "mlp", "hidden": [4], "out_features": 2, "grad_reverse": 0.0}]}
                """#)
            guard let m = model.classifier else { return XCTFail("expected a classifier") }
            randomizeParameters(m, seed: 14, std: 0.3)
            m.eval()
            let images = randomTensor([2, 3, 8, 8], seed: 15)
            // λ = 0 makes the identity branch's contribution to the encoder vanish; the head path is exact.
            GradientCheck.check([images] + m.encoder.parameters().filter(\.requiresGrad), maxElements: 24) { inputs in
                m(inputs[0]).logits[0].tensor
            }
        }
    }

    func testClassifierGradientReversalFlipsOnlyTheEncoderSide() throws {
        let spec = #"""
            {"encoder": {"type": "vit", "img_size": 8, "patch_size": 4, "embed_dim": 8, "depth": 1, "num_heads": 2, "global_pool": "avg"},
             "heads": [{"name": "ID_head", "type": "linear", "out_features": 3, "init_std": 0.5, "grad_reverse": LAMBDA}]}
            """#
        var grads: [Float: [String: [Float]]] = [:]
        for lambda in [Float(0), 1, 2.5] {
            guard let m = (try buildModel(spec.replacingOccurrences(of: "LAMBDA", with: "\(lambda)"))).classifier else { return XCTFail() }
            randomizeParameters(m, seed: 16, std: 0.3)
            m.eval()
            m(randomTensor([2, 3, 8, 8], seed: 17))["ID_head"]!.squared().sum().backward()
            grads[lambda] = Dictionary(uniqueKeysWithValues: m.namedParameters().map { ($0.key, $0.tensor.grad!.scalars) })
        }
        // The head learns normally whatever λ is; the encoder receives −λ times the plain gradient.
        XCTAssertEqual(grads[1]!["ID_head.weight"], grads[2.5]!["ID_head.weight"])
        XCTAssertTrue(grads[0]!["blocks.0.attn.qkv.weight"]!.allSatisfy { $0 == 0 })
        assertClose(grads[2.5]!["blocks.0.attn.qkv.weight"]!, grads[1]!["blocks.0.attn.qkv.weight"]!.map { $0 * 2.5 }, tol: 1e-5)
        XCTAssertTrue(grads[1]!["blocks.0.attn.qkv.weight"]!.contains { $0 != 0 })
    }

    func testMaskedAutoencoderLoss() throws {
        let model = try buildModel(#"""
            {"encoder": {"type": "vit", "img_size": 8, "patch_size": 2, "embed_dim": 8, "depth": 1, "num_heads": 2, "global_pool": "none"},
             "decoder": {"type": "mae_decoder", "embed_dim": 8, "depth": 1, "num_heads": 2}, "mask_ratio": 0.5}
            """#)
        guard let m = model.maskedAutoencoder else { return XCTFail("expected an MAE") }
        randomizeParameters(m, seed: 18, std: 0.3)
        let noise = Tensor.rand([2, 16], generator: Generator(seed: 19))
        let images = randomTensor([2, 3, 8, 8], seed: 20)
        let trainable = m.parameters().filter(\.requiresGrad)
        XCTAssertEqual(m.parameters().count - trainable.count, 2, "the two sin-cos tables are fixed")
        // Parameters only: the images are also the (gradient-free) target, so a finite difference in
        // them measures something else; the parity test checks their gradient against PyTorch.
        GradientCheck.check(trainable, maxElements: 16) { _ in m(images, noise: noise).loss }
        let out = m(images, noise: noise)
        XCTAssertEqual(out.mask.scalars.reduce(0, +), 16, "half of 2×16 patches removed")
    }

    func testNormPixelTargetUsesUnbiasedVariance() {
        // One patch [1, 2, 3, 4]: mean 2.5, unbiased var 5/3 → (x − 2.5) / sqrt(5/3 + 1e-6).
        let out = MaskedAutoencoderModel.normalizePatches(Tensor([1, 2, 3, 4], shape: [1, 1, 4]))
        let s = Float((5.0 / 3.0 + 1e-6).squareRoot())
        assertClose(out.scalars, [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s], tol: 1e-6)
        // Reconstructions undo it with the original patch's statistics.
        let patches = Tensor([1, 2, 3, 4, -5, 0, 7, 2], shape: [1, 2, 4])
        let back = MaskedAutoencoderModel.denormalizePatches(MaskedAutoencoderModel.normalizePatches(patches), like: patches)
        assertClose(back.scalars, patches.scalars, tol: 1e-5)
    }

    func testPatchifyOrderAndInverse() {
        // 1 image, 2 channels, 4×4, patch 2: patch 0 holds pixels (0,0),(0,1),(1,0),(1,1), channel last.
        let images = Tensor((0..<32).map(Float.init), shape: [1, 2, 4, 4])
        let patches = MaskedAutoencoderModel.patchify(images, patchSize: 2)
        XCTAssertEqual(patches.shape, [1, 4, 8])
        XCTAssertEqual(Array(patches.scalars.prefix(8)), [0, 16, 1, 17, 4, 20, 5, 21])
        XCTAssertEqual(MaskedAutoencoderModel.unpatchify(patches, patchSize: 2, channels: 2).scalars, images.scalars)
    }

    func testSinCosTableHandValues() {
        // D = 8, grid 2: ω = [1, 1/100]; patch (h=1, w=0) is row 1 + 2 = 3.
        let t = sinCosPositionTable(dim: 8, gridSize: 2)
        XCTAssertEqual(Array(t.scalars.prefix(8)), [Float](repeating: 0, count: 8), "cls row is zero")
        let row = Array(t.scalars[(3 * 8)..<(4 * 8)])
        assertClose(row, [0, 0, 1, 1, sinf(1), sinf(0.01), cosf(1), cosf(0.01)], tol: 1e-7)
    }
}
