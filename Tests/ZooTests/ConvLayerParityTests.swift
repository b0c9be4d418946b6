import Foundation
import Layers
import Tensors
import TensorTesting
import XCTest
import Zoo

/// The convolutional layer plugins against PyTorch (float64 references from
/// Tests/ZooTests/Fixtures/make_conv_fixtures.py): each case's layer is built from the JSON spec written
/// beside its torch module, the torch state dict is loaded strictly, and the output, the input gradient
/// and every parameter gradient for a fixed upstream gradient are compared. Forward within 1e-5, gradients
/// within 1e-4, both as max|Δ| / max(1, max|ref|): absolute for values up to 1, relative above.
final class ConvLayerParityTests: XCTestCase {
    static let fixtures = repositoryRoot.appendingPathComponent("Tests/ZooTests/Fixtures")
    static let file = Result { try FixtureFile(path: fixtures.appendingPathComponent("conv_layers.safetensors").path) }
    static let specs = Result { try JSONParser.parse(Data(contentsOf: fixtures.appendingPathComponent("conv_layers.json"))) }

    func assertClose(_ actual: Tensor?, _ expected: Tensor?, _ name: String, tolerance: Float,
                     file: StaticString = #filePath, line: UInt = #line) {
        guard let actual, let expected else { return XCTFail("\(name): missing", file: file, line: line) }
        guard actual.shape == expected.shape else {
            return XCTFail("\(name): shape \(actual.shape) vs PyTorch \(expected.shape)", file: file, line: line)
        }
        var diff: Float = 0, scale: Float = 1
        for i in 0..<actual.count {
            diff = max(diff, abs(actual.data[i] - expected.data[i]))
            scale = max(scale, abs(expected.data[i]))
        }
        XCTAssertLessThanOrEqual(diff / scale, tolerance, "\(name): max|Δ| = \(diff), max(1, max|ref|) = \(scale)", file: file, line: line)
    }

    /// Runs one fixture case and returns how many tensors were compared.
    @discardableResult
    func check(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> Int {
        let f = try Self.file.get()
        guard let entry = try Self.specs.get()[name], let layerSpec = entry["layer"] else { throw FixtureError("no case \(name)") }
        let layer = try testRegistry.build(layerSpec, path: name, context: BuildContext(registry: testRegistry, generator: Generator(seed: 1)))
        try layer.load(f.group(name + ".weights."))
        layer.train(entry["training"] == .bool(true))
        let x = f[name + ".input"]!.copy()
        x.requiresGrad = true
        var compared = 0
        // One output, or several (a graph's), each with its own upstream gradient.
        let outputs: [(suffix: String, tensor: Tensor)]
        if let graph = layer as? Graph, graph.outputNames.count > 1 {
            outputs = graph.outputs(x).map { (".\($0.name)", $0.tensor) }
        } else {
            outputs = [("", (layer as! UnaryLayer)(x))]
        }
        var loss: Tensor?
        for (suffix, y) in outputs {
            assertClose(y, f[name + ".output" + suffix], "\(name) output\(suffix)", tolerance: 1e-5, file: file, line: line)
            let term = (y * f[name + ".upstream" + suffix]!).sum()
            loss = loss.map { $0 + term } ?? term
            compared += 1
        }
        loss!.backward()
        assertClose(x.grad, f[name + ".grads.input"], "\(name) grad input", tolerance: 1e-4, file: file, line: line)
        compared += 1
        let expectedGrads = f.group(name + ".grads.").filter { $0.key != "input" }
        for (key, p) in layer.namedParameters() where p.requiresGrad {
            assertClose(p.grad, expectedGrads[key], "\(name) grad \(key)", tolerance: 1e-4, file: file, line: line)
            compared += 1
        }
        XCTAssertEqual(layer.trainableParameters().count, expectedGrads.count, "\(name): every PyTorch gradient compared", file: file, line: line)
        let running = f.group(name + ".running.")
        let parameters = Dictionary(uniqueKeysWithValues: layer.namedParameters().map { ($0.key, $0.tensor) })
        for (key, expected) in running {
            assertClose(parameters[key], expected, "\(name) \(key) after the update", tolerance: 1e-5, file: file, line: line)
            compared += 1
        }
        return compared
    }

    func testConvolutions() throws {
        for name in ["conv_stride2_pad1", "conv_same_even_kernel", "conv_valid_strided", "conv_groups2", "conv_depthwise",
                     "conv_dilation", "conv_pointwise_no_bias", "conv_no_bias"] {
            try check(name)
        }
    }

    func testBatchNormEvaluationAndTraining() throws {
        try check("bn_eval")
        XCTAssertEqual(try check("bn_train"), 2 + 2 + 2, "output, input and 2 parameter gradients, 2 running statistics")
    }

    func testPReLUMaxPoolAndSoftmax() throws {
        for name in ["prelu", "maxpool_ceil", "maxpool_ceil_2x2", "maxpool_floor_padded", "softmax_channels", "softmax_last"] {
            try check(name)
        }
    }

    func testSeparableConvolution() throws {
        try check("separable")
    }

    func testSequentialWithPyTorchKeys() throws {
        try check("sequential_pnet")
    }

    func testGraphWithResidualAddAndTwoOutputs() throws {
        // 2 outputs, the input, and conv1, bn1 (2), depthwise, pointwise, bn2 (2), shortcut, bn_s (2).
        XCTAssertEqual(try check("graph_mini_xception"), 2 + 1 + 10)
    }

    func testEveryFixtureCaseIsChecked() throws {
        guard case let .object(pairs) = try Self.specs.get() else { return XCTFail("conv_layers.json is not an object") }
        XCTAssertEqual(pairs.count, 19, "a case added to make_conv_fixtures.py needs a test here")
    }
}
