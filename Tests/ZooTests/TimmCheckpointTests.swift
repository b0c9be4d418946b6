import Checkpoint
import Foundation
import Layers
import Tasks
import Tensors
import TensorTesting
import XCTest
import Zoo

/// A timm ImageNet classifier's state dict (with its 1000-class `head.*`), as users download one, into a
/// headless encoder: refused with a hint, loaded with --drop-head and the left-out head named.
/// Fixtures: Tests/ZooTests/Fixtures/make_timm_fixture.py.
final class TimmCheckpointTests: XCTestCase {
    static let checkpoint = ParityTests.fixtures.appendingPathComponent("timm_vit_classifier.pth").path
    static let specFile = ParityTests.fixtures.appendingPathComponent("timm_vit_classifier.json").path
    static let reference = ParityTests.fixtures.appendingPathComponent("timm_vit_classifier.safetensors").path

    override class func setUp() {
        if LayerRegistry.shared.all.isEmpty { LayerRegistry.shared.register(builtinLayerPlugins) }
    }

    func encoder() throws -> ZooModel {
        try ModelBuilder(registry: testRegistry).build(ModelBuilder.loadSpec(file: Self.specFile))
    }

    func testStrictLoadOfAClassifierIntoAnEncoderSuggestsDropHead() throws {
        XCTAssertThrowsError(try WeightLoader.load(Self.checkpoint, into: try encoder())) { e in
            XCTAssertEqual("\(e)", "\(Self.checkpoint): does not fit the model: unexpected keys (2): head.bias, head.weight; "
                + "the checkpoint has a classifier head (head.bias, head.weight) that the model has no place for: pass --drop-head to leave it out")
        }
    }

    func testDropHeadLeavesOutTheHeadAndTheEncoderMatchesTimm() throws {
        let model = try encoder()
        let notes = try WeightLoader.load(Self.checkpoint, into: model, options: .init(strict: true, dropHead: true))
        XCTAssertEqual(notes, ["left out: head.weight [1000, 16], head.bias [1000]"])
        model.module.eval()
        let reference = try FixtureFile(path: Self.reference)
        let features = withNoGrad { model.network.outputs(reference["inputs.images"]!, extra: [:]) }.first { $0.name == "features" }!.tensor
        XCTAssertLessThanOrEqual(maxRelativeError(features, reference["outputs.features"]!), 1e-5)
    }

    func testNonStrictLoadNamesWhatItLeftOut() throws {
        let notes = try WeightLoader.load(Self.checkpoint, into: try encoder(), options: .init(strict: false))
        XCTAssertEqual(notes, ["2 checkpoint tensors unused: head.weight [1000, 16], head.bias [1000]"])
    }

    func testDropHeadKeepsAHeadThatFits() throws {
        // A model with timm's own 1000-class head takes it: --drop-head leaves out only what has no place.
        let spec = try JSONParser.parse(#"""
            {"encoder": {"type": "vit", "img_size": 16, "patch_size": 8, "embed_dim": 16, "depth": 1, "num_heads": 2},
             "heads": [{"name": "head", "type": "linear", "out_features": 1000}]}
            """#)
        let model = try ModelBuilder(registry: testRegistry).build(spec)
        XCTAssertEqual(try WeightLoader.load(Self.checkpoint, into: model, options: .init(dropHead: true)), [])
    }

    func testCatalogEncoderTakesATimmShapedStateDictWithDropHead() throws {
        // vit-small-patch16's own tensors plus timm's 1000-class head, as timm's vit_small_patch16_224 saves them.
        let catalog = try Catalog.locate()
        let model = try catalog.buildModel("vit-small-patch16", registry: testRegistry).model
        var tensors = model.module.namedParameters().map { (name: $0.key, tensor: StoredTensor($0.tensor)) }
        tensors += [("head.weight", StoredTensor(Tensor(zeros: [1000, 384]))), ("head.bias", StoredTensor(Tensor(zeros: [1000])))]
        let file = TensorFile(format: .pytorchZip, tensors: tensors)
        XCTAssertThrowsError(try WeightLoader.checkStrictly(try WeightLoader.adapt(file, to: model, options: .init()), against: model, file: "timm.pth")) { e in
            XCTAssertTrue("\(e)".contains("pass --drop-head"), "\(e)")
        }
        let state = try WeightLoader.adapt(file, to: model, options: .init(dropHead: true))
        XCTAssertEqual(state.notes, ["left out: head.weight [1000, 384], head.bias [1000]"])
        XCTAssertNoThrow(try WeightLoader.checkStrictly(state, against: model, file: "timm.pth"))
    }

    func testPredictTakesDropHead() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-timm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let reference = try FixtureFile(path: Self.reference)
        let input = dir.appendingPathComponent("in.safetensors").path, output = dir.appendingPathComponent("out.safetensors").path
        try SafeTensorsWriter.write([("images", StoredTensor(reference["inputs.images"]!))], to: input)
        let base = ["--model", Self.specFile, "--weights", Self.checkpoint, "--input", input, "--output", output]
        XCTAssertThrowsError(try PredictTask.run(TaskArguments.parse(PredictTask.self, base))) { e in
            XCTAssertTrue("\(e)".contains("pass --drop-head"), "\(e)")
        }
        try PredictTask.run(TaskArguments.parse(PredictTask.self, base + ["--drop-head"]))
        XCTAssertLessThanOrEqual(maxRelativeError(try FixtureFile(path: output)["features"]!, reference["outputs.features"]!), 1e-5)
    }

    func testConvertWithDropHeadWritesTheEncoder() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-timm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("encoder.safetensors").path
        let refused = try runZoo(["convert", Self.checkpoint, out, "--model", Self.specFile])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("unexpected keys (2): head.weight, head.bias; the checkpoint has a classifier head"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("pass --drop-head"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        let converted = try runZoo(["convert", Self.checkpoint, out, "--model", Self.specFile, "--drop-head"])
        XCTAssertEqual(converted.status, 0, converted.stderr)
        XCTAssertTrue(converted.stdout.contains("left out: head.weight [1000, 16], head.bias [1000]"), converted.stdout)
        let written = try CheckpointReader.read(path: out, key: nil)
        XCTAssertFalse(written.tensors.contains { $0.name.hasPrefix("head.") })
        XCTAssertNoThrow(try WeightLoader.load(out, into: try encoder()))
    }
}
