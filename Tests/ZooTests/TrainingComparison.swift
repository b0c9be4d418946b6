import Foundation
import XCTest

/// For tests that compare two ways of training the same model (data-parallel ranks, replicas) against
/// one process training one copy: a small training folder, and reading a run's metrics.jsonl.
extension XCTestCase {
    /// `root` made afresh with synthetic faces (8 subjects × 24 frames of 32 px, in `data/`) and two tiny
    /// specs: `vit.json` (a ViT encoder, patch 8, width 32, depth 2) and `mae.json` (its MAE).
    func prepareTinyTrainingFolder(_ root: String) throws {
        try? FileManager.default.removeItem(atPath: root)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let synth = try runZooProcess(["data", "synth", "--out", root + "/data", "--subjects", "8", "--frames", "24", "--size", "32", "--seed", "1"])
        XCTAssertEqual(synth.status, 0, synth.stderr)
        let encoder = #""encoder": {"type": "vit", "img_size": 32, "patch_size": 8, "embed_dim": 32, "depth": 2, "num_heads": 2"#
        try "{\(encoder)}}".write(toFile: root + "/vit.json", atomically: true, encoding: .utf8)
        try """
        {\(encoder), "global_pool": "none"},
         "decoder": {"type": "mae_decoder", "embed_dim": 32, "depth": 1, "num_heads": 2, "mlp_ratio": 4.0},
         "mask_ratio": 0.75, "norm_pix_loss": true}
        """.write(toFile: root + "/mae.json", atomically: true, encoding: .utf8)
    }

    /// `prepareTinyTrainingFolder(root)` the first time a test class asks for `root`, then nothing (the
    /// class's `tearDown` removes it).
    func prepareTinyTrainingFolderOnce(_ root: String) throws {
        guard !TinyTrainingFolders.prepared.contains(root) else { return }
        try prepareTinyTrainingFolder(root)
        TinyTrainingFolders.prepared.insert(root)
    }

    func epochLines(_ run: String) -> [[String: Any]] {
        let text = String(decoding: FileManager.default.contents(atPath: run + "/metrics.jsonl") ?? Data(), as: UTF8.self)
        return text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  object["kind"] as? String == "epoch" else { return nil }
            return object
        }
    }

    /// Per-epoch train loss within `lossTolerance` relative and every `metrics` key within `metricTolerance`.
    func assertSameEpochs(_ a: String, _ b: String, metrics: [String], epochs: Int,
                          lossTolerance: Double = 1e-3, metricTolerance: Double = 2e-3, file: StaticString = #filePath, line: UInt = #line) {
        let left = epochLines(a), right = epochLines(b)
        XCTAssertEqual(left.count, epochs, "\(a): epochs in metrics.jsonl", file: file, line: line)
        XCTAssertEqual(right.count, epochs, "\(b): epochs in metrics.jsonl", file: file, line: line)
        for (x, y) in zip(left, right) {
            let epoch = x["epoch"] as? Int ?? -1
            guard let lx = x["train_loss"] as? Double, let ly = y["train_loss"] as? Double else {
                return XCTFail("epoch \(epoch): no train_loss", file: file, line: line)
            }
            XCTAssertLessThanOrEqual(abs(lx - ly) / abs(lx), lossTolerance, "epoch \(epoch) train_loss \(lx) vs \(ly)", file: file, line: line)
            for key in metrics {
                guard let mx = x[key] as? Double, let my = y[key] as? Double else {
                    return XCTFail("epoch \(epoch): no \(key)", file: file, line: line)
                }
                XCTAssertLessThanOrEqual(abs(mx - my), metricTolerance, "epoch \(epoch) \(key) \(mx) vs \(my)", file: file, line: line)
            }
        }
    }
}

/// The tiny training folders made so far in this test process.
private enum TinyTrainingFolders {
    static var prepared: Set<String> = []
}
