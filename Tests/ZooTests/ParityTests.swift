import Foundation
import Layers
import Tensors
import TensorTesting
import XCTest
import Zoo

/// Model paths against PyTorch: fixtures made by Tests/ZooTests/Fixtures/make_parity_fixtures.py
/// (timm and torch, run by hand). Forward outputs, the loss, and the gradient of every parameter and of
/// the input images must match within max|Δ| ≤ 1e-4 · max|ref| (gradients 1e-3: longer float32 chains).
final class ParityTests: XCTestCase {
    static let fixtures = repositoryRoot.appendingPathComponent("Tests/ZooTests/Fixtures")

    func load(_ name: String) throws -> (model: ZooModel, file: FixtureFile) {
        let file = try FixtureFile(path: Self.fixtures.appendingPathComponent(name + ".safetensors").path)
        let spec = try ModelBuilder.loadSpec(file: Self.fixtures.appendingPathComponent(name + ".json").path)
        let model = try ModelBuilder(registry: testRegistry).build(spec)
        try model.module.load(file.group("weights."))  // strict: every key, every shape
        model.module.eval()
        return (model, file)
    }

    func assertMatches(_ actual: Tensor?, _ expected: Tensor?, _ name: String, tolerance: Double = 1e-4,
                       file: StaticString = #filePath, line: UInt = #line) {
        guard let actual, let expected else { return XCTFail("\(name): missing", file: file, line: line) }
        guard actual.shape == expected.shape else {
            return XCTFail("\(name): shape \(actual.shape) vs PyTorch \(expected.shape)", file: file, line: line)
        }
        let error = maxRelativeError(actual, expected)
        XCTAssertLessThanOrEqual(error, tolerance, "\(name): max|Δ|/max|ref| = \(error)", file: file, line: line)
    }

    func assertGradients(_ module: Module, images: Tensor, _ fixture: FixtureFile, imageGradient: String = "grads.images",
                         file: StaticString = #filePath, line: UInt = #line) {
        let expected = fixture.group("grads.")
        var checked = 0
        for (key, p) in module.namedParameters() where p.requiresGrad {
            assertMatches(p.grad, expected[key], "grad \(key)", tolerance: 1e-3, file: file, line: line)
            checked += 1
        }
        XCTAssertEqual(checked, expected.keys.filter { $0 != "images" }.count, "every PyTorch gradient compared", file: file, line: line)
        assertMatches(images.grad, fixture[imageGradient], "grad images", tolerance: 1e-3, file: file, line: line)
    }

    func testAveragePooledEncoderWithIdentityHeadBehindGradientReversal() throws {
        let (model, f) = try load("vit_avg_iat")
        guard let m = model.classifier else { return XCTFail("expected a classifier") }
        let images = f["inputs.images"]!.copy()
        images.requiresGrad = true
        let out = m(images)
        assertMatches(out.features, f["outputs.features"], "features")
        assertMatches(out["head"], f["outputs.head"], "head")
        assertMatches(out["ID_head"], f["outputs.ID_head"], "ID_head")
        let loss = Tensor.binaryCrossEntropyWithLogits(logits: out["head"]!, targets: f["inputs.targets_head"]!)
            + Tensor.binaryCrossEntropyWithLogits(logits: out["ID_head"]!, targets: f["inputs.targets_id"]!)
        assertMatches(loss, f["outputs.loss"]!.reshaped([]), "loss")
        loss.backward()
        assertGradients(m, images: images, f)
    }

    func testTokenPooledEncoderWithMLPHead() throws {
        let (model, f) = try load("vit_token_mlp")
        guard let m = model.classifier else { return XCTFail("expected a classifier") }
        let images = f["inputs.images"]!.copy()
        images.requiresGrad = true
        let out = m(images)
        assertMatches(out.features, f["outputs.features"], "features")
        assertMatches(out["head"], f["outputs.head"], "head")
        let classes = f["inputs.targets_class"]!.scalars.map { Int($0) }
        let loss = Tensor.crossEntropy(logits: out["head"]!, targets: classes)
        assertMatches(loss, f["outputs.loss"], "loss")
        loss.backward()
        assertGradients(m, images: images, f)
    }

    func testMaskedAutoencoderWithGivenNoise() throws {
        let (model, f) = try load("mae")
        guard let m = model.maskedAutoencoder else { return XCTFail("expected an MAE") }
        let images = f["inputs.images"]!.copy()
        images.requiresGrad = true
        let out = m(images, noise: f["inputs.noise"]!)
        XCTAssertEqual(out.mask.scalars, f["outputs.mask"]!.scalars, "mask")
        assertMatches(out.prediction, f["outputs.pred"], "pred")
        assertMatches(out.loss, f["outputs.loss"], "loss")
        out.loss.backward()
        // zoo treats the reconstruction target as data (no gradient through it), as the fixture's aux entry.
        assertGradients(m, images: images, f, imageGradient: "aux.images_grad_target_const")
    }

    func testSinCosTablesMatchMAE() throws {
        let f = try FixtureFile(path: Self.fixtures.appendingPathComponent("sincos.safetensors").path)
        assertMatches(sinCosPositionTable(dim: 32, gridSize: 4), f["outputs.table_32"], "table 32", tolerance: 1e-7)
        assertMatches(sinCosPositionTable(dim: 16, gridSize: 4), f["outputs.table_16"], "table 16", tolerance: 1e-7)
    }
}
