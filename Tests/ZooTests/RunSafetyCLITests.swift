import Foundation
import XCTest

/// Runs that do not mislead, checked on the real `zoo` process: a checkpoint survives a SIGKILL at any
/// point of a save, SIGINT stops with a checkpoint that resumes to the same weights, and --out, --resume
/// and options refuse what would silently give a wrong result.
final class RunSafetyCLITests: XCTestCase {
    static let root = NSTemporaryDirectory() + "zoo-runs-\(getpid())"
    static var prepared = false

    /// Tiny synthetic faces and a one-block ViT: a 3-epoch `zoo run au` takes well under a second.
    override func setUpWithError() throws {
        guard zooExecutable != nil else { throw XCTSkip("zoo executable not built next to the tests (run `make test`)") }
        if Self.prepared { return }
        try? FileManager.default.removeItem(atPath: Self.root)
        try FileManager.default.createDirectory(atPath: Self.root, withIntermediateDirectories: true)
        let synth = try runZoo(["data", "synth", "--out", Self.root + "/data", "--subjects", "4", "--frames", "6", "--size", "16", "--seed", "1"])
        XCTAssertEqual(synth.status, 0, synth.stderr)
        let big = try runZoo(["data", "synth", "--out", Self.root + "/data-long", "--subjects", "4", "--frames", "60", "--size", "16", "--seed", "2"])
        XCTAssertEqual(big.status, 0, big.stderr)
        try #"{"encoder": {"type": "vit", "img_size": 16, "patch_size": 8, "embed_dim": 16, "depth": 1, "num_heads": 2}}"#
            .write(toFile: Self.root + "/encoder.json", atomically: true, encoding: .utf8)
        Self.prepared = true
    }

    override class func tearDown() {
        try? FileManager.default.removeItem(atPath: root)
        super.tearDown()
    }

    func training(_ out: String, data: String = root + "/data", epochs: Int = 3, saveEvery: Int = 1) -> [String] {
        ["run", "au", "--model", Self.root + "/encoder.json", "--train", data + "/train.jsonl", "--test", data + "/test.jsonl",
         "--epochs", "\(epochs)", "--batch-size", "4", "--save-every", "\(saveEvery)", "--warmup-epochs", "1", "--drop-path", "0.1",
         "--augment", "--out", out]
    }

