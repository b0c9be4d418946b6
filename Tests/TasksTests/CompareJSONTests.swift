import Foundation
import Images
import Layers
import Reports
import SyntheticFaces
import Tasks
import XCTest
import Zoo

/// `zoo compare --json` on a real (tiny) `au` run and its identity probe, against values computed here
/// from the label file and the run's own files.
final class CompareJSONTests: XCTestCase {
    func testCompareJSONAgainstHandComputedValues() throws {
        if LayerRegistry.shared.all.isEmpty { LayerRegistry.shared.register(builtinLayerPlugins) }
        let root = NSTemporaryDirectory() + "zoo-compare-\(getpid())"
        try? FileManager.default.removeItem(atPath: root)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let config = SyntheticFaceConfig(subjects: 6, framesPerSubject: 8, size: 32, identityBias: 0.5, testFraction: 0.34, seed: 11)
        try SyntheticFaceDataset(config: config).write(to: URL(fileURLWithPath: root + "/data"), encode: { try JPEG.encode($0, quality: 90) },
                                                      fileExtension: "jpg")
        try #"{"encoder": {"type": "vit", "img_size": 32, "patch_size": 8, "embed_dim": 16, "depth": 1, "num_heads": 2}}"#
            .write(toFile: root + "/encoder.json", atomically: true, encoding: .utf8)
        let run = root + "/au"
        try AUTask.run(try TaskArguments.parse(AUTask.self, [
            "--model", root + "/encoder.json", "--train", root + "/data/train.jsonl", "--test", root + "/data/test.jsonl",
            "--epochs", "2", "--batch-size", "8", "--warmup-epochs", "1", "--out", run]))
        try IdentityProbeTask.run(try TaskArguments.parse(IdentityProbeTask.self, [
            "--run", run, "--data", root + "/data/train.jsonl", "--out", run + "/id-probe", "--epochs", "2"]))

        // By hand: the all-positive F1 of each AU is 2p / (1 + p) for its positive rate p in the test labels.
        let lines = try String(contentsOfFile: root + "/data/test.jsonl", encoding: .utf8).split(separator: "\n")
        let labels = try lines.map { line -> [Bool] in
            let entry = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return (entry["AUs"] as! [Int]).map { $0 != 999 }
        }
        let allPositive = (0..<12).map { k -> Double in
            let p = Double(labels.filter { $0[k] }.count) / Double(labels.count)
            return p == 0 ? 0 : 2 * p / (1 + p)
        }
        let expectedAllPositive = allPositive.reduce(0, +) / 12

        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/summary.json"))) as! [String: Any]
        let perAU = summary["per_au"] as! [[String: Any]]
        let aucs = perAU.compactMap { $0["auc"] as? Double }
        let f1s = perAU.map { $0["f1"] as! Double }
        let probe = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/id-probe/summary.json"))) as! [String: Any]
        let lastEpoch = try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
            .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .last { $0["kind"] as? String == "epoch" }!

        let json = RunComparison.json(try RunRecord.load([run]))
        func value(_ key: String) throws -> Double {
            guard case let .number(v)? = json[run]?[key] else { throw MissingKey(description: "no number \(key) in \(json.serialized())") }
            return v
        }
        XCTAssertEqual(try value("mean_f1_all_positive"), expectedAllPositive, accuracy: 1e-9)
        XCTAssertEqual(try value("mean_auc"), aucs.reduce(0, +) / Double(aucs.count), accuracy: 1e-9)
        XCTAssertEqual(try value("mean_auc"), lastEpoch["test_mean_auc"] as! Double, accuracy: 1e-12)
        XCTAssertEqual(try value("mean_f1"), f1s.reduce(0, +) / 12, accuracy: 1e-9)
        XCTAssertEqual(try value("mean_f1_val_threshold"), lastEpoch["test_mean_f1_val_threshold"] as! Double, accuracy: 1e-12)
        XCTAssertEqual(try value("id_probe_accuracy"), probe["identity_accuracy"] as! Double)
        XCTAssertEqual(try value("final_train_loss"), summary["final_train_loss"] as! Double)
        for key in ["mean_auc", "mean_f1", "mean_f1_val_threshold", "mean_f1_all_positive", "id_probe_accuracy"] {
            XCTAssertTrue((0...1).contains(try value(key)), key)
        }
    }
}

private struct MissingKey: Error, CustomStringConvertible { let description: String }
