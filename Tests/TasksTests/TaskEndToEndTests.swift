import Checkpoint
import Data
import Foundation
import Images
import Layers
import SyntheticFaces
import Tasks
import Tensors
import Training
import XCTest
import Zoo

/// Every task run end to end on a tiny synthetic dataset, as `zoo run TASK` would run it.
final class TaskEndToEndTests: XCTestCase {
    static let root = NSTemporaryDirectory() + "zoo-tasks-\(getpid())"
    static var data: String { root + "/data" }

    /// A small encoder for 32×32 faces.
    static let encoderSpec = #"{"encoder": {"type": "vit", "img_size": 32, "patch_size": 8, "embed_dim": 32, "depth": 2, "num_heads": 2}}"#
    static let maeSpec = #"{"encoder": {"type": "vit", "img_size": 32, "patch_size": 8, "embed_dim": 32, "depth": 1, "num_heads": 2, "global_pool": "none"}, "decoder": {"type": "mae_decoder", "embed_dim": 16, "depth": 1, "num_heads": 2}}"#

    override class func setUp() {
        super.setUp()
        if LayerRegistry.shared.all.isEmpty { LayerRegistry.shared.register(builtinLayerPlugins) }
        try? FileManager.default.removeItem(atPath: root)
        try! FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try! encoderSpec.write(toFile: root + "/encoder.json", atomically: true, encoding: .utf8)
        try! maeSpec.write(toFile: root + "/mae.json", atomically: true, encoding: .utf8)
        let config = SyntheticFaceConfig(subjects: 6, framesPerSubject: 8, size: 32, identityBias: 0.9, testFraction: 0.34, seed: 3)
        try! SyntheticFaceDataset(config: config).write(to: URL(fileURLWithPath: data), encode: { try JPEG.encode($0, quality: 90) }, fileExtension: "jpg")
    }

    override class func tearDown() {
        try? FileManager.default.removeItem(atPath: root)
        super.tearDown()
    }

    func run(_ plugin: TaskPlugin.Type, _ arguments: [String]) throws {
        try plugin.run(try TaskArguments.parse(plugin, arguments))
    }

    func summary(_ dir: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/summary.json"))) as! [String: Any]
    }

    func fineTuning(_ out: String, train: String = data + "/train.jsonl") -> [String] {
        ["--model", Self.root + "/encoder.json", "--train", train, "--test", Self.data + "/test.jsonl", "--epochs", "2",
         "--batch-size", "8", "--blr", "1e-2", "--warmup-epochs", "1", "--save-every", "1", "--out", out]
    }

    /// The validation subjects' mean AUC is logged for choosing settings: it is the AUC of the validation
    /// scores, not of the test scores (checked by swapping the two sets).
    func testValidationAUCIsTheAUCOfTheValidationScores() throws {
        let out = Self.root + "/au-val"
        try run(AUTask.self, fineTuning(out))
        let lines = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
            .map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        XCTAssertTrue(lines.allSatisfy { ($0["val_mean_auc"] as? Double).map { (0...1).contains($0) } ?? false }, "val_mean_auc each epoch: \(lines)")
        let options = try TrainedModelOptions(try TaskArguments.parse(EvalTask.self, ["--run", out, "--data", Self.data + "/test.jsonl"]))
        let classifier = try XCTUnwrap(try options.load().model.classifier)
        let train = try AUData.load(Self.data + "/train.jsonl", root: nil, preset: .bp4d, skipBad: false)
        let test = try AUData.load(Self.data + "/test.jsonl", root: nil, preset: .bp4d, skipBad: false)
        func evaluate(validation: AUData, test: AUData) throws -> AUEvaluation {
            try AUEvaluation.run(classifier: classifier, validation: validation, test: test, pipeline: ImagePipeline(size: 32, augment: false),
                                 batchSize: 8, actionUnits: AUDatasetPreset.bp4d.actionUnits, skipBad: false)
        }
        let report = try evaluate(validation: train, test: test), trainAsTest = try evaluate(validation: test, test: train)
        XCTAssertEqual(try XCTUnwrap(report.validationMeanAUC), try XCTUnwrap(trainAsTest.meanAUC))
        XCTAssertEqual(report.metrics["val_mean_auc"], trainAsTest.metrics["test_mean_auc"])
        XCTAssertNotEqual(report.metrics["val_mean_auc"], report.metrics["test_mean_auc"])
    }

