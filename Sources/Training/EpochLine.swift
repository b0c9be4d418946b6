import Foundation

/// The one line a training run prints per epoch: loss and learning rate, then whichever test figures the
/// task's evaluation returned. (Per-label tables are printed once, at the end of a run.)
enum EpochLine {
    /// (metrics key, label, shown as a percentage).
    static let shown: [(key: String, label: String, percent: Bool)] = [
        ("test_mean_f1", "test mean F1", true),
        ("test_mean_auc", "mean AUC", true),
        ("test_accuracy", "test accuracy", true),
        ("train_id_accuracy", "train id accuracy", true),
    ]

    static func format(epoch: Int, of total: Int, _ line: [String: Double]) -> String {
        var text = "epoch \(epoch)/\(total)"
        if let loss = line["train_loss"] { text += String(format: "  loss %.4f", loss) }
        for item in shown {
            guard let v = line[item.key], v.isFinite else { continue }
            text += "  \(item.label) " + (item.percent ? String(format: "%.1f", 100 * v) : String(format: "%.4f", v))
        }
        if let lr = line["lr"] { text += String(format: "  lr %.2e", lr) }
        return text
    }
}
