import Foundation
import JSON
import Reports
import XCTest

/// Run folders written by hand, read back by `RunRecord`, compared and rendered.
final class ReportTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "reports-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    /// A finished AU run: `epochs` lines of metrics, two AUs, optionally an identity probe.
    @discardableResult
    func writeRun(_ relative: String, auc: Double, epochs: Int = 3, probe: Double? = nil, positiveFraction: Double? = nil) throws -> String {
        let folder = root + "/" + relative
        try FileManager.default.createDirectory(atPath: folder + "/id-probe", withIntermediateDirectories: true)
        var lines = ""
        for e in 1...epochs {
            lines += "{\"kind\":\"epoch\",\"epoch\":\(e),\"train_loss\":\(1.0 / Double(e)),\"test_mean_auc\":\(auc - 0.1 / Double(e)),\"test_mean_f1\":0.4}\n"
        }
        lines += "{\"kind\":\"evaluation\",\"epoch\":\(epochs),\"id_probe_accuracy\":0.5}\n"
        try lines.write(toFile: folder + "/metrics.jsonl", atomically: true, encoding: .utf8)
        var summary = """
        {"task": "au", "final_train_loss": 0.25, "test_mean_auc": \(auc), "test_mean_f1": 0.4, "test_mean_f1_val_threshold": 0.45,
         "test_mean_f1_all_positive": 0.3
        """
        if let positiveFraction { summary += ", \"test_positive_fraction_val_threshold\": \(positiveFraction)" }
        summary += ", \"per_au\": [{\"au\": 1, \"f1\": 0.5, \"auc\": 0.75}, {\"au\": 12, \"f1\": 0.25, \"auc\": \(auc)}]}"
        try summary.write(toFile: folder + "/summary.json", atomically: true, encoding: .utf8)
        if let probe {
            try "{\"task\": \"id-probe\", \"identity_accuracy\": \(probe), \"chance\": 0.125}".write(toFile: folder + "/id-probe/summary.json", atomically: true, encoding: .utf8)
        } else {
            try FileManager.default.removeItem(atPath: folder + "/id-probe")
        }
        return folder
    }

    func testReadsSummaryMetricsAndProbe() throws {
        let folder = try writeRun("au", auc: 0.8, probe: 0.625)
        let run = try RunRecord.load(folder)
        XCTAssertEqual(run.task, "au")
        XCTAssertEqual(run.series("train_loss").map(\.epoch), [1, 2, 3])
        XCTAssertEqual(run.series("train_loss").map(\.value), [1, 0.5, 1.0 / 3])
        XCTAssertEqual(run.perAU, [.init(au: 1, f1: 0.5, auc: 0.75), .init(au: 12, f1: 0.25, auc: 0.8)])
        XCTAssertEqual(run.identityProbe?.accuracy, 0.625)
        XCTAssertEqual(run.identityProbe?.chance, 0.125)
    }

    func testCompareJSONIsKeyedByFolderWithFractions() throws {
        let a = try writeRun("au", auc: 0.8, probe: 0.625)
        let b = try writeRun("iat", auc: 0.79)
        let json = RunComparison.json(try RunRecord.load([a, b]))
        XCTAssertEqual(json[a]?["mean_auc"], .number(0.8))
        XCTAssertEqual(json[a]?["mean_f1"], .number(0.4))
        XCTAssertEqual(json[a]?["mean_f1_val_threshold"], .number(0.45))
        XCTAssertEqual(json[a]?["mean_f1_all_positive"], .number(0.3))
        XCTAssertEqual(json[a]?["id_probe_accuracy"], .number(0.625))
        XCTAssertEqual(json[a]?["final_train_loss"], .number(0.25))
        XCTAssertEqual(json[b]?["id_probe_accuracy"], .null, "a run without a probe has null, not a missing key")
        XCTAssertNil(json[a]?["accuracy"], "expression accuracy only appears for runs that have it")
    }

    func testRunsWithTheSameLastComponentAreNamedByPath() throws {
        let a = try writeRun("one/au", auc: 0.8)
        let b = try writeRun("two/au", auc: 0.7)
        let c = try writeRun("iat", auc: 0.7)
        XCTAssertEqual(try RunRecord.load([a, b, c]).map(\.name), [a, b, "iat"])
    }

    func testWarnsWhenTheValidationThresholdLabelsAlmostEverythingPositive() throws {
        let lax = try RunRecord.load(try writeRun("lax", auc: 0.6, positiveFraction: 0.97))
        let fine = try RunRecord.load(try writeRun("fine", auc: 0.6, positiveFraction: 0.4))
        XCTAssertEqual(RunComparison.allPositiveWarning(lax), "lax: the validation threshold labels 97% of test frames positive, so its F1 is close to the all-positive F1")
        XCTAssertNil(RunComparison.allPositiveWarning(fine))
    }

    func testReportHasOneCurvePerRunAndNeedsNoNetworkOrScript() throws {
        let runs = try RunRecord.load([try writeRun("au", auc: 0.8, probe: 0.6), try writeRun("iat", auc: 0.78, probe: 0.3),
                                       try writeRun("scratch", auc: 0.6)])
        let page = HTMLReport.render(runs, title: "demo <runs>")
        XCTAssertTrue(page.contains("<title>demo &lt;runs&gt;</title>"))
        XCTAssertFalse(page.lowercased().contains("<script"))
        XCTAssertFalse(page.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http"))
        let lineCharts = page.components(separatedBy: "<svg").dropFirst().filter { $0.contains("line-chart") }
        XCTAssertEqual(lineCharts.count, 3, "loss, mean AUC and mean F1 curves (no pretraining run, so no pretraining loss)")
        for chart in lineCharts {
            let curves = chart.components(separatedBy: "<polyline class=\"series\"").count - 1
            XCTAssertEqual(curves, 3, "one curve per run")
            for name in ["au", "iat", "scratch"] { XCTAssertTrue(chart.contains("data-run=\"\(name)\"")) }
        }
        let probeChart = page.components(separatedBy: "<svg").first { $0.contains("Identity-probe accuracy") }
        XCTAssertNotNil(probeChart)
        XCTAssertEqual((probeChart ?? "").components(separatedBy: "class=\"bar\"").count - 1, 2, "the two probed runs")
        XCTAssertTrue((probeChart ?? "").contains("chance 12.5"))
    }

    func testNiceTicks() {
        func rounded(_ t: [Double]) -> [Double] { t.map { ($0 * 1e9).rounded() / 1e9 } }
        XCTAssertEqual(rounded(niceTicks(0, 1)), [0, 0.2, 0.4, 0.6, 0.8, 1])
        XCTAssertEqual(rounded(niceTicks(0.13, 0.71)), [0.2, 0.4, 0.6])
        XCTAssertEqual(rounded(niceTicks(0, 37)), [0, 10, 20, 30])
    }
}
