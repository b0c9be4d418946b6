import Foundation
import Metrics
import Zoo

/// A confusion matrix as the expression tasks print and record it (rows true, columns predicted).
extension ConfusionMatrix {
    func text(classes: [String]) -> String {
        "confusion matrix (rows true, columns predicted):\n" + classes.indices.map { t in
            classes[t].padding(toLength: 14, withPad: " ", startingAt: 0) + classes.indices.map { String(format: "%6d", self[truth: t, predicted: $0]) }.joined()
        }.joined(separator: "\n")
    }

    func json(classCount: Int) -> JSONValue {
        .array((0..<classCount).map { t in .array((0..<classCount).map { .integer(self[truth: t, predicted: $0]) }) })
    }

    var perClassJSON: JSONValue { .array(perClassAccuracy.map { $0.map { .number($0) } ?? .null }) }
}
