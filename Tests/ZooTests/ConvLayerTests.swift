import Foundation
import Layers
import Tensors
import TensorTesting
import XCTest
import Zoo

/// The convolutional layer plugins and the two containers, built from JSON: finite-difference gradients
/// of the input and of every parameter, state-dict keys, and the spec errors (each with its JSON path).
final class ConvLayerTests: XCTestCase {
    /// d(output)/d(input) and d(output)/d(every trainable parameter) of a one-input layer.
    func checkLayer(_ json: String, input: Tensor, training: Bool = false, file: StaticString = #filePath, line: UInt = #line) throws {
        let layer = try buildLayer(json)
        guard let unary = layer as? (Module & UnaryLayer) else { return XCTFail("\(json) is not a unary layer", file: file, line: line) }
        randomizeParameters(layer, seed: 11, std: 0.3)
        layer.train(training)
        GradientCheck.check([input] + layer.parameters().filter(\.requiresGrad), maxElements: 32, file: file, line: line) { unary($0[0]) }
    }

    /// Distinct values 0.1 apart (no finite-difference step can reorder a pooling window), none at 0.
    func spread(_ shape: [Int]) -> Tensor {
        let n = shape.reduce(1, *)
        return Tensor((0..<n).map { Float(($0 * 53) % n) * 0.1 - Float(n) * 0.05 + 0.025 }, shape: shape)
    }

