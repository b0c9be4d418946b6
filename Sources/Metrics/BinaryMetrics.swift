/// Multi-label binary detection results (facial action units): N samples × K labels, each a score (a
/// probability, e.g. the sigmoid of the AU head's logits) and a 0/1 ground truth.
///
/// Scores and labels are flat and row-major, as `Tensor.scalars` of an [N, K] tensor lays them out: label `k`
/// of sample `n` is at `n * labelCount + k`. Keeping them flat keeps K known when there are no samples.
///
/// Binarisation: a sample is predicted positive for a label when `score >= threshold`, as FMAE-IAT's
/// `AU_evaluate` does (`y_pred[y_probs >= threshold] = 1`). The comparison is made in `Float`, which is what
/// NumPy does when it compares a float32 array with a Python float, so a score equal to `Float(0.07)` counts as
/// positive at the threshold 0.07. NaN scores are never positive.
public struct MultiLabelScores: Equatable, Sendable {
    /// N: how many samples (rows).
    public let sampleCount: Int
    /// K: how many labels (columns), e.g. 12 AUs for BP4D.
    public let labelCount: Int
    /// N × K scores, row-major.
    public let scores: [Float]
    /// N × K ground truths, row-major: `true` where the label is present.
    public let labels: [Bool]

    /// - Parameters:
    ///   - scores: N × K scores, row-major.
    ///   - labels: N × K ground truths, row-major; each must be exactly 0 or 1.
    ///   - labelCount: K, at least 1. N = `scores.count / K` may be 0: every metric then has a documented value.
    public init(scores: [Float], labels: [Float], labelCount: Int) {
        precondition(labelCount >= 1, "multi-label scores need at least one label, got labelCount \(labelCount)")
        precondition(scores.count % labelCount == 0,
                     "\(scores.count) scores do not make rows of \(labelCount) labels")
        precondition(labels.count == scores.count,
                     "\(scores.count) scores but \(labels.count) labels: both must be N × \(labelCount)")
        self.labelCount = labelCount
        self.sampleCount = scores.count / labelCount
        self.scores = scores
        self.labels = labels.enumerated().map { index, value in
            precondition(value == 0 || value == 1,
                         "label \(index % labelCount) of sample \(index / labelCount) is \(value); labels must be 0 or 1")
            return value == 1
        }
    }

    /// Label `label`'s column: its N scores and N ground truths.
    public func column(_ label: Int) -> (scores: [Float], labels: [Bool]) {
        precondition(label >= 0 && label < labelCount, "label \(label) out of range 0..<\(labelCount)")
        let indices = stride(from: label, to: scores.count, by: labelCount)
        return (indices.map { scores[$0] }, indices.map { labels[$0] })
    }

    /// Each label's confusion counts with predictions `score >= threshold`.
    public func counts(threshold: Float = 0.5) -> [BinaryCounts] {
        var counts = [BinaryCounts](repeating: BinaryCounts(), count: labelCount)
        for index in scores.indices {
            let predicted = scores[index] >= threshold
            let label = index % labelCount
            switch (predicted, labels[index]) {
            case (true, true): counts[label].truePositives += 1
            case (true, false): counts[label].falsePositives += 1
            case (false, true): counts[label].falseNegatives += 1
            case (false, false): counts[label].trueNegatives += 1
            }
        }
        return counts
    }

    /// Each label's F1 (see `BinaryCounts.f1`) with predictions `score >= threshold`; K values.
    /// FMAE prints these at 0.5 as its per-AU F1.
    public func f1Scores(threshold: Float = 0.5) -> [Double] {
        counts(threshold: threshold).map(\.f1)
    }

    /// Each label's F1 when every sample is called positive: 2p / (1 + p) for a positive rate p (0 when
    /// nothing is positive). A threshold that labels almost everything positive scores about this, so an
    /// F1 is only worth something above it.
    public func allPositiveF1Scores() -> [Double] {
        f1Scores(threshold: -.infinity)
    }

    /// The share of all N·K predictions with `score >= threshold`.
    public func positiveFraction(threshold: Float) -> Double {
        scores.isEmpty ? 0 : Double(scores.lazy.filter { $0 >= threshold }.count) / Double(scores.count)
    }

    /// The unweighted mean of the K per-label F1 scores (sklearn `f1_score(average="macro")` over labels, which
    /// is FMAE's "mean F1 over AUs"). With no samples every F1 is 0, so this is 0.
    public func meanF1(threshold: Float = 0.5) -> Double {
        f1Scores(threshold: threshold).reduce(0, +) / Double(labelCount)
    }
}

/// One label's confusion counts.
public struct BinaryCounts: Equatable, Sendable {
    public var truePositives = 0
    public var falsePositives = 0
    public var falseNegatives = 0
    public var trueNegatives = 0

    public init(truePositives: Int = 0, falsePositives: Int = 0, falseNegatives: Int = 0, trueNegatives: Int = 0) {
        self.truePositives = truePositives
        self.falsePositives = falsePositives
        self.falseNegatives = falseNegatives
        self.trueNegatives = trueNegatives
    }

    /// F1 = 2·TP / (2·TP + FP + FN), the harmonic mean of precision and recall written without them, so it
    /// is defined whenever anything is positive. When nothing is positive, neither in the labels nor in the
    /// predictions (TP = FP = FN = 0), it is 0: sklearn's `f1_score` with `zero_division=0` (and with its default
    /// "warn", which FMAE runs, plus a warning).
    public var f1: Double {
        let denominator = 2 * truePositives + falsePositives + falseNegatives
        return denominator == 0 ? 0 : Double(2 * truePositives) / Double(denominator)
    }
}
