/// Picking the decision threshold that maximises F1, as FMAE-IAT reports its AU results.
///
/// FMAE's `AU_evaluate` binarises with `y_probs >= i * 0.01` for i = 1 … 99, computes every AU's F1 at each
/// threshold, and reports the row with the largest mean F1 (`np.argmax`, so the first, i.e. smallest, threshold
/// among equals). It sweeps on the test set itself, which inflates the scores (see FMAE-NOTES.md).
extension MultiLabelScores {
    /// FMAE's candidates 0.01, 0.02, … 0.99: `i * 0.01` in Double (Python's float) rounded to Float, the value
    /// a float32 score is compared against.
    public static let sweepThresholds: [Float] = (1...99).map { Float(Double($0) * 0.01) }

    /// Mean F1 values closer than this count as equal, so that mathematically equal means summed in another
    /// order still tie and the smallest threshold wins.
    public static let meanF1TieTolerance = 1e-12

    /// The single threshold, shared by all labels, with the largest mean F1 over labels (FMAE's published metric).
    /// Ties go to the smallest threshold, whatever the order of `candidates`. With no samples every mean F1 is 0,
    /// so the smallest candidate is returned.
    ///
    /// - Parameter candidates: thresholds to try; not empty, no NaN.
    public func bestThreshold(candidates: [Float] = MultiLabelScores.sweepThresholds) -> SharedThresholdChoice {
        precondition(!candidates.isEmpty, "a threshold search needs at least one candidate")
        precondition(!candidates.contains(where: \.isNaN), "threshold candidates must not be NaN")
        var best: SharedThresholdChoice?
        for threshold in candidates.sorted() {
            let f1Scores = f1Scores(threshold: threshold)
            let meanF1 = f1Scores.reduce(0, +) / Double(labelCount)
            // Ascending order: only a strictly (beyond the tolerance) larger mean displaces the incumbent.
            if best == nil || meanF1 > best!.meanF1 + Self.meanF1TieTolerance {
                best = SharedThresholdChoice(threshold: threshold, meanF1: meanF1, f1Scores: f1Scores)
            }
        }
        return best!
    }

    /// For each label on its own, the threshold with the largest F1 (FMAE's commented-out per-AU variant, an
    /// upper bound of the shared one). Ties go to the smallest threshold. K choices.
    ///
    /// - Parameter candidates: thresholds to try; not empty, no NaN.
    public func bestThresholdPerLabel(candidates: [Float] = MultiLabelScores.sweepThresholds) -> [LabelThresholdChoice] {
        precondition(!candidates.isEmpty, "a threshold search needs at least one candidate")
        precondition(!candidates.contains(where: \.isNaN), "threshold candidates must not be NaN")
        var best = [LabelThresholdChoice?](repeating: nil, count: labelCount)
        for threshold in candidates.sorted() {
            for (label, f1) in f1Scores(threshold: threshold).enumerated() {
                // F1 values are single fractions computed the same way, so equal ones are bit-equal.
                if best[label] == nil || f1 > best[label]!.f1 {
                    best[label] = LabelThresholdChoice(threshold: threshold, f1: f1)
                }
            }
        }
        return best.map { $0! }
    }
}

/// The outcome of `MultiLabelScores.bestThreshold`: the threshold, the mean F1 there, and each label's F1 there.
public struct SharedThresholdChoice: Equatable, Sendable {
    public let threshold: Float
    public let meanF1: Double
    /// K values.
    public let f1Scores: [Double]

    public init(threshold: Float, meanF1: Double, f1Scores: [Double]) {
        self.threshold = threshold
        self.meanF1 = meanF1
        self.f1Scores = f1Scores
    }
}

/// One label's outcome of `MultiLabelScores.bestThresholdPerLabel`.
public struct LabelThresholdChoice: Equatable, Sendable {
    public let threshold: Float
    public let f1: Double

    public init(threshold: Float, f1: Double) {
        self.threshold = threshold
        self.f1 = f1
    }
}
