import Layers
import XCTest
import Zoo

/// The `network` family's spec errors name the JSON path and what was expected.
final class NetworkFamilyTests: XCTestCase {
    private let graph = #"{"type": "graph", "nodes": [{"name": "conv", "layer": {"type": "conv2d", "in_channels": 1, "out_channels": 2, "kernel_size": 3}}, {"name": "pool", "layer": {"type": "global_avg_pool"}}, {"name": "probs", "layer": {"type": "softmax", "dim": 1}}]}"#

    private func spec(input: String = "[1, 8, 8]", graph: String? = nil, extra: String = "") -> String {
        #"{"type": "network", "input": \#(input), "graph": \#(graph ?? self.graph)\#(extra)}"#
    }

    func testAValidNetworkBuildsAndFindsItsLogits() throws {
        _ = testRegistry
        let model = try buildModel(spec(extra: #", "classes": ["a", "b"], "preprocessing": {"channels": "grayscale", "size": 8, "scale": 0.5}"#))
        let network = try XCTUnwrap(model.network as? NetworkModel)
        XCTAssertEqual(network.classes, ["a", "b"])
        XCTAssertEqual(network.logitsGraph?.outputNames, ["pool"], "the softmax's input")
        XCTAssertEqual(Set(network.namedParameters().map(\.key)), ["conv.weight", "conv.bias"], "node names without a prefix")
    }

    func testSpecMistakesNameTheirPath() {
        _ = testRegistry
        XCTAssertEqual(specError(spec(input: "[1, 8]")), "input: expected the image shape [channels, height, width], got [1, 8]")
        XCTAssertEqual(specError(spec(graph: #"{"type": "relu"}"#)), "graph.type: a network's graph must have type \"graph\"")
        XCTAssertTrue(specError(spec(input: "[3, 8, 8]"))?.hasPrefix("graph: does not take a [3, 8, 8] image") ?? false, specError(spec(input: "[3, 8, 8]")) ?? "built")
        XCTAssertEqual(specError(spec(extra: #", "preprocessing": {"size": 8, "std": [0]}"#)), "preprocessing.std: a std of 0")
        XCTAssertEqual(specError(spec(extra: #", "preprocessing": {"size": 8, "mean": [0.5, 0.5]}"#)), "preprocessing.mean: expected 1 or 3 values, got 2")
        XCTAssertEqual(specError(spec(extra: #", "classes": ["a", 2]"#)), "classes[1]: expected a string, got 2")
    }
}
