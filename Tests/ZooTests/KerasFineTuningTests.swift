import Checkpoint
import Foundation
import JSON
import XCTest

/// `zoo run fer` fine-tunes a Keras model (the catalog's fer-emotion, fer's emotion_model.hdf5) end to end:
/// training lowers the loss, changes the weights (BatchNormalization's running statistics too), writes a
/// run folder whose checkpoint `predict --run` uses, and refuses data whose class count is not the model's.
final class KerasFineTuningTests: XCTestCase {
    private var folder = ""

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "zoo-keras-ft-\(UUID().uuidString)"
        let synth = try runZoo(["data", "synth", "--out", folder + "/synth", "--subjects", "6", "--frames", "16", "--size", "64", "--seed", "5"])
        XCTAssertEqual(synth.status, 0, synth.stderr)
        // fer's 7 classes in fer's order, from the synthetic AffectNet-8 folders (contempt left out).
        let fm = FileManager.default
        for split in ["train", "test"] {
            let root = folder + "/synth/expressions/" + split
            try fm.removeItem(atPath: root + "/7_Contempt")
            for (from, to) in [("6_Anger", "a0_angry"), ("5_Disgust", "a1_disgust"), ("4_Fear", "a2_fear"), ("1_Happy", "a3_happy"),
                               ("2_Sad", "a4_sad"), ("3_Surprise", "a5_surprise"), ("0_Neutral", "a6_neutral")] {
                try fm.moveItem(atPath: root + "/" + from, toPath: root + "/" + to)
            }
        }
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: folder)
    }

    func testFerEmotionFineTunesOnExpressionFolders() throws {
        let data = folder + "/synth/expressions"
        let out = folder + "/run"
        let run = try runZoo(["run", "fer", "--model", "fer-emotion", "--train", data + "/train", "--test", data + "/test", "--epochs", "3",
                              "--warmup-epochs", "1", "--batch-size", "16", "--blr", "2e-3", "--augment", "--out", out])
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        let losses = try lines.compactMap { line -> Double? in
            guard case let .number(loss)? = try JSONParser.parse(String(line))["train_loss"] else { return nil }
            return loss
        }
        XCTAssertEqual(losses.count, 3, "\(lines)")
        XCTAssertLessThan(losses.last!, losses.first!, "training lowers the loss")
        let trained = try SafeTensorsReader.read(path: out + "/checkpoint/weights.safetensors")
        let original = try SafeTensorsReader.read(path: repositoryRoot.appendingPathComponent("Sources/BundledModels/Files/fer/emotion_model.hdf5").path,
                                                  orConvert: true)
        for name in ["conv2d_1.weight", "batch_normalization_1.running_mean", "conv2d_7.bias"] {
            let a = try XCTUnwrap(trained[name]).floatTensor().scalars, b = try XCTUnwrap(original[name]).floatTensor().scalars
            XCTAssertNotEqual(a, b, "\(name) changed by training")
        }
        let summary = try JSONParser.parse(try Data(contentsOf: URL(fileURLWithPath: out + "/summary.json")))
        guard case .number? = summary["test_accuracy"] else { return XCTFail("no test accuracy in \(summary.serialized())") }

        // The run's checkpoint predicts through --run.
        let images = folder + "/in.safetensors", predictions = folder + "/out.safetensors"
        try SafeTensorsWriter.write([("images", StoredTensor(dtype: .f32, shape: [2, 1, 64, 64], bytes: ByteBuffer.allocate(2 * 64 * 64 * 4).0))],
                                    to: images)
        let predict = try runZoo(["run", "predict", "--run", out, "--input", images, "--output", predictions])
        XCTAssertEqual(predict.status, 0, predict.stderr)
        XCTAssertEqual(try SafeTensorsReader.read(path: predictions)["predictions"]?.shape, [2, 7])
    }

    func testAClassCountOtherThanTheModelsIsRefused() throws {
        let data = folder + "/synth/expressions"
        try FileManager.default.removeItem(atPath: data + "/train/a6_neutral")
        try FileManager.default.removeItem(atPath: data + "/test/a6_neutral")
        let run = try runZoo(["run", "fer", "--model", "fer-emotion", "--train", data + "/train", "--test", data + "/test", "--epochs", "1",
                              "--out", folder + "/run6"])
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.stderr.contains("gives [1, 7] logits, the data has 6 classes"), run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/run6"), "nothing written on a refused run")
    }

    func testReplicasAreRefusedForNetworks() throws {
        // Each copy would keep its own BatchNorm statistics.
        let data = folder + "/synth/expressions"
        let run = try runZoo(["run", "fer", "--model", "fer-emotion", "--train", data + "/train", "--test", data + "/test", "--epochs", "1",
                              "--batch-size", "8", "--replicas", "2", "--out", folder + "/run-replicas"])
        XCTAssertEqual(run.status, 2, run.stderr)
        XCTAssertTrue(run.stderr.contains("--replicas is for encoder models; network models train one copy"), run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/run-replicas"), "nothing written on a refused run")
    }
}

private extension SafeTensorsReader {
    /// fer's weights under zoo's names: the model file converted by `zoo convert` into a temporary file.
    static func read(path: String, orConvert: Bool) throws -> TensorFile {
        let converted = NSTemporaryDirectory() + "zoo-fer-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: converted) }
        let run = try runZoo(["convert", path, converted])
        guard run.status == 0 else { throw CheckpointError.malformed(file: path, reason: run.stderr) }
        let file = try SafeTensorsReader.read(path: converted)
        // Copy the values out before the file is removed (the reader maps it).
        return TensorFile(format: file.format, tensors: file.tensors.map { ($0.name, StoredTensor($0.tensor.floatTensor())) }, metadata: [])
    }
}
