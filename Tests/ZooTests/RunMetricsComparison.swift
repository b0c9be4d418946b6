import Foundation
import XCTest

/// Reading a run folder's metrics.jsonl, for tests that compare two ways of training the same model
/// (data-parallel ranks, replicas) against one process training it alone.
extension XCTestCase {
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
