import ArgumentParser
import Foundation
import Reports
import Zoo

/// Side-by-side results of finished runs (their summary.json, and id-probe/summary.json when probed).
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Print the results of runs side by side: per-AU F1, mean F1 (beside the all-positive F1), AUC, identity-probe accuracy.")

    @Argument(help: "Run folders (written by zoo run au / iat / fer / pretrain).") var runs: [String]
    @Flag(help: "Print one JSON object keyed by run folder, fractions in 0–1.") var json = false

    func run() throws {
        try reportingErrors {
            let records = try RunRecord.load(runs)
            if json {
                printJSON(RunComparison.json(records))
                return
            }
            let width = max(10, records.map { $0.name.count + 2 }.max() ?? 0)
            func cell(_ v: Double?, percent: Bool = true) -> String {
                guard let v else { return "-".leftPadded(width) }
                return String(format: percent ? "%.1f" : "%.4f", percent ? 100 * v : v).leftPadded(width)
            }
            print("".padding(toLength: 26, withPad: " ", startingAt: 0) + records.map { $0.name.leftPadded(width) }.joined())
            // Per-AU F1 rows, on the first run's AU list.
            for au in records.first(where: { !$0.perAU.isEmpty })?.perAU.map(\.au) ?? [] {
                let values = records.map { r in r.perAU.first { $0.au == au }?.f1 }
                print("AU\(au) F1@0.5".padding(toLength: 26, withPad: " ", startingAt: 0) + values.map { cell($0) }.joined())
            }
            for row in RunComparison.rows {
                let values = records.map(row.value)
                if values.allSatisfy({ $0 == nil }) { continue }
                print(row.label.padding(toLength: 26, withPad: " ", startingAt: 0) + values.map { cell($0, percent: row.percent) }.joined())
            }
            for note in records.compactMap(RunComparison.allPositiveWarning) { print("note: " + note) }
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? " " + self : String(repeating: " ", count: width - count) + self }
}
