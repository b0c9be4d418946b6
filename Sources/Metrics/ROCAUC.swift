extension MultiLabelScores {
    /// The area under the ROC curve of one label, from its scores and 0/1 ground truths: the probability that a
    /// random positive scores higher than a random negative, a tie counting one half.
    ///
    /// Computed as the Mann–Whitney U statistic: rank all N scores ascending from 1, giving tied scores the
    /// average of the ranks they span; with R₊ the sum of the positives' ranks, P positives and Q negatives,
    ///
    ///     AUC = (R₊ − P(P+1)/2) / (P·Q)
    ///
    /// which equals sklearn's `roc_auc_score` (trapezoids under the ROC curve, whose diagonal steps are the ties).
    /// It needs no threshold. O(N log N).
    ///
    /// - Returns: nil when the AUC is undefined: no positives or no negatives, which includes N = 0 (sklearn
    ///   raised ValueError "Only one class present in y_true", which FMAE catches to skip that AU; sklearn 1.9
    ///   warns and returns NaN instead); or a NaN score (sklearn rejects the input).
    public static func rocAUC(scores: [Float], labels: [Bool]) -> Double? {
        precondition(scores.count == labels.count, "\(scores.count) scores but \(labels.count) labels")
        let positives = labels.lazy.filter { $0 }.count
        let negatives = labels.count - positives
        guard positives > 0, negatives > 0, !scores.contains(where: \.isNaN) else { return nil }

        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var positiveRankSum = 0.0
        var start = 0
        while start < order.count {
            // [start, end) is one group of equal scores, holding the 1-based ranks start+1 … end.
            var end = start + 1
            while end < order.count && scores[order[end]] == scores[order[start]] { end += 1 }
            let averageRank = Double(start + 1 + end) / 2
            for position in start..<end where labels[order[position]] {
                positiveRankSum += averageRank
            }
            start = end
        }
        let p = Double(positives)
        let u = positiveRankSum - p * (p + 1) / 2
        return u / (p * Double(negatives))
    }

    /// Each label's ROC AUC (see `rocAUC(scores:labels:)`); K values, nil where a label has only one class among
    /// the samples (or a NaN score).
    public func rocAUCs() -> [Double?] {
        (0..<labelCount).map { label in
            let column = column(label)
            return Self.rocAUC(scores: column.scores, labels: column.labels)
        }
    }

    /// The mean ROC AUC over the labels where it is defined, skipping the nil ones as FMAE does (it catches
    /// sklearn's ValueError for that AU and averages the rest). nil when no label has one.
    public func meanROCAUC() -> Double? {
        let defined = rocAUCs().compactMap { $0 }
        return defined.isEmpty ? nil : defined.reduce(0, +) / Double(defined.count)
    }
}