    func testAUThenEvalAndIdentityProbe() throws {
        let out = Self.root + "/au"
        try run(AUTask.self, fineTuning(out) + ["--augment"])
        let s = try summary(out)
        XCTAssertEqual(s["epochs"] as? Int, 2)
        // The mean F1 is the mean of the per-AU F1s it summarises.
        let perAU = try XCTUnwrap(s["per_au"] as? [[String: Any]])
        XCTAssertEqual(perAU.count, 12)
        let f1s = perAU.compactMap { $0["f1"] as? Double }
        XCTAssertEqual(try XCTUnwrap(s["test_mean_f1"] as? Double), f1s.reduce(0, +) / 12, accuracy: 1e-12)
        XCTAssertEqual(s["val_threshold"] as? Double ?? -1, 0.5, accuracy: 0.5, "a threshold in (0, 1)")
        let lines = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
            .map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        XCTAssertEqual(lines.map { $0["epoch"] as? Int }, [1, 2], "one line per epoch, in order")
        XCTAssertEqual(lines.last?["test_mean_f1"] as? Double, s["test_mean_f1"] as? Double, "the summary is the last epoch's evaluation")
        for file in ["options.json", "model.json", "checkpoint/weights.safetensors", "checkpoint/optimizer.safetensors", "checkpoint/state.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/" + file), file)
        }
        try run(EvalTask.self, ["--run", out, "--data", Self.data + "/test.jsonl", "--out", out + "/eval"])
        XCTAssertEqual(try summary(out + "/eval")["test_mean_f1"] as? Double, s["test_mean_f1"] as? Double, "eval reproduces the run's last evaluation")
        try run(IdentityProbeTask.self, ["--run", out, "--data", Self.data + "/train.jsonl", "--epochs", "40", "--blr", "0.5",
                                         "--out", out + "/id-probe"])
        let probe = try summary(out + "/id-probe")
        // Subjects differ in appearance: a linear probe on the pooled features tells them apart far above chance.
        let accuracy = try XCTUnwrap(probe["identity_accuracy"] as? Double), chance = try XCTUnwrap(probe["chance"] as? Double)
        XCTAssertEqual(chance, 0.25)
        XCTAssertGreaterThan(accuracy, 2 * chance, "identity accuracy \(accuracy)")
    }

    func testIATLogsIdentityLossAndAccuracy() throws {
        let out = Self.root + "/iat"
        try run(IATTask.self, fineTuning(out) + ["--lambda", "0.5", "--id-head", "mlp", "--id-loss", "ce"])
        let line = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").last!
        for key in ["train_au_loss", "train_id_loss", "train_id_accuracy", "test_mean_f1"] { XCTAssertTrue(line.contains(key), "\(key) in \(line)") }
        let spec = try ModelBuilder.loadSpec(file: out + "/model.json")
        guard case let .array(heads)? = spec["heads"] else { return XCTFail("no heads in \(spec)") }
        XCTAssertEqual(heads.count, 2)
        XCTAssertEqual(heads[1]["name"], .string("ID_head"))
        XCTAssertEqual(heads[1]["grad_reverse"], .number(0.5))
        XCTAssertEqual(heads[1]["hidden"], .array([.integer(16)]), "FMAE's D → D/2 → subjects identity head")
        XCTAssertEqual(heads[1]["out_features"], .integer(4), "one class per training subject")
    }

    func testPackedShardTrainsLikeFiles() throws {
        let shard = Self.root + "/train.shard"
        let packed = try Packing.pack(source: Self.data + "/train.jsonl", output: shard, size: 32, preset: .bp4d, root: nil, skipBad: false)
        XCTAssertEqual(packed.images, 32)
        let out = Self.root + "/au-shard"
        try run(AUTask.self, fineTuning(out, train: shard))
        XCTAssertEqual(try summary(out)["epochs"] as? Int, 2)
    }

    func testExpressionRecognition() throws {
        // Enough frames that every one of the 8 classes appears in both splits (ImageFolder refuses empty classes).
        let data = Self.root + "/fer-data"
        try SyntheticFaceDataset(config: SyntheticFaceConfig(subjects: 4, framesPerSubject: 40, size: 32, identityBias: 0, testFraction: 0.5, seed: 5))
            .write(to: URL(fileURLWithPath: data), encode: { try JPEG.encode($0, quality: 90) }, fileExtension: "jpg")
        let out = Self.root + "/fer"
        try run(ExpressionTask.self, ["--model", Self.root + "/encoder.json", "--train", data + "/expressions/train",
                                      "--test", data + "/expressions/test", "--preset", "affectnet8", "--epochs", "1",
                                      "--batch-size", "16", "--label-smoothing", "0.1", "--out", out])
        let s = try summary(out)
        let matrix = s["confusion_matrix"] as! [[Int]]
        XCTAssertEqual(matrix.count, 8)
        XCTAssertEqual(matrix.flatMap { $0 }.reduce(0, +), 80, "every test image counted once")
        // Accuracy and per-class accuracy recomputed from the matrix.
        let correct = (0..<8).reduce(0) { $0 + matrix[$1][$1] }
        XCTAssertEqual(try XCTUnwrap(s["test_accuracy"] as? Double), Double(correct) / 80, accuracy: 1e-12)
        let perClass = try XCTUnwrap(s["per_class_accuracy"] as? [Double])
        for c in 0..<8 { XCTAssertEqual(perClass[c], Double(matrix[c][c]) / Double(matrix[c].reduce(0, +)), accuracy: 1e-12) }
    }

    func testPretrainThenReconstruct() throws {
        let out = Self.root + "/pretrain"
        try run(PretrainTask.self, ["--model", Self.root + "/mae.json", "--data", Self.data + "/images", "--epochs", "1",
                                    "--batch-size", "8", "--out", out])
        let loss = try XCTUnwrap(try summary(out)["final_train_loss"] as? Double)
        // Norm-pix MSE of an untrained MAE on unit-variance targets: about 1, certainly positive and finite.
        XCTAssertTrue(loss > 0.1 && loss < 10, "loss \(loss)")
        let grid = Self.root + "/grid.jpg"
        try run(ReconstructTask.self, ["--run", out, "--data", Self.data + "/images", "--count", "2", "--output", grid])
        let image = try ImageFile.read(grid)
        XCTAssertEqual(image.width, 3 * 32)
        XCTAssertEqual(image.height, 2 * 32)
        // An encoder-only checkpoint has no decoder: reconstruct and pretrain --weights refuse it.
        let encoderOnly = Self.root + "/encoder-only.safetensors"
        let weights = try SafeTensorsReader.read(path: out + "/checkpoint/weights.safetensors")
        try SafeTensorsWriter.write(weights.tensors.filter { !$0.name.hasPrefix("decoder") && $0.name != "mask_token" }, to: encoderOnly)
        XCTAssertThrowsError(try run(ReconstructTask.self, ["--model", Self.root + "/mae.json", "--weights", encoderOnly, "--data", Self.data + "/images",
                                                            "--output", Self.root + "/grid2.jpg"])) { e in
            XCTAssertTrue("\(e)".contains("holds no MAE decoder"), "\(e)")
        }
        XCTAssertThrowsError(try run(PretrainTask.self, ["--model", Self.root + "/mae.json", "--weights", encoderOnly, "--data", Self.data + "/images",
                                                         "--epochs", "1", "--out", Self.root + "/pretrain-2"])) { e in
            XCTAssertTrue("\(e)".contains("holds no MAE decoder"), "\(e)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: Self.root + "/pretrain-2"), "nothing written")
    }

    func testCorruptImageStopsWithItsNameOrIsSkipped() throws {
        let dir = Self.root + "/bad"
        try FileManager.default.createDirectory(atPath: dir + "/images/F001_T1", withIntermediateDirectories: true)
        let good = try Data(contentsOf: URL(fileURLWithPath: Self.data + "/images/F001_T1/0001.jpg"))
        for i in 1...8 { try good.write(to: URL(fileURLWithPath: dir + "/images/F001_T1/000\(i).jpg")) }
        try good.prefix(good.count / 2).write(to: URL(fileURLWithPath: dir + "/images/F001_T1/0003.jpg"))  // truncated
        let labels = (1...8).map { #"{"img_path": "F001_T1/000\#($0).jpg", "AUs": [1, 999, 999, 999, 999, 999, 12, 999, 999, 999, 999, 999]}"# }
        try labels.joined(separator: "\n").write(toFile: dir + "/train.jsonl", atomically: true, encoding: .utf8)
        let arguments = ["--model", Self.root + "/encoder.json", "--train", dir + "/train.jsonl", "--test", Self.data + "/test.jsonl",
                         "--epochs", "1", "--batch-size", "8", "--val-fraction", "0", "--out", dir + "/run"]
        XCTAssertThrowsError(try run(AUTask.self, arguments)) { e in
            XCTAssertTrue("\(e)".contains("0003.jpg"), "\(e)")
        }
        XCTAssertThrowsError(try run(AUTask.self, arguments + ["--skip-bad"])) { e in
            XCTAssertTrue("\(e)".contains("already holds a run"), "\(e)")
        }
        try run(AUTask.self, arguments + ["--skip-bad", "--overwrite"])
        XCTAssertGreaterThanOrEqual(try summary(dir + "/run")["skipped"] as? Int ?? 0, 1)
    }

    func testUnknownOptionSuggestsTheClosest() {
        XCTAssertThrowsError(try TaskArguments.parse(AUTask.self, ["--epoch", "3"])) { e in
            XCTAssertEqual("\(e)", "zoo run au: unknown option --epoch (did you mean --epochs?)")
        }
    }

    func testBadLearningRateAndInitOptionsAreUsageErrors() {
        XCTAssertThrowsError(try run(IATTask.self, fineTuning(Self.root + "/bad-iat") + ["--id-lr-scale", "0"])) { e in
            XCTAssertEqual("\(e)", "--id-lr-scale must be a positive number, got 0.0")
        }
        XCTAssertThrowsError(try run(AUTask.self, fineTuning(Self.root + "/bad-au") + ["--head-init-std", "-1"])) { e in
            XCTAssertEqual("\(e)", "--head-init-std must be a positive number, got -1.0")
        }
        XCTAssertThrowsError(try run(IATTask.self, fineTuning(Self.root + "/bad-iat") + ["--id-objective", "maximise"])) { e in
            XCTAssertEqual("\(e)", "--id-objective must be reverse or confuse, got maximise")
        }
        XCTAssertThrowsError(try run(AUTask.self, fineTuning(Self.root + "/bad-au") + ["--eval-every", "0"])) { e in
            XCTAssertEqual("\(e)", "--epochs, --batch-size, --accum, --save-every and --eval-every must be positive")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: Self.root + "/bad-au/metrics.jsonl"))
    }

    func testPredictOnImageFilesWritesJSONAndCSV() throws {
        let root = Self.root
        let out = root + "/predict-au"
        try AUTask.run(try TaskArguments.parse(AUTask.self, ["--model", root + "/encoder.json", "--train", Self.data + "/train.jsonl",
                                                             "--test", Self.data + "/test.jsonl", "--epochs", "1", "--batch-size", "8", "--out", out]))
        let images = Self.data + "/images/F001_T1"
        try PredictTask.run(try TaskArguments.parse(PredictTask.self, ["--run", out, "--input", images, "--output", root + "/p.json"]))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: root + "/p.json"))) as! [[String: Any]]
        XCTAssertEqual(json.count, 8)
        let probabilities = json[0]["au_probabilities"] as! [String: Double]
        XCTAssertEqual(probabilities.count, 12)
        XCTAssertTrue(probabilities.values.allSatisfy { (0...1).contains($0) })
        try PredictTask.run(try TaskArguments.parse(PredictTask.self, ["--run", out, "--input", images + "/0001.jpg", "--output", root + "/p.csv"]))
        let csv = try String(contentsOfFile: root + "/p.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.count, 2)
        XCTAssertTrue(csv[0].hasPrefix("file,AU1,AU2,AU4"))
        // The same image gives the same probabilities alone as in a batch of 8 (CSV and JSON paths agree).
        let header = csv[0].split(separator: ",").map(String.init), cells = csv[1].split(separator: ",").map(String.init)
        let first = try XCTUnwrap(json.first { ($0["file"] as? String)?.hasSuffix("0001.jpg") == true }?["au_probabilities"] as? [String: Double])
        for (name, cell) in zip(header.dropFirst(), cells.dropFirst()) { XCTAssertEqual(Double(cell)!, first[name]!, accuracy: 2e-6, name) }
        XCTAssertThrowsError(try PredictTask.run(try TaskArguments.parse(PredictTask.self, ["--run", out, "--input", images, "--output", root + "/p.txt"])))
    }
}
