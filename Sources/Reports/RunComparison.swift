import Foundation
import JSON

/// The figures runs are compared by, in one table shared by `zoo compare` (text and `--json`) and
/// `zoo report`. All are fractions in 0…1 except the loss.
public enum RunComparison {
    public struct Row {
        public let label: String
        /// The key in `zoo compare --json`.
        public let key: String
        public let percent: Bool
        public let value: (RunRecord) -> Double?
    }

    public static let rows: [Row] = [
        Row(label: "mean AUC (test)", key: "mean_auc", percent: true) { $0.number("test_mean_auc") },
        Row(label: "mean F1@0.5 (test)", key: "mean_f1", percent: true) { $0.number("test_mean_f1") },
        Row(label: "mean F1@val threshold", key: "mean_f1_val_threshold", percent: true) { $0.number("test_mean_f1_val_threshold") },
        Row(label: "mean F1, all positive", key: "mean_f1_all_positive", percent: true) { $0.number("test_mean_f1_all_positive") },
        Row(label: "accuracy (test)", key: "accuracy", percent: true) { $0.number("test_accuracy") },
        Row(label: "id-probe accuracy", key: "id_probe_accuracy", percent: true) { $0.identityProbe?.accuracy },
        Row(label: "final training loss", key: "final_train_loss", percent: false) { $0.number("final_train_loss") },
    ]

    /// Keys that `--json` always prints (null when a run lacks them); the others only when some run has them.
    static let alwaysInJSON: Set<String> = ["mean_auc", "mean_f1", "mean_f1_val_threshold", "mean_f1_all_positive",
                                            "id_probe_accuracy", "final_train_loss"]

    /// Share of test frames (over all AUs) at or above the threshold chosen on validation subjects; at
    /// 0.95 or more the "F1 at the validation threshold" is the all-positive F1 in disguise.
    public static func positiveFractionAtValidationThreshold(_ run: RunRecord) -> Double? {
        run.number("test_positive_fraction_val_threshold")
    }

    public static func allPositiveWarning(_ run: RunRecord) -> String? {
        guard let fraction = positiveFractionAtValidationThreshold(run), fraction >= 0.95 else { return nil }
        return String(format: "%@: the validation threshold labels %.0f%% of test frames positive, so its F1 is close to the all-positive F1",
                      run.name, 100 * fraction)
    }

    /// `zoo compare --json`: one object keyed by run folder.
    public static func json(_ runs: [RunRecord]) -> JSONValue {
        .object(runs.map { run in
            var pairs: [(String, JSONValue)] = [("task", .string(run.task))]
            for row in rows {
                let v = row.value(run)
                if v == nil && !alwaysInJSON.contains(row.key) { continue }
                pairs.append((row.key, v.map { $0.isFinite ? .number($0) : .null } ?? .null))
            }
            if let f = positiveFractionAtValidationThreshold(run) { pairs.append(("positive_fraction_val_threshold", .number(f))) }
            return (run.path, .object(pairs))
        })
    }
}
