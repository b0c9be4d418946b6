import ArgumentParser
import Foundation
import Zoo

/// Side-by-side results of finished runs (their summary.json, and id-probe/summary.json when probed).
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare", abstract: "Print the results of runs side by side: per-AU F1, mean F1, AUC, identity-probe accuracy.")

    @Argument(help: "Run folders (written by zoo run au / iat / fer).") var runs: [String]

    func run() throws {
        try reportingErrors {
            var summaries: [(name: String, summary: JSONValue, probe: JSONValue?)] = []
            // Columns are named by the folder's last component, or by the path where two runs share it.
            let lastComponents = runs.map { ($0 as NSString).lastPathComponent }
            for (dir, last) in zip(runs, lastComponents) {
                let summary = try ModelBuilder.loadSpec(file: dir + "/summary.json")
                let probeFile = dir + "/id-probe/summary.json"
                let probe = FileManager.default.fileExists(atPath: probeFile) ? try ModelBuilder.loadSpec(file: probeFile) : nil
                summaries.append((lastComponents.filter { $0 == last }.count > 1 ? dir : last, summary, probe))
            }
            func number(_ v: JSONValue?) -> Double? {
                switch v {
                case let .number(d)?: return d
                case let .integer(i)?: return Double(i)
                default: return nil
                }
            }
            func cell(_ v: Double?, percent: Bool = true) -> String {
                guard let v else { return "-".leftPadded(10) }
                return String(format: percent ? "%.1f" : "%.2f", percent ? 100 * v : v).leftPadded(10)
            }
            print("".padding(toLength: 26, withPad: " ", startingAt: 0) + summaries.map { $0.name.leftPadded(10) }.joined())
            // Per-AU F1 rows, from the first run's AU list.
            if case let .array(perAU)? = summaries.first?.summary["per_au"] {
                for (i, entry) in perAU.enumerated() {
                    guard case let .integer(au)? = entry["au"] else { continue }
                    let values = summaries.map { s -> Double? in
                        if case let .array(list)? = s.summary["per_au"], i < list.count { return number(list[i]["f1"]) }
                        return nil
                    }
                    print("AU\(au) F1@0.5".padding(toLength: 26, withPad: " ", startingAt: 0) + values.map { cell($0) }.joined())
                }
            }
            let rows: [(String, (JSONValue, JSONValue?) -> Double?, Bool)] = [
                ("mean F1@0.5 (test)", { s, _ in number(s["test_mean_f1"]) }, true),
                ("mean F1@val threshold", { s, _ in number(s["test_mean_f1_val_threshold"]) }, true),
                ("mean AUC (test)", { s, _ in number(s["test_mean_auc"]) }, true),
                ("accuracy (test)", { s, _ in number(s["test_accuracy"]) }, true),
                ("id-probe accuracy", { _, p in number(p?["identity_accuracy"]) }, true),
                ("final training loss", { s, _ in number(s["final_train_loss"]) }, false),
            ]
            for (label, value, percent) in rows {
                let values = summaries.map { value($0.summary, $0.probe) }
                if values.allSatisfy({ $0 == nil }) { continue }
                print(label.padding(toLength: 26, withPad: " ", startingAt: 0) + values.map { cell($0, percent: percent) }.joined())
            }
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? " " + self : String(repeating: " ", count: width - count) + self }
}