    func testEveryLayerGradient() throws {
        let x = randomTensor([2, 4, 6, 5], seed: 1)
        try checkLayer(#"{"type": "conv2d", "in_channels": 4, "out_channels": 3, "kernel_size": [3, 2], "stride": 2, "padding": "same"}"#, input: x)
        try checkLayer(#"{"type": "conv2d", "in_channels": 4, "out_channels": 4, "kernel_size": 3, "groups": 4, "padding": [0, 1, 1, 0], "bias": false}"#, input: x)
        try checkLayer(#"{"type": "separable_conv2d", "in_channels": 4, "out_channels": 3, "kernel_size": 3, "depth_multiplier": 2, "padding": "same"}"#, input: x)
        try checkLayer(#"{"type": "batch_norm", "num_features": 4}"#, input: x)
        try checkLayer(#"{"type": "batch_norm", "num_features": 4, "eps": 1e-3}"#, input: x, training: true)
        try checkLayer(#"{"type": "prelu", "num_parameters": 4}"#, input: spread([2, 4, 3, 3]))
        try checkLayer(#"{"type": "relu"}"#, input: spread([2, 4, 3, 3]))
        try checkLayer(#"{"type": "max_pool2d", "kernel_size": 3, "stride": 2, "ceil_mode": true}"#, input: spread([2, 2, 7, 8]))
        try checkLayer(#"{"type": "max_pool2d", "kernel_size": 3, "stride": 2, "padding": "same"}"#, input: spread([2, 2, 7, 8]))
        try checkLayer(#"{"type": "global_avg_pool"}"#, input: x)
        try checkLayer(#"{"type": "softmax", "dim": 1}"#, input: x)
        try checkLayer(#"{"type": "flatten"}"#, input: x)
        try checkLayer(#"{"type": "permute", "dims": [0, 3, 2, 1]}"#, input: x)
    }

    /// MTCNN's P-Net as a graph: a trunk and two heads (face probability over channels, box offsets).
    static let pnet = #"""
        {"type": "graph", "nodes": [
          {"name": "conv1", "layer": {"type": "conv2d", "in_channels": 3, "out_channels": 10, "kernel_size": 3}},
          {"name": "prelu1", "layer": {"type": "prelu", "num_parameters": 10}},
          {"name": "pool1", "layer": {"type": "max_pool2d", "kernel_size": 2, "stride": 2, "ceil_mode": true}},
          {"name": "conv2", "layer": {"type": "conv2d", "in_channels": 10, "out_channels": 16, "kernel_size": 3}},
          {"name": "prelu2", "layer": {"type": "prelu", "num_parameters": 16}},
          {"name": "conv3", "layer": {"type": "conv2d", "in_channels": 16, "out_channels": 32, "kernel_size": 3}},
          {"name": "prelu3", "layer": {"type": "prelu", "num_parameters": 32}},
          {"name": "conv4_1", "layer": {"type": "conv2d", "in_channels": 32, "out_channels": 2, "kernel_size": 1}},
          {"name": "softmax4_1", "layer": {"type": "softmax", "dim": 1}},
          {"name": "conv4_2", "inputs": ["prelu3"], "layer": {"type": "conv2d", "in_channels": 32, "out_channels": 4, "kernel_size": 1}}
        ], "outputs": ["conv4_2", "softmax4_1"]}
        """#

    func testGraphKeysOutputsAndGradient() throws {
        let graph = try buildLayer(Self.pnet) as! Graph
        // facenet-pytorch's PNet state dict, in its order, 6,632 values.
        XCTAssertEqual(graph.namedParameters().map(\.key), [
            "conv1.weight", "conv1.bias", "prelu1.weight", "conv2.weight", "conv2.bias", "prelu2.weight",
            "conv3.weight", "conv3.bias", "prelu3.weight", "conv4_1.weight", "conv4_1.bias", "conv4_2.weight", "conv4_2.bias"])
        XCTAssertEqual(graph.parameterCount, 6632)
        let outputs = graph.outputs(randomTensor([1, 3, 13, 15], seed: 2))
        XCTAssertEqual(outputs.map(\.name), ["conv4_2", "softmax4_1"])
        XCTAssertEqual(outputs.map(\.tensor.shape), [[1, 4, 2, 3], [1, 2, 2, 3]])
        let probabilities = outputs[1].tensor.scalars
        for i in 0..<6 { XCTAssertEqual(probabilities[i] + probabilities[6 + i], 1, accuracy: 1e-6) }
        randomizeParameters(graph, seed: 3, std: 0.3)
        let x = randomTensor([1, 3, 12, 12], seed: 4)
        // Finite differences for the parameters after the last kink (a convolution bias before PReLU or
        // pooling moves a whole channel, and a step would carry some values across the kink); every op is
        // checked on its own in ConvolutionOpTests and against PyTorch in ConvLayerParityTests.
        let parameters = Dictionary(uniqueKeysWithValues: graph.namedParameters().map { ($0.key, $0.tensor) })
        let smooth = ["prelu3.weight", "conv4_1.weight", "conv4_1.bias", "conv4_2.weight", "conv4_2.bias"].map { parameters[$0]! }
        GradientCheck.check(smooth, maxElements: 16) { _ in
            let o = graph.outputs(x)
            return Tensor.concat([o[0].tensor, o[1].tensor], dim: 1)
        }
        // Every gradient, the input's too, equals that of the same ops composed by hand.
        let upstream = (randomTensor([1, 4, 1, 1], seed: 5), randomTensor([1, 2, 1, 1], seed: 6))
        func byHand(_ p: [String: Tensor], _ x: Tensor) -> (Tensor, Tensor) {
            var h = Tensor.prelu(Tensor.conv2d(x, weight: p["conv1.weight"]!, bias: p["conv1.bias"]!), weight: p["prelu1.weight"]!)
            h = Tensor.maxPool2d(h, kernel: (2, 2), ceilMode: true)
            h = Tensor.prelu(Tensor.conv2d(h, weight: p["conv2.weight"]!, bias: p["conv2.bias"]!), weight: p["prelu2.weight"]!)
            h = Tensor.prelu(Tensor.conv2d(h, weight: p["conv3.weight"]!, bias: p["conv3.bias"]!), weight: p["prelu3.weight"]!)
            return (Tensor.conv2d(h, weight: p["conv4_2.weight"]!, bias: p["conv4_2.bias"]!),
                    Tensor.conv2d(h, weight: p["conv4_1.weight"]!, bias: p["conv4_1.bias"]!).softmax(dim: 1))
        }
        func gradients(_ run: (Tensor) -> (Tensor, Tensor), _ p: [Tensor]) -> [[Float]] {
            let input = x.copy()
            input.requiresGrad = true
            for t in p { t.grad = nil }
            let (boxes, probabilities) = run(input)
            ((boxes * upstream.0).sum() + (probabilities * upstream.1).sum()).backward()
            return [input.grad!.scalars] + p.map { $0.grad!.scalars }
        }
        let viaGraph = gradients({ let o = graph.outputs($0); return (o[0].tensor, o[1].tensor) }, graph.parameters())
        let viaOps = gradients({ byHand(parameters, $0) }, graph.parameters())
        XCTAssertEqual(viaGraph, viaOps)
    }

    func testResidualGraphGradientAndSharedInput() throws {
        // The input feeds two branches and is added back: its gradient is the sum of three paths.
        let graph = try buildLayer(#"""
            {"type": "graph", "inputs": ["x"], "nodes": [
              {"name": "a", "layer": {"type": "conv2d", "in_channels": 2, "out_channels": 2, "kernel_size": 3, "padding": 1}},
              {"name": "b", "inputs": ["x"], "layer": {"type": "batch_norm", "num_features": 2}},
              {"name": "sum", "inputs": ["a", "b", "x"], "layer": {"type": "add"}}
            ]}
            """#) as! Graph
        randomizeParameters(graph, seed: 5, std: 0.3)
        graph.eval()
        GradientCheck.check([randomTensor([2, 2, 4, 3], seed: 6)] + graph.parameters().filter(\.requiresGrad)) { graph($0[0]) }
        XCTAssertEqual(graph.namedParameters().map(\.key), ["a.weight", "a.bias", "b.weight", "b.bias", "b.running_mean", "b.running_var"])
    }

    func testSequentialKeysDefaultNamesAndTrainingMode() throws {
        let seq = try buildLayer(#"""
            {"type": "sequential", "layers": [
              {"type": "conv2d", "in_channels": 1, "out_channels": 2, "kernel_size": 1},
              {"name": "bn", "type": "batch_norm", "num_features": 2},
              {"type": "flatten"}]}
            """#) as! Sequential
        XCTAssertEqual(seq.namedParameters().map(\.key), ["0.weight", "0.bias", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"])
        XCTAssertEqual(seq.trainableParameters().count, 4, "running statistics are not trained")
        seq.train()
        let before = (seq.steps[1].layer as! BatchNorm).runningMean.scalars
        _ = seq(randomTensor([3, 1, 2, 2], seed: 7, std: 3))
        XCTAssertNotEqual((seq.steps[1].layer as! BatchNorm).runningMean.scalars, before, "training mode moves the running mean")
        seq.eval()
        let frozen = (seq.steps[1].layer as! BatchNorm).runningMean.scalars
        XCTAssertEqual(seq(randomTensor([3, 1, 2, 2], seed: 8)).shape, [3, 8])
        XCTAssertEqual((seq.steps[1].layer as! BatchNorm).runningMean.scalars, frozen, "evaluation leaves it")
    }

    func testSpecErrorsNameTheirPath() {
        func error(_ json: String) -> String {
            do { _ = try buildLayer(json); return "built" } catch { return "\(error)" }
        }
        let cases: [(String, String)] = [
            (#"{"type": "conv2d", "in_channels": 4, "out_channels": 6, "kernel_size": 3, "groups": 4}"#, "layer.groups: 4 groups must divide"),
            (#"{"type": "conv2d", "in_channels": 4, "out_channels": 6, "kernel_size": 0}"#, "layer.kernel_size: expected an integer in 1…1024, got 0"),
            (#"{"type": "conv2d", "in_channels": 4, "out_channels": 6, "kernel_size": [3, 3, 3]}"#, "layer.kernel_size: expected an integer or [height, width]"),
            (#"{"type": "conv2d", "in_channels": 4, "out_channels": 6, "kernel_size": [3, -1]}"#, "layer.kernel_size[1]: expected an integer in 1…1024, got -1"),
            (#"{"type": "conv2d", "in_channels": 4, "out_channels": 6, "kernel_size": 3, "padding": "full"}"#, "layer.padding: expected \"same\", \"valid\""),
            (#"{"type": "conv2d", "in_channels": 4, "out_channels": 6, "kernel_size": 3, "padding": [1, 2, 3]}"#, "layer.padding: expected"),
            (#"{"type": "conv2d", "in_channels": 4, "out_channels": 6, "kernel_size": 3, "stride": 9999}"#, "layer.stride: expected an integer in 1…1024"),
            (#"{"type": "conv2d", "in_channels": 4, "out_channels": 6, "kernel_size": 3, "strides": 2}"#, "layer.strides: unknown field (did you mean \"stride\"?)"),
            (#"{"type": "conv2d", "in_channels": 1048576, "out_channels": 1048576, "kernel_size": 1024}"#, "layer: a tensor of shape"),
            (#"{"type": "batch_norm", "num_features": 4, "momentum": 2}"#, "layer.momentum: expected a number in 0.0…1.0, got 2.0"),
            (#"{"type": "max_pool2d", "kernel_size": 3, "padding": 2}"#, "layer.padding: padding [2, 2, 2, 2] exceeds half the 3×3 window"),
            (#"{"type": "softmax", "dim": 99}"#, "layer.dim: expected a dimension in -16…15, got 99"),
            (#"{"type": "separable_conv2d", "in_channels": 4, "out_channels": 6, "kernel_size": 3, "depth_multiplier": 0}"#, "layer.depth_multiplier"),
            (#"{"type": "permute", "dims": [0, 2, 2]}"#, "layer.dims: expected a permutation of 0…rank−1 (rank 1 to 16), got 0, 2, 2"),
            (#"{"type": "sequential", "layers": []}"#, "layer.layers: expected 1 to 65536 layers, got 0"),
            (#"{"type": "sequential", "layers": [{"type": "relu", "name": "a"}, {"type": "relu", "name": "a"}]}"#, "layer.layers[1].name: name \"a\" is used twice"),
            (#"{"type": "sequential", "layers": [{"type": "relu", "name": "a.b"}]}"#, "layer.layers[0].name: expected a name without dots"),
            (#"{"type": "sequential", "layers": [{"type": "relu"}, {"type": "conv2d", "in_channels": 1, "out_channels": 1}]}"#, "layer.layers[1].kernel_size: missing"),
            (#"{"type": "sequential", "layers": [{"type": "relu"}, {"type": "add"}]}"#, "layer.layers[1].type: layer type \"add\" does not map one tensor to one"),
            (#"{"type": "graph", "nodes": [{"name": "a", "inputs": ["b"], "layer": {"type": "relu"}}]}"#, "layer.nodes[0].inputs[0]: \"b\" is neither a graph input nor an earlier node"),
            (#"{"type": "graph", "nodes": [{"name": "a", "layer": {"type": "relu"}}, {"name": "b", "inputs": ["b"], "layer": {"type": "relu"}}]}"#, "layer.nodes[1].inputs[0]: \"b\" is neither"),
            (#"{"type": "graph", "nodes": [{"name": "input", "layer": {"type": "relu"}}]}"#, "layer.nodes[0].name: name \"input\" is already a graph input or node"),
            (#"{"type": "graph", "nodes": [{"name": "a", "layer": {"type": "add"}}]}"#, "layer.nodes[0].inputs: layer type \"add\" takes 2…1024 inputs, got 1"),
            (#"{"type": "graph", "nodes": [{"name": "a", "inputs": ["input", "input"], "layer": {"type": "relu"}}]}"#, "layer.nodes[0].inputs: layer type \"relu\" takes one input, got 2"),
            (#"{"type": "graph", "nodes": [{"name": "a", "layer": {"type": "relu"}, "input": ["x"]}]}"#, "layer.nodes[0].input: unknown field (did you mean \"inputs\"?)"),
            (#"{"type": "graph", "nodes": [{"name": "a", "layer": {"type": "relu", "dim": 1}}]}"#, "layer.nodes[0].layer.dim: unknown field"),
            (#"{"type": "graph", "nodes": [{"name": "a", "layer": {"type": "relu"}}], "outputs": ["z"]}"#, "layer.outputs[0]: \"z\" names no node or input"),
            (#"{"type": "graph", "nodes": [{"name": "a", "layer": {"type": "vit", "img_size": 8, "patch_size": 4, "embed_dim": 8, "depth": 1, "num_heads": 2}}]}"#,
             "layer.nodes[0].layer.type: layer type \"vit\" is neither a one-input nor a multi-input layer"),
        ]
        for (json, expected) in cases {
            let message = error(json)
            XCTAssertTrue(message.hasPrefix(expected), "\(json)\n  gave: \(message)\n  expected: \(expected)…")
        }
    }
}

/// Shape checking: what a container returns for an input shape, or which node cannot take it.
final class ConvShapeCheckingTests: XCTestCase {
    func testGraphOutputShapesMatchARunAndMismatchesNameTheNode() throws {
        let graph = try buildLayer(ConvLayerTests.pnet) as! Graph
        let x = randomTensor([2, 3, 17, 14], seed: 1)
        XCTAssertEqual(try graph.outputShapes(for: [x.shape]), withNoGrad { graph.run([x]).map(\.shape) })
        func message(_ shape: [Int]) -> String {
            do { _ = try graph.outputShapes(for: [shape]); return "fits" } catch { return "\(error)" }
        }
        XCTAssertEqual(message([1, 4, 12, 12]), "conv1: conv2d expects 3 input channels, got [1, 4, 12, 12]")
        XCTAssertEqual(message([1, 3, 12]), "conv1: conv2d expects a rank-4 input [N, C, H, W], got [1, 3, 12]")
        XCTAssertEqual(message([1, 3, 9, 9]), "conv3: conv2d: a 3×3 window (dilation 1×1) with padding valid does not fit input [1, 16, 2, 2]")
        // A spec whose layers do not fit each other: found before anything runs.
        let seq = try buildLayer(#"""
            {"type": "sequential", "layers": [{"name": "features", "type": "sequential", "layers": [
                {"name": "conv", "type": "conv2d", "in_channels": 1, "out_channels": 8, "kernel_size": 3},
                {"name": "bn", "type": "batch_norm", "num_features": 4}]}]}
            """#) as! Sequential
        XCTAssertThrowsError(try seq.outputShape(for: [[1, 1, 5, 5]])) { error in
            XCTAssertEqual("\(error)", "features.bn: batch_norm expects [N, 4, …], got [1, 8, 3, 3]")
        }
        let mini = try buildLayer(#"""
            {"type": "graph", "nodes": [
              {"name": "sep", "layer": {"type": "separable_conv2d", "in_channels": 2, "out_channels": 4, "kernel_size": 3, "stride": 2, "padding": "same"}},
              {"name": "short", "inputs": ["input"], "layer": {"type": "conv2d", "in_channels": 2, "out_channels": 4, "kernel_size": 1}},
              {"name": "add", "inputs": ["sep", "short"], "layer": {"type": "add"}},
              {"name": "flat", "layer": {"type": "flatten"}}]}
            """#) as! Graph
        XCTAssertThrowsError(try mini.outputShapes(for: [[1, 2, 6, 6]])) { error in
            XCTAssertEqual("\(error)", "add: add expects two or more inputs of one shape, got [1, 4, 3, 3], [1, 4, 6, 6]")
        }
    }
}
