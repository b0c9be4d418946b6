import Foundation
import Layers
import Tensors
import XCTest
import Zoo

/// Random initialisation follows the code each model comes from: timm's VisionTransformer for classifiers
/// (FMAE's models_vit), MAE's `initialize_weights` for masked autoencoders (models_mae).
final class WeightInitializationTests: XCTestCase {
    override class func setUp() {
        super.setUp()
        if LayerRegistry.shared.all.isEmpty { LayerRegistry.shared.register(builtinLayerPlugins) }
    }

    private func build(_ json: String) throws -> ZooModel {
        try ModelBuilder(seed: 3).build(try JSONParser.parse(Data(json.utf8)))
    }

    private func tensor(_ model: ZooModel, _ key: String) -> [Float] {
        model.module.namedParameters().first { $0.key == key }!.tensor.scalars
    }

    private func std(_ values: [Float]) -> Double {
        let mean = values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
        return (values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(values.count)).squareRoot()
    }

    private static let encoder = #""type": "vit", "img_size": 32, "patch_size": 8, "embed_dim": 96, "depth": 2, "num_heads": 2"#

    func testClassifiersUseTimmsInitialisation() throws {
        let model = try build(#"{"encoder": {\#(Self.encoder), "global_pool": "avg"}, "heads": [{"name": "head", "type": "linear", "out_features": 4}]}"#)
        // trunc_normal(0.02) truncated at ±2 (i.e. ±100 std): the std stays 0.02.
        XCTAssertEqual(std(tensor(model, "blocks.0.attn.qkv.weight")), 0.02, accuracy: 0.001)
        XCTAssertEqual(std(tensor(model, "blocks.1.mlp.fc2.weight")), 0.02, accuracy: 0.001)
        XCTAssertEqual(tensor(model, "blocks.0.attn.qkv.bias").map(abs).max(), 0)
        // The patch convolution keeps PyTorch's Conv2d default: U(±1/√(3·8·8)).
        let patch = tensor(model, "patch_embed.proj.weight"), bound = Float(1 / (192.0).squareRoot())
        XCTAssertLessThanOrEqual(patch.map(abs).max()!, bound)
        XCTAssertGreaterThan(patch.map(abs).max()!, 0.95 * bound)
        XCTAssertLessThan(tensor(model, "cls_token").map(abs).max()!, 1e-5)  // N(0, 1e-6)
    }

    func testMaskedAutoencodersUseMAEsInitialisation() throws {
        let model = try build(#"{"encoder": {\#(Self.encoder), "global_pool": "none"}, "decoder": {"type": "mae_decoder", "embed_dim": 32, "depth": 1, "num_heads": 2}}"#)
        // xavier_uniform on [288, 96]: U(±√(6/384)), std = bound/√3.
        let bound = (6.0 / (288 + 96)).squareRoot()
        XCTAssertEqual(std(tensor(model, "blocks.0.attn.qkv.weight")), bound / 3.0.squareRoot(), accuracy: 0.003)
        XCTAssertEqual(std(tensor(model, "cls_token")), 0.02, accuracy: 0.008)
    }

    func testSpecChoosesAndRejectsUnknownSchemes() throws {
        let mae = try build(#"{"encoder": {\#(Self.encoder), "weight_init": "mae"}, "heads": []}"#)
        XCTAssertGreaterThan(std(tensor(mae, "blocks.0.attn.qkv.weight")), 0.05)
        XCTAssertThrowsError(try build(#"{"encoder": {\#(Self.encoder), "weight_init": "jax"}, "heads": []}"#)) { error in
            XCTAssertTrue("\(error)".contains("encoder.weight_init"), "\(error)")
        }
    }
}