    func contents(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    func epochsIn(_ run: String) -> [Int] {
        let text = String(decoding: contents(run + "/metrics.jsonl") ?? Data(), as: UTF8.self)
        return text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], object["kind"] as? String == "epoch" else { return nil }
            return object["epoch"] as? Int
        }
    }

    /// The summary without the fields a resumed run cannot reproduce bit for bit (none today; the
    /// comparison is of the whole file otherwise).
    func summary(_ run: String) -> [String: NSObject]? {
        contents(run + "/summary.json").flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: NSObject] }
    }

    func testKillAtAnyPointOfASaveResumesToTheSameWeights() throws {
        let reference = Self.root + "/reference"
        let full = try runZoo(training(reference))
        XCTAssertEqual(full.status, 0, full.stderr)
        let expected = try XCTUnwrap(contents(reference + "/checkpoint/weights.safetensors"))
        // Every point of the save sequence, at the first save (nothing to fall back on) and at later ones.
        let labels = ["metrics-torn", "metrics-appended", "checkpoint-begin", "weights-torn", "weights-written", "optimizer-torn",
                      "optimizer-written", "state-torn", "state-written", "checkpoint-staged", "checkpoint-old-aside", "checkpoint-committed"]
        var points = labels.map { $0 + ":1" } + labels.map { $0 + ":2" }
        points += ["checkpoint-old-aside:3", "checkpoint-committed:3"]
        for point in points {
            let out = Self.root + "/killed"
            try? FileManager.default.removeItem(atPath: out)
            let killed = try runZooProcess(training(out), environment: ["ZOO_TEST_KILL_AT": point])
            XCTAssertEqual(killed.signal, SIGKILL, "\(point): the hook did not fire: \(killed.stderr)")
            let resumed = try runZoo(training(out) + ["--resume"])
            XCTAssertEqual(resumed.status, 0, "\(point): \(resumed.stderr)")
            if point.hasSuffix(":1") && point != "checkpoint-committed:1" {
                XCTAssertTrue(resumed.stderr.contains("no complete checkpoint (the run stopped before its first save); starting from epoch 0"),
                              "\(point): \(resumed.stderr)")
            }
            XCTAssertEqual(contents(out + "/checkpoint/weights.safetensors"), expected, "\(point): final weights differ from the uninterrupted run")
            XCTAssertEqual(epochsIn(out), [1, 2, 3], point)
            XCTAssertEqual(summary(out), summary(reference), point)
            let debris = try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.contains(".tmp-") || $0.contains(".old-") }
            XCTAssertEqual(debris, [], point)
        }
    }

    func testSIGINTWritesACheckpointAndResumesWithoutDuplicateEpochs() throws {
        let reference = Self.root + "/sigint-reference"
        let full = try runZoo(training(reference, data: Self.root + "/data-long", epochs: 4, saveEvery: 4))
        XCTAssertEqual(full.status, 0, full.stderr)
        for (signal, status) in [(SIGINT, Int32(130)), (SIGTERM, 143)] {
            let out = Self.root + "/interrupted-\(signal)"
            let process = try startZoo(training(out, data: Self.root + "/data-long", epochs: 4, saveEvery: 4))
            // Interrupt inside the second epoch: after the first epoch's line, before the run ends.
            let deadline = Date().addingTimeInterval(60)
            while epochsIn(out).isEmpty && process.isRunning && Date() < deadline { usleep(2_000) }
            process.interrupt(signal)
            let stopped = process.finish()
            if stopped.status == 0 { throw XCTSkip("the run finished before the signal arrived") }
            XCTAssertEqual(stopped.status, status, stopped.stderr)
            XCTAssertTrue(stopped.stderr.contains("checkpoint written to \(out)/checkpoint"), stopped.stderr)
            XCTAssertTrue(stopped.stderr.contains("--resume"), stopped.stderr)
            let resumed = try runZoo(training(out, data: Self.root + "/data-long", epochs: 4, saveEvery: 4) + ["--resume"])
            XCTAssertEqual(resumed.status, 0, resumed.stderr)
            XCTAssertEqual(epochsIn(out), [1, 2, 3, 4])
            XCTAssertEqual(contents(out + "/checkpoint/weights.safetensors"), contents(reference + "/checkpoint/weights.safetensors"))
            XCTAssertEqual(summary(out), summary(reference))
        }
    }

    func testOutResumeAndOverwrite() throws {
        let out = Self.root + "/existing"
        XCTAssertEqual(try runZoo(training(out)).status, 0)
        // A stale sub-result that --overwrite must remove.
        try FileManager.default.createDirectory(atPath: out + "/id-probe", withIntermediateDirectories: true)
        let summaryBefore = try XCTUnwrap(contents(out + "/summary.json"))

        let again = try runZoo(training(out))
        XCTAssertEqual(again.status, 1)
        XCTAssertEqual(again.stderr, "zoo: error: \(out) already holds a run: pass --resume to continue it, or --overwrite to replace it (its sub-folders go too)\n")

        let finished = try runZoo(training(out) + ["--resume"])
        XCTAssertEqual(finished.status, 0, finished.stderr)
        XCTAssertTrue(finished.stderr.contains("the run is finished (3 of 3 epochs)"), finished.stderr)
        XCTAssertEqual(contents(out + "/summary.json"), summaryBefore, "a finished run's summary is left alone")

        let changed = try runZoo(training(out, epochs: 4) + ["--resume", "--blr", "1e-3"])
        XCTAssertEqual(changed.status, 1)
        XCTAssertTrue(changed.stderr.contains("--resume needs the options the run was started with; these differ:\n  --blr: 5e-4 → 1e-3\n  --epochs: 3 → 4\n"),
                      changed.stderr)

        let typo = try runZoo(training(out) + ["--resume=ture"])
        XCTAssertEqual(typo.status, 2)
        XCTAssertTrue(typo.stderr.contains("--resume is a flag: give it alone, or as --resume=true / false (got ture)"), typo.stderr)

        let overwritten = try runZoo(training(out, epochs: 2) + ["--overwrite"])
        XCTAssertEqual(overwritten.status, 0, overwritten.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/id-probe"), "--overwrite removes stale sub-results")
        XCTAssertEqual(epochsIn(out), [1, 2])

        let nothing = try runZoo(training(Self.root + "/never-started") + ["--resume"])
        XCTAssertEqual(nothing.status, 1)
        XCTAssertTrue(nothing.stderr.contains("no run to resume"), nothing.stderr)
    }

    func testReleasedModelsNeedWeightsAndEvalRefusesTheOtherKindOfData() throws {
        let data = Self.root + "/data"
        let released = try runZoo(["run", "au", "--model", "fmae-vit-small-pretrain", "--train", data + "/train.jsonl", "--test", data + "/test.jsonl",
                                   "--out", Self.root + "/released"])
        XCTAssertEqual(released.status, 1)
        XCTAssertTrue(released.stderr.contains("fmae-vit-small-pretrain is a pretrained model: its weights come from gdrive:1p1hJd9ks3U6tg3N1rlEmDyuUNXoRbATJ"),
                      released.stderr)
        XCTAssertTrue(released.stderr.contains("--random-weights"), released.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: Self.root + "/released"), "nothing written")

        let run = Self.root + "/for-eval"
        XCTAssertEqual(try runZoo(training(run, epochs: 1)).status, 0)
        let wrong = try runZoo(["run", "eval", "--run", run, "--data", data + "/expressions/test"])
        XCTAssertEqual(wrong.status, 2, wrong.stderr)
        XCTAssertTrue(wrong.stderr.contains("is a model for AU detection (a label file), but \(data)/expressions/test is data for expression recognition (a class folder)"),
                      wrong.stderr)
        let noValidation = try runZoo(["run", "eval", "--run", run, "--data", data + "/test.jsonl"])
        XCTAssertEqual(noValidation.status, 0, noValidation.stderr)
        XCTAssertTrue(noValidation.stdout.contains("(threshold 0.50: no validation subjects to choose one on;"), noValidation.stdout)
        XCTAssertFalse(noValidation.stdout.contains("chosen on validation subjects"), noValidation.stdout)
    }

    func testHelpMarksOnlyRequiredOptions() throws {
        let help = try runZoo(["run", "au", "--help"])
        XCTAssertEqual(help.status, 0)
        let required = help.stdout.split(separator: "\n").filter { $0.contains("(required)") }.map { String($0.split(separator: " ")[0]) }
        XCTAssertEqual(required, ["--out", "--train", "--test"])
        let eval = try runZoo(["run", "eval", "--help"])
        XCTAssertTrue(eval.stdout.contains("--key <string>"), "eval declares --key")
        XCTAssertEqual(eval.stdout.split(separator: "\n").filter { $0.contains("(required)") }.map { String($0.split(separator: " ")[0]) }, ["--data"])
    }

    func testListWorksFromAnotherDirectoryAndCompareNamesRunsByPath() throws {
        let list = try runZooProcess(["list", "models"], directory: URL(fileURLWithPath: "/tmp"))
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertTrue(list.stdout.contains("fmae-vit-base-pretrain"), list.stdout)

        for side in ["a", "b"] {
            let dir = Self.root + "/\(side)/run"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try #"{"task": "au", "test_mean_f1": 0.\#(side == "a" ? 5 : 6)}"#.write(toFile: dir + "/summary.json", atomically: true, encoding: .utf8)
        }
        let compare = try runZoo(["compare", Self.root + "/a/run", Self.root + "/b/run"])
        XCTAssertEqual(compare.status, 0, compare.stderr)
        XCTAssertTrue(compare.stdout.contains(Self.root + "/a/run") && compare.stdout.contains(Self.root + "/b/run"), compare.stdout)
    }
}
