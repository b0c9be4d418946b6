import Foundation
import XCTest

/// `--replicas 2` trains two copies of the model on one set of weights, each on half of every batch on
/// its own thread: the real `zoo` must train the model one copy trains, to float rounding, for `au` with
/// drop path, `iat` with the confusion objective (frozen identity head per copy), `fer` and `pretrain`
/// (MAE's masks drawn for the whole batch). Tolerances are tight because on these tiny models the
/// randomness moves the numbers little (ranks drawing their own drop-path masks were off by 4e-4 in loss).
final class ReplicaTrainingCLITests: XCTestCase {
    static let root = NSTemporaryDirectory() + "zoo-replicas-\(getpid())"

    override func setUpWithError() throws {
        guard zooExecutable != nil else { throw XCTSkip("zoo executable not built next to the tests (run `make test`)") }
        try prepareTinyTrainingFolderOnce(Self.root)
    }

    override class func tearDown() {
        try? FileManager.default.removeItem(atPath: root)
        super.tearDown()
    }

    /// Runs `arguments` with `--replicas 1` and `--replicas 2` and compares their epochs.
    func assertReplicasMatch(_ name: String, _ arguments: [String], metrics: [String], environment: [String: String] = [:],
                             file: StaticString = #filePath, line: UInt = #line) throws {
        var runs: [String] = []
        for replicas in ["1", "2"] {
            let out = Self.root + "/\(name)-\(replicas)"
            let r = try runZooProcess(arguments + ["--replicas", replicas, "--out", out], environment: environment)
            XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
            runs.append(out)
        }
        assertSameEpochs(runs[0], runs[1], metrics: metrics, epochs: 2, lossTolerance: 1e-5, metricTolerance: 1e-4, file: file, line: line)
    }

    func fineTuning(_ task: String) -> [String] {
        ["run", task, "--model", Self.root + "/vit.json", "--train", Self.root + "/data/train.jsonl", "--test", Self.root + "/data/test.jsonl",
         "--epochs", "2", "--batch-size", "32", "--warmup-epochs", "1", "--blr", "1e-2", "--layer-decay", "1", "--drop-path", "0.9"]
    }

    func testAUWithDropPath() throws {
        try assertReplicasMatch("au", fineTuning("au"), metrics: ["test_mean_auc", "test_mean_f1"])
    }

    /// With 4 threads each of the 2 copies splits its ops over 2 (bands of every GEMM, chunks of every
    /// element-wise loop), and still trains what one copy on 4 threads trains.
    func testCopiesThatSplitTheirOps() throws {
        try assertReplicasMatch("au-wide", fineTuning("au"), metrics: ["test_mean_auc", "test_mean_f1"],
                                environment: ["ZOO_NUM_THREADS": "4"])
    }

    func testIdentityAdversaryWithTheConfusionObjective() throws {
        try assertReplicasMatch("iat", fineTuning("iat") + ["--id-objective", "confuse", "--lambda", "1"],
                                metrics: ["test_mean_auc", "train_id_accuracy"])
    }

    func testExpressions() throws {
        try assertReplicasMatch("fer", ["run", "fer", "--model", Self.root + "/vit.json", "--train", Self.root + "/data/expressions/train",
                                        "--test", Self.root + "/data/expressions/test", "--epochs", "2", "--batch-size", "32",
                                        "--warmup-epochs", "1", "--blr", "1e-2", "--layer-decay", "1", "--drop-path", "0.5"],
                                metrics: ["test_accuracy"])
    }

    func testPretrainingMasksFollowTheWholeBatch() throws {
        try assertReplicasMatch("pretrain", ["run", "pretrain", "--model", Self.root + "/mae.json", "--data", Self.root + "/data/images",
                                             "--epochs", "2", "--batch-size", "32", "--warmup-epochs", "1", "--blr", "1.5e-3"],
                                metrics: [])
    }

    func testABatchTheCopiesCannotShareIsRefused() throws {
        let r = try runZooProcess(fineTuning("au") + ["--replicas", "3", "--out", Self.root + "/refused"])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("--replicas must be positive and divide --batch-size (32), got 3"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: Self.root + "/refused"))
    }
}
