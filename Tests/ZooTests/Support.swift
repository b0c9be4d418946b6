import FaceDetection
import Foundation
import Layers
import Tensors
import XCTest
import Zoo

/// Registry with the built-in layers, as the CLI sets it up.
let testRegistry: LayerRegistry = {
    let r = LayerRegistry()
    r.register(builtinLayerPlugins)
    // The families `zoo` registers at start-up, so catalog entries of every family build here too.
    ModelFamilyRegistry.shared.register(builtinModelFamilies)
    ModelFamilyRegistry.shared.register(MTCNNFamily.self)
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

/// What running the `zoo` executable produced.
struct ZooRun { var status: Int32; var stdout: String; var stderr: String }

/// The zoo binary built beside this test bundle (`make test` builds it first).
let zooExecutable: URL? = {
    let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for candidate in [dir, dir.deletingLastPathComponent()] {
        let url = candidate.appendingPathComponent("zoo")
        if FileManager.default.isExecutableFile(atPath: url.path) { return url }
    }
    return nil
}()

/// Runs `zoo` with `arguments` from the repository root.
func runZoo(_ arguments: [String]) throws -> ZooRun {
    guard let exe = zooExecutable else { throw XCTSkip("zoo executable not built next to the tests (run `make test`)") }
    let process = Process()
    process.executableURL = exe
    process.arguments = arguments
    process.currentDirectoryURL = repositoryRoot
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ZooRun(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
}
