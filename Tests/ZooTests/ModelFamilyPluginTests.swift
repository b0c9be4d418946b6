import Checkpoint
import Foundation
import Tasks
import Tensors
import TensorTesting
import XCTest
import Zoo

/// A family defined outside Sources/Zoo, as a plugin author would: a linear classifier over the flattened
/// pixels, with its own spec `type` and its own checkpoint naming (`fc.*`, adapted from an older `linear.*`).
enum ToyPixelLinearFamily: ModelFamily {
    static let name = "toy-pixel-linear"
    static let summary = "a linear classifier over the flattened pixels (a test plugin)"
    static let roles = ["predict"]

    static func build(_ root: SpecObject, context: ModelBuildContext) throws -> any ImageModel {
        let channels = try root.positiveInt("channels", in: 1...4)
        let size = try root.positiveInt("size", in: 1...64)
        let classes = try root.positiveInt("classes", in: 1...100)
        let inputs = channels * size * size
        try context.budget.reserve([[classes, inputs], [classes]], path: "")
        return ToyPixelLinear(channels: channels, size: size, classes: classes, generator: context.generator)
    }

    static func describe(_ model: any ImageModel) -> [(String, JSONValue)] {
        [("classes", .integer((model as! ToyPixelLinear).weight.shape[0]))]
    }

    /// Checkpoints of an earlier version named the layer `linear`.
    static func adapt(_ state: inout StateDict, to model: any ImageModel, options: WeightLoader.Options) throws {
        for suffix in ["weight", "bias"] {
            guard let old = state["linear." + suffix] else { continue }
            state["linear." + suffix] = nil
            state["fc." + suffix] = old
            state.notes.append("renamed linear.\(suffix) to fc.\(suffix)")
        }
    }
}

final class ToyPixelLinear: Module, ImageModel {
    let weight: Tensor, bias: Tensor
    let inputShape: [Int]
    let generator: Generator

    init(channels: Int, size: Int, classes: Int, generator: Generator) {
        inputShape = [channels, size, size]
        self.generator = generator
        weight = Tensor(uninitializedShape: [classes, channels * size * size])
        weight.fillNormal(generator, std: 0.02)
        bias = Tensor(zeros: [classes])
        super.init()
        parameter("fc.weight", weight)
        parameter("fc.bias", bias)
    }

    func outputs(_ images: Tensor, extra: [String: Tensor]) -> [(name: String, tensor: Tensor)] {
        let flat = images.reshaped([images.shape[0], inputShape.reduce(1, *)])
        return [("logits", Tensor.linear(flat, weight: weight, bias: bias))]
    }
}

final class ModelFamilyPluginTests: XCTestCase {
    override class func setUp() {
        // The one registration line a new family needs (zoo's registerBuiltins, here the test's).
        ModelFamilyRegistry.shared.register(ToyPixelLinearFamily.self)
    }

    let spec = #"{"type": "toy-pixel-linear", "channels": 1, "size": 4, "classes": 3}"#

    func temporaryFolder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-family-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    func testToyFamilyBuildsLoadsAndPredictsThroughTheGenericPaths() throws {
        XCTAssertTrue(ModelFamilyRegistry.shared.all.contains { $0.name == "toy-pixel-linear" })
        let model = try ModelBuilder(seed: 1).build(JSONParser.parse(spec))
        XCTAssertEqual(model.family.name, "toy-pixel-linear")
        XCTAssertEqual(model.inputShape, [1, 4, 4])
        XCTAssertEqual(model.module.namedParameters().map(\.key), ["fc.weight", "fc.bias"])
        XCTAssertEqual(model.family.describe(model.network).first?.0, "classes")
        // Tasks that need another role say what the family serves.
        XCTAssertThrowsError(try model.role(ClassifierModel.self, "an encoder with heads", for: "zoo run au")) { e in
            XCTAssertEqual("\(e)", "zoo run au: a toy-pixel-linear model cannot serve as an encoder with heads (the toy-pixel-linear family serves: predict)")
        }

        // Weights in the old naming: the generic loader lets the family adapt them, then loads strictly.
        let dir = try temporaryFolder()
        let w = (0..<48).map { Float($0 % 7) * 0.1 - 0.3 }, b: [Float] = [0.5, -1, 2]
        let weights = dir.appendingPathComponent("toy.safetensors").path
        try SafeTensorsWriter.write([("linear.weight", StoredTensor(Tensor(w, shape: [3, 16]))), ("linear.bias", StoredTensor(Tensor(b, shape: [3])))],
                                    to: weights)
        let notes = try WeightLoader.load(weights, into: model)
        XCTAssertEqual(notes, ["renamed linear.weight to fc.weight", "renamed linear.bias to fc.bias"])

        // `zoo run predict`'s entry point, with the spec file as --model.
        let specFile = dir.appendingPathComponent("toy.json")
        try Data(spec.utf8).write(to: specFile)
        let x = (0..<32).map { Float($0) / 32 - 0.5 }
        let input = dir.appendingPathComponent("in.safetensors").path, output = dir.appendingPathComponent("out.safetensors").path
        try SafeTensorsWriter.write([("images", StoredTensor(Tensor(x, shape: [2, 1, 4, 4])))], to: input)
        try PredictTask.run(TaskArguments.parse(PredictTask.self, ["--model", specFile.path, "--weights", weights, "--input", input, "--output", output]))
        let logits = try FixtureFile(path: output)["logits"]!
        XCTAssertEqual(logits.shape, [2, 3])
        // By hand: logits[i, k] = Σ_j x[i, j]·w[k, j] + b[k].
        for i in 0..<2 {
            for k in 0..<3 {
                let want = (0..<16).reduce(Double(b[k])) { $0 + Double(x[i * 16 + $1]) * Double(w[k * 16 + $1]) }
                XCTAssertEqual(Double(logits.scalars[i * 3 + k]), want, accuracy: 1e-5, "logits[\(i), \(k)]")
            }
        }
    }

    func testSpecErrorsOfAPluginFamilyNameTheField() throws {
        XCTAssertThrowsError(try ModelBuilder().build(JSONParser.parse(#"{"type": "toy-pixel-linear", "channels": 1, "size": 4, "classes": 3, "depth": 2}"#))) { e in
            XCTAssertEqual("\(e)", "depth: unknown field")
        }
        XCTAssertThrowsError(try ModelBuilder().build(JSONParser.parse(#"{"type": "toy-pixel-lineer"}"#))) { e in
            // The known families are listed (the shared registry may hold others that zoo registers).
            XCTAssertTrue("\(e)".hasPrefix("type: unknown type \"toy-pixel-lineer\" (known: classifier, mae, "), "\(e)")
            XCTAssertTrue("\(e)".contains("toy-pixel-linear"), "\(e)")
        }
        // Untyped specs keep their meaning: the plugin claims none of them.
        let untyped = try ModelBuilder(registry: testRegistry).build(JSONParser.parse(
            #"{"encoder": {"type": "pixels", "img_size": 4, "in_chans": 1}, "heads": [{"name": "head", "type": "linear", "out_features": 2}]}"#))
        XCTAssertEqual(untyped.family.name, "classifier")
    }
}
