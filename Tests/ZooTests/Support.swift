import Foundation
import Layers
import Tensors
import XCTest
import Zoo

/// Registry with the built-in layers, as the CLI sets it up.
let testRegistry: LayerRegistry = {
    let r = LayerRegistry()
    r.register(builtinLayerPlugins)
    return r
}()

func buildModel(_ json: String, seed: UInt64 = 0, file: StaticString = #filePath, line: UInt = #line) throws -> ZooModel {
    try ModelBuilder(registry: testRegistry, seed: seed).build(JSONParser.parse(json))
}

/// The spec error message that building `json` throws, or nil when it builds.
func specError(_ json: String) -> String? {
    do {
        _ = try buildModel(json)
        return nil
    } catch {
        return "\(error)"
    }
}

/// Builds one layer from its JSON object.
func buildLayer(_ json: String, inputDim: Int? = nil) throws -> Module {
    try testRegistry.build(JSONParser.parse(json), path: "layer",
                           context: BuildContext(registry: testRegistry, generator: Generator(seed: 3), inputDim: inputDim))
}

/// Repository root (for zoo.json), from this file's location.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Gives every parameter non-trivial values, so that a test sees LayerNorm weights and biases too.
func randomizeParameters(_ module: Module, seed: UInt64, std: Double = 0.1) {
    let g = Generator(seed: seed)
    for p in module.parameters() where p.requiresGrad { p.fillNormal(g, std: std) }
}
