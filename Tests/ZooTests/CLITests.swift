import Foundation
import XCTest

/// The `zoo` executable as a user runs it: output, errors on stderr, exit statuses (1 failure, 2 usage).
final class CLITests: XCTestCase {
    func zoo(_ arguments: String...) throws -> ZooRun { try runZoo(arguments) }

    func testListJSONAndFilter() throws {
        let r = try zoo("list", "layers", "--json")
        XCTAssertEqual(r.status, 0, r.stderr)
        let items = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]]
        XCTAssertEqual(Set(items?.compactMap { $0["name"] as? String } ?? []),
                       ["linear", "layer_norm", "mlp", "attention", "block", "patch_embed", "vit", "pixels", "mae_decoder", "grad_reverse",
                        "conv2d", "batch_norm", "prelu", "relu", "max_pool2d", "global_avg_pool", "separable_conv2d", "add", "softmax",
                        "flatten", "permute", "sequential", "graph"])
        XCTAssertTrue(items?.allSatisfy { ($0["description"] as? String)?.isEmpty == false } ?? false)
        let filtered = try zoo("list", "models", "--filter", "fmae-iat-*")
        XCTAssertEqual(filtered.stdout.components(separatedBy: "\n").filter { $0.contains("fmae-iat-vit-large-bp4d-fold") }.count, 3)
        XCTAssertFalse(filtered.stdout.contains("vit-base-patch16 "))
    }

    func testShowJSONCountsParameters() throws {
        let r = try zoo("show", "vit-small-patch16", "--json")
        XCTAssertEqual(r.status, 0, r.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(object?["parameters"] as? Int, 21_665_664)
    }

    func testErrorsAndExitStatuses() throws {
        let unknown = try zoo("show", "vit-base-patch61")
        XCTAssertEqual(unknown.status, 1)
        XCTAssertEqual(unknown.stderr, "zoo: error: no model \"vit-base-patch61\" in the catalog and no such spec file (did you mean \"vit-base-patch16\"?)\n")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-cli-\(getpid()).json")
        try #"{"encoder": {"type": "vit", "depth": "12"}}"#.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let bad = try zoo("show", file.path)
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(bad.stderr, "zoo: error: \(file.path): encoder.depth: expected an integer, got \"12\"\n")
        XCTAssertEqual(try zoo("bench", "--model", "vit-small-patch16", "--batch", "0").status, 2)
        XCTAssertEqual(try zoo("list", "widgets").status, 2)
        XCTAssertEqual(try zoo("frobnicate").status, 2)
    }

    func testSynthRejectsOutOfRangeOptionsBeforeWriting() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-synth-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        for (option, value, message) in [("--jitter", "1.5", "--jitter must be between 0 and 1"),
                                         ("--identity-bias", "1.5", "--identity-bias must be between 0 and 1")] {
            let r = try zoo("data", "synth", "--out", out, option, value)
            XCTAssertEqual(r.status, 2, r.stderr)
            XCTAssertTrue(r.stderr.contains(message), r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        }
    }

    func testBenchReportsJSON() throws {
        let spec = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-bench-\(getpid()).json")
        try #"{"encoder": {"type": "vit", "img_size": 32, "patch_size": 8, "embed_dim": 32, "depth": 1, "num_heads": 2, "global_pool": "avg"}, "heads": [{"name": "head", "type": "linear", "out_features": 3}]}"#
            .write(to: spec, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: spec) }
        for mode in ["infer", "train"] {
            let r = try zoo("bench", "--model", spec.path, "--batch", "2", "--mode", mode, "--steps", "1", "--json")
            XCTAssertEqual(r.status, 0, r.stderr)
            let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
            XCTAssertEqual(object?["mode"] as? String, mode)
            XCTAssertEqual(object?["batch"] as? Int, 2)
            XCTAssertGreaterThan(object?["images_per_second"] as? Double ?? 0, 0)
        }
    }

    /// `--replicas 2` splits the batch over two copies of the model on one set of weights and sums their
    /// gradients: after five AdamW steps the loss is the one the whole batch gives (a replica's gradient
    /// lost or applied twice would move it), for an encoder alone (squared features) and for a classifier
    /// (BCE against targets drawn for the whole batch), and the options are checked.
    func testBenchReplicasTrainTheSameModel() throws {
        let spec = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-bench-replicas-\(getpid()).json")
        defer { try? FileManager.default.removeItem(at: spec) }
        let encoder = #""encoder": {"type": "vit", "img_size": 32, "patch_size": 8, "embed_dim": 32, "depth": 2, "num_heads": 2, "global_pool": "avg"}"#
        for heads in ["", #", "heads": [{"name": "head", "type": "linear", "out_features": 3}]"#] {
            try "{\(encoder)\(heads)}".write(to: spec, atomically: true, encoding: .utf8)
            var losses: [Double] = []
            for replicas in ["1", "2", "4"] {
                let r = try zoo("bench", "--model", spec.path, "--batch", "8", "--mode", "train", "--steps", "5", "--replicas", replicas, "--json")
                XCTAssertEqual(r.status, 0, r.stderr)
                let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
                XCTAssertEqual(object?["replicas"] as? Int, Int(replicas))
                losses.append(try XCTUnwrap(object?["last_loss"] as? Double, r.stdout))
            }
            XCTAssertEqual(losses[1], losses[0], accuracy: 1e-6 * losses[0], heads)
            XCTAssertEqual(losses[2], losses[0], accuracy: 1e-6 * losses[0], heads)
            XCTAssertNotEqual(losses[0], 1, "the steps moved the weights")
        }
        for (options, message) in [(["--replicas", "3"], "--replicas must be positive and divide --batch (8)"),
                                   (["--replicas", "2", "--mode", "infer"], "--replicas is for --mode train")] {
            let r = try runZoo(["bench", "--model", spec.path, "--batch", "8"] + options)
            XCTAssertEqual(r.status, 2, r.stderr)
            XCTAssertTrue(r.stderr.contains(message), r.stderr)
        }
    }
}
