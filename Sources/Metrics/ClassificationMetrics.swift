/// Single-label classification metrics for expression recognition (RAF-DB 7 classes, AffectNet-8): top-1
/// accuracy, per-class accuracy and the confusion matrix, from predicted and true class indices.
///
/// Predictions come from logits or probabilities with `ClassificationMetrics.predictedClasses(_:classCount:)`; softmax does not change the
/// argmax, so either works.
public struct ConfusionMatrix: Equatable, Sendable {
    /// C: how many classes.
    public let classCount: Int
    /// C × C counts, row-major: row = true class, column = predicted class (sklearn's `confusion_matrix`).
    public private(set) var counts: [Int]

    /// - Parameters:
    ///   - predicted: N predicted classes, each in 0..<C.
    ///   - truth: N true classes, each in 0..<C. N = 0 gives an all-zero matrix.
    ///   - classCount: C, at least 1.
    public init(predicted: [Int], truth: [Int], classCount: Int) {
        precondition(classCount >= 1, "a confusion matrix needs at least one class, got \(classCount)")
        precondition(predicted.count == truth.count,
                     "\(predicted.count) predictions but \(truth.count) true classes")
        self.classCount = classCount
        self.counts = [Int](repeating: 0, count: classCount * classCount)
        for (sample, (p, t)) in zip(predicted, truth).enumerated() {
            precondition(t >= 0 && t < classCount, "true class \(t) of sample \(sample) out of range 0..<\(classCount)")
            precondition(p >= 0 && p < classCount, "predicted class \(p) of sample \(sample) out of range 0..<\(classCount)")
            counts[t * classCount + p] += 1
        }
    }

    /// Builds the matrix from N × C logits or probabilities (row-major) through `ClassificationMetrics.predictedClasses`.
    public init(scores: [Float], truth: [Int], classCount: Int) {
        self.init(predicted: ClassificationMetrics.predictedClasses(scores, classCount: classCount), truth: truth, classCount: classCount)
    }

    /// How many samples of class `truth` were predicted as `predicted`.
    public subscript(truth truth: Int, predicted predicted: Int) -> Int {
        counts[truth * classCount + predicted]
    }

    /// N.
    public var sampleCount: Int { counts.reduce(0, +) }

    /// The diagonal's sum: correctly classified samples.
    public var correctCount: Int { (0..<classCount).reduce(0) { $0 + self[truth: $1, predicted: $1] } }

    /// Top-1 accuracy, correct / N (sklearn `accuracy_score`; FMAE's Acc@1 divided by 100). nil when N = 0.
    public var accuracy: Double? {
        let total = sampleCount
        return total == 0 ? nil : Double(correctCount) / Double(total)
    }

    /// Each class's accuracy: the recall of that true class, diagonal / row sum (the diagonal of sklearn's
    /// `confusion_matrix(normalize="true")`). C values, nil for a class absent from the true labels.
    public var perClassAccuracy: [Double?] {
        (0..<classCount).map { row in
            let rowTotal = (0..<classCount).reduce(0) { $0 + self[truth: row, predicted: $1] }
            return rowTotal == 0 ? nil : Double(self[truth: row, predicted: row]) / Double(rowTotal)
        }
    }

    /// The mean of the defined per-class accuracies (sklearn `balanced_accuracy_score`, which also averages over
    /// the classes present in the true labels only). nil when N = 0.
    public var meanClassAccuracy: Double? {
        let defined = perClassAccuracy.compactMap { $0 }
        return defined.isEmpty ? nil : defined.reduce(0, +) / Double(defined.count)
    }
}

/// Free-standing classification helpers: accuracy of index lists, and argmax over scores.
public enum ClassificationMetrics {
    /// Top-1 accuracy of predicted against true classes, correct / N; nil when N = 0.
    public static func topOneAccuracy(predicted: [Int], truth: [Int]) -> Double? {
        precondition(predicted.count == truth.count, "\(predicted.count) predictions but \(truth.count) true classes")
        guard !truth.isEmpty else { return nil }
        let correct = zip(predicted, truth).lazy.filter { $0 == $1 }.count
        return Double(correct) / Double(truth.count)
    }

    /// The index of the largest value; ties go to the lowest index (as `torch.argmax` and `np.argmax`), and the
    /// first NaN counts as the largest (as both do). nil for an empty collection.
    public static func argmax<C: Collection>(_ values: C) -> Int? where C.Element == Float {
        var bestOffset: Int?
        var bestValue = -Float.infinity
        for (offset, value) in values.enumerated() {
            if value.isNaN { return offset }
            if bestOffset == nil || value > bestValue {
                bestOffset = offset
                bestValue = value
            }
        }
        return bestOffset
    }

    /// The predicted class of each of N rows of C logits or probabilities (row-major N × C, e.g. `Tensor.scalars`
    /// of an [N, C] tensor), by `argmax`. N = 0 gives [].
    public static func predictedClasses(_ scores: [Float], classCount: Int) -> [Int] {
        precondition(classCount >= 1, "argmax needs at least one class, got \(classCount)")
        precondition(scores.count % classCount == 0, "\(scores.count) scores do not make rows of \(classCount) classes")
        return stride(from: 0, to: scores.count, by: classCount).map { start in
            argmax(scores[start..<(start + classCount)])!
        }
    }
}
