import Metrics
import XCTest

// Every expected value below is worked out by hand in the comments, then cross-checked with scikit-learn 1.9.1
// (NumPy 2.4.6, float32 score arrays, binarised `scores >= t` as FMAE-IAT's AU_evaluate does); the sklearn
// results are quoted as "sklearn:".
final class MetricsTests: XCTestCase {
    // 6 samples × 2 labels. Label 1 has scores exactly at 0.5 (positive, since the rule is score ≥ threshold)
    // and tied scores across the classes.
    //
    //   sample  score0 label0   score1 label1
    //     0      0.9     1       0.5     1
    //     1      0.8     0       0.2     0
    //     2      0.6     1       0.7     0
    //     3      0.4     1       0.9     1
    //     4      0.3     0       0.2     1
    //     5      0.1     0       0.5     0
    let sixByTwo = MultiLabelScores(
        scores: [0.9, 0.5,
                 0.8, 0.2,
                 0.6, 0.7,
                 0.4, 0.9,
                 0.3, 0.2,
                 0.1, 0.5],
        labels: [1, 1,
                 0, 0,
                 1, 0,
                 1, 1,
                 0, 1,
                 0, 0],
        labelCount: 2)

    func testF1AtHalf() {
        // Label 0, predicted positive {0, 1, 2}: TP = {0, 2} = 2, FP = {1} = 1, FN = {3} = 1, TN = {4, 5} = 2.
        //   F1 = 2·2 / (2·2 + 1 + 1) = 4/6 = 2/3.
        // Label 1, predicted positive {0, 2, 3, 5} (0 and 5 sit exactly on 0.5): TP = {0, 3} = 2,
        //   FP = {2, 5} = 2, FN = {4} = 1, TN = {1} = 1. F1 = 4 / (4 + 2 + 1) = 4/7.
        // Mean F1 = (2/3 + 4/7) / 2 = (14 + 12) / 42 = 13/21 = 0.6190476…
        // sklearn: f1_score per label [0.6666666666666666, 0.5714285714285714], average="macro" 0.6190476190476191.
        XCTAssertEqual(sixByTwo.sampleCount, 6)
        XCTAssertEqual(sixByTwo.counts(), [
            BinaryCounts(truePositives: 2, falsePositives: 1, falseNegatives: 1, trueNegatives: 2),
            BinaryCounts(truePositives: 2, falsePositives: 2, falseNegatives: 1, trueNegatives: 1),
        ])
        XCTAssertEqual(sixByTwo.f1Scores(), [2.0 / 3.0, 4.0 / 7.0])
        XCTAssertEqual(sixByTwo.meanF1(), 13.0 / 21.0, accuracy: 1e-15)
        XCTAssertEqual(sixByTwo.meanF1(threshold: 0.5), 0.6190476190476191, accuracy: 1e-15)
    }

    func testROCAUCFromPairCounts() {
        // Label 0: positives {0.9, 0.6, 0.4}, negatives {0.8, 0.3, 0.1}, 3·3 = 9 pairs.
        //   0.9 beats all 3; 0.6 beats 0.3, 0.1 (loses to 0.8): 2; 0.4 beats 0.3, 0.1: 2. AUC = 7/9.
        // Label 1 (ties count ½): positives {0.5, 0.9, 0.2}, negatives {0.2, 0.7, 0.5}.
        //   0.5: beats 0.2, ties 0.5, loses to 0.7 → 1.5; 0.9: beats all → 3; 0.2: ties 0.2 → 0.5. AUC = 5/9.
        //   By ranks: 0.2 0.2 | 0.5 0.5 | 0.7 | 0.9 → ranks 1.5 1.5 | 3.5 3.5 | 5 | 6;
        //   R₊ = 3.5 + 6 + 1.5 = 11, U = 11 − 3·4/2 = 5, AUC = 5/9.
        // Mean AUC = (7/9 + 5/9) / 2 = 2/3.
        // sklearn: roc_auc_score per label [0.7777777777777779, 0.5555555555555556].
        let aucs = sixByTwo.rocAUCs()
        XCTAssertEqual(aucs.count, 2)
        XCTAssertEqual(try XCTUnwrap(aucs[0]), 7.0 / 9.0, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(aucs[1]), 5.0 / 9.0, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(sixByTwo.meanROCAUC()), 2.0 / 3.0, accuracy: 1e-12)
    }

    func testROCAUCWithManyTiesMatchesSklearn() {
        // 20 samples, scores ((7i) mod 10) / 10 (every value 0.0 … 0.9 twice, so every score is tied),
        // label 1 when i² mod 7 < 3: 14 positives, 6 negatives, 84 pairs.
        // Counting pairs by brute force (win 1, tie ½): 54, so AUC = 54/84 = 9/14.
        // sklearn: roc_auc_score 0.64285714285714302.
        // F1 at 0.5: 10 predicted positive, TP 9, FP 1, FN 5 → 18/24 = 0.75 (sklearn: 0.75).
        // F1 at 0.3: 14 predicted positive (0.3 itself included), TP 9, FP 5, FN 5 → 18/28 (sklearn: 0.6428571428571429).
        let indices = 0..<20
        let scores = indices.map { Float((7 * $0) % 10) / 10 }
        let labels = indices.map { Float(($0 * $0) % 7 < 3 ? 1 : 0) }
        let data = MultiLabelScores(scores: scores, labels: labels, labelCount: 1)
        XCTAssertEqual(labels.reduce(0, +), 14)
        XCTAssertEqual(try XCTUnwrap(data.rocAUCs()[0]), 0.64285714285714302, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(data.rocAUCs()[0]), 9.0 / 14.0, accuracy: 1e-15)
        XCTAssertEqual(data.f1Scores(threshold: 0.5), [0.75])
        XCTAssertEqual(data.f1Scores(threshold: 0.3), [18.0 / 28.0])
    }

    func testBestThresholdIsNotOneHalf() {
        //   sample  score0 label0   score1 label1
        //     0      0.35    1       0.45    1
        //     1      0.30    1       0.40    1
        //     2      0.20    0       0.28    0
        //     3      0.10    0       0.05    0
        // Label 0 has F1 = 1 exactly when 0.20 < t ≤ 0.30 (both positives in, both negatives out); label 1 when
        // 0.28 < t ≤ 0.40. At 0.5 nothing is predicted positive: both F1 = 0 (TP 0, FN 2).
        // At t = 0.28, score 0.28 is itself positive (≥), so label 1 has TP 2, FP 1 → F1 4/5, mean 0.9.
        // The shared optimum is therefore 0.29 … 0.30 with mean F1 1; the smallest, 0.29, wins.
        // Per label: 0.21 (label 0) and 0.29 (label 1).
        // sklearn (FMAE's sweep of i·0.01, np.argmax over mean F1): threshold 0.29, mean F1 1.0, F1 [1, 1];
        // per-label argmax 0.21 and 0.29; F1 at 0.28 [1.0, 0.8]; F1 at 0.5 [0, 0].
        let data = MultiLabelScores(
            scores: [0.35, 0.45,
                     0.30, 0.40,
                     0.20, 0.28,
                     0.10, 0.05],
            labels: [1, 1,
                     1, 1,
                     0, 0,
                     0, 0],
            labelCount: 2)
        XCTAssertEqual(data.meanF1(threshold: 0.5), 0)
        XCTAssertEqual(data.f1Scores(threshold: 0.28), [1, 0.8])

        let shared = data.bestThreshold()
        XCTAssertEqual(shared.threshold, 0.29)
        XCTAssertEqual(shared.meanF1, 1)
        XCTAssertEqual(shared.f1Scores, [1, 1])

        let perLabel = data.bestThresholdPerLabel()
        XCTAssertEqual(perLabel, [LabelThresholdChoice(threshold: 0.21, f1: 1), LabelThresholdChoice(threshold: 0.29, f1: 1)])

        // Ties go to the smallest threshold whatever the candidates' order: 0.30 and 0.29 both give mean 1.
        XCTAssertEqual(data.bestThreshold(candidates: [0.5, 0.30, 0.29]).threshold, 0.29)
        XCTAssertEqual(data.bestThresholdPerLabel(candidates: [0.5, 0.30, 0.25]).map(\.threshold), [0.25, 0.30])
    }

    func testBestThresholdOnTheSixByTwoExample() {
        // Label 0 for 0.3 < t ≤ 0.4 predicts {0.9, 0.8, 0.6, 0.4}: TP 3, FP 1, FN 0 → 6/7.
        // Label 1 for 0.2 < t ≤ 0.5 predicts {0.5, 0.7, 0.9, 0.5}: TP 2, FP 2, FN 1 → 4/7; for t ≤ 0.2 everything:
        //   TP 3, FP 3 → 6/9 = 2/3, its own best (so its per-label threshold is 0.01).
        // Shared: 0.3 < t ≤ 0.4 gives (6/7 + 4/7)/2 = 5/7 ≈ 0.714; the next best, 0.1 < t ≤ 0.2, gives
        //   label 0 TP 3, FP 2 → 6/8 and (3/4 + 2/3)/2 = 17/24 ≈ 0.708. Best shared threshold 0.31.
        // sklearn (FMAE's sweep): 0.31, mean 0.7142857142857142, F1 [0.85714286, 0.57142857]; per label 0.31, 0.01.
        let shared = sixByTwo.bestThreshold()
        XCTAssertEqual(shared.threshold, 0.31)
        XCTAssertEqual(shared.meanF1, 5.0 / 7.0, accuracy: 1e-15)
        XCTAssertEqual(shared.f1Scores, [6.0 / 7.0, 4.0 / 7.0])
        XCTAssertEqual(sixByTwo.bestThresholdPerLabel(),
                       [LabelThresholdChoice(threshold: 0.31, f1: 6.0 / 7.0),
                        LabelThresholdChoice(threshold: 0.01, f1: 2.0 / 3.0)])
    }

    func testSweepThresholdsAreFMAEs() {
        let thresholds = MultiLabelScores.sweepThresholds
        XCTAssertEqual(thresholds.count, 99)
        XCTAssertEqual(thresholds.first, 0.01)
        XCTAssertEqual(thresholds.last, 0.99)
        XCTAssertEqual(thresholds[27], 0.28)  // Python's 28 * 0.01 = 0.28000000000000003 rounds to Float(0.28).
        XCTAssertEqual(thresholds, thresholds.sorted())
    }

    func testAllNegativeLabel() {
        //   sample  score0 label0   score1 label1
        //     0      0.8     1       0.7     0
        //     1      0.3     0       0.2     0
        //     2      0.6     1       0.1     0
        // Label 1 has no positives. At 0.5: TP 0, FP 1 (sample 0), FN 0 → F1 = 0/1 = 0. At 0.8 nothing is predicted
        // either: 0/0, which is 0 by the zero_division=0 convention. Its AUC is undefined (only one class): nil,
        // and the mean AUC is label 0's alone: positives {0.8, 0.6} both beat the negative 0.3 → 2/2 = 1.
        // sklearn: f1 at 0.5 → 0.0; at 0.8 → 0.0 with "F-score is ill-defined … no true nor predicted samples";
        // roc_auc_score label 1 → UndefinedMetricWarning "Only one class is present in y_true" (nan in 1.9.1;
        // older versions raise ValueError, which FMAE catches to skip the AU); label 0 → 1.0.
        let data = MultiLabelScores(scores: [0.8, 0.7, 0.3, 0.2, 0.6, 0.1], labels: [1, 0, 0, 0, 1, 0], labelCount: 2)
        XCTAssertEqual(data.counts()[1], BinaryCounts(truePositives: 0, falsePositives: 1, falseNegatives: 0, trueNegatives: 2))
        XCTAssertEqual(data.f1Scores(), [1, 0])
        XCTAssertEqual(data.f1Scores(threshold: 0.8)[1], 0)
        XCTAssertEqual(data.counts(threshold: 0.8)[1], BinaryCounts(trueNegatives: 3))
        let aucs = data.rocAUCs()
        XCTAssertEqual(aucs[0], 1)
        XCTAssertNil(aucs[1])
        XCTAssertEqual(data.meanROCAUC(), 1)

        // All positive is just as undefined, and so is any label with a NaN score.
        XCTAssertNil(MultiLabelScores.rocAUC(scores: [0.1, 0.9], labels: [true, true]))
        XCTAssertNil(MultiLabelScores.rocAUC(scores: [0.1, .nan], labels: [true, false]))
        XCTAssertNil(MultiLabelScores(scores: [0.1, 0.9], labels: [0, 0], labelCount: 1).meanROCAUC())
    }

    func testEmptyMultiLabelInput() {
        // N = 0 with K = 3: every count is 0, so every F1 is 0 (zero_division=0) and the mean is 0; no AUC is
        // defined; every threshold ties at mean F1 0, so the smallest candidate is chosen.
        let empty = MultiLabelScores(scores: [], labels: [], labelCount: 3)
        XCTAssertEqual(empty.sampleCount, 0)
        XCTAssertEqual(empty.counts(), [BinaryCounts](repeating: BinaryCounts(), count: 3))
        XCTAssertEqual(empty.f1Scores(), [0, 0, 0])
        XCTAssertEqual(empty.meanF1(), 0)
        XCTAssertEqual(empty.rocAUCs(), [nil, nil, nil])
        XCTAssertNil(empty.meanROCAUC())
        XCTAssertEqual(empty.bestThreshold(), SharedThresholdChoice(threshold: 0.01, meanF1: 0, f1Scores: [0, 0, 0]))
        XCTAssertEqual(empty.bestThresholdPerLabel().map(\.threshold), [0.01, 0.01, 0.01])
    }

    func testColumnAndLayout() {
        let column = sixByTwo.column(1)
        XCTAssertEqual(column.scores, [0.5, 0.2, 0.7, 0.9, 0.2, 0.5])
        XCTAssertEqual(column.labels, [true, false, false, true, true, false])
    }

    // MARK: - Expression classification

    // 8 samples, 3 classes:
    //   truth     [0, 0, 1, 1, 1, 2, 2, 0]
    //   predicted [0, 1, 1, 1, 2, 2, 0, 0]
    // Rows = true class, columns = predicted:
    //   true 0: samples 0 → 0, 1 → 1, 7 → 0   → [2, 1, 0]
    //   true 1: samples 2 → 1, 3 → 1, 4 → 2   → [0, 2, 1]
    //   true 2: samples 5 → 2, 6 → 0          → [1, 0, 1]
    // Accuracy = diagonal 2 + 2 + 1 = 5 of 8 = 0.625. Per class 2/3, 2/3, 1/2; their mean (2/3 + 2/3 + 1/2)/3 = 11/18.
    // sklearn: confusion_matrix [[2 1 0] [0 2 1] [1 0 1]]; accuracy_score 0.625; recall_score(average=None)
    // [0.667 0.667 0.5]; balanced_accuracy_score 0.611111111111111.
    let truth = [0, 0, 1, 1, 1, 2, 2, 0]
    let predicted = [0, 1, 1, 1, 2, 2, 0, 0]

    func testConfusionMatrixAndAccuracies() {
        let matrix = ConfusionMatrix(predicted: predicted, truth: truth, classCount: 3)
        XCTAssertEqual(matrix.counts, [2, 1, 0,
                                       0, 2, 1,
                                       1, 0, 1])
        XCTAssertEqual(matrix[truth: 2, predicted: 0], 1)
        XCTAssertEqual(matrix.sampleCount, 8)
        XCTAssertEqual(matrix.correctCount, 5)
        XCTAssertEqual(matrix.accuracy, 0.625)
        XCTAssertEqual(ClassificationMetrics.topOneAccuracy(predicted: predicted, truth: truth), 0.625)
        XCTAssertEqual(matrix.perClassAccuracy, [2.0 / 3.0, 2.0 / 3.0, 0.5])
        XCTAssertEqual(try XCTUnwrap(matrix.meanClassAccuracy), 11.0 / 18.0, accuracy: 1e-15)
    }

    func testConfusionMatrixFromLogits() {
        // Logit rows whose argmax gives `predicted`, with ties that must resolve to the lowest index:
        // row 1 ties classes 1 and 2 (→ 1), row 6 ties all three (→ 0), row 7 ties 0 and 2 (→ 0).
        let logits: [Float] = [
            3, 1, 0,
            -1, 2, 2,
            0.1, 0.9, 0.0,
            -5, -1, -3,
            0, 0.2, 0.3,
            1, 1, 4,
            7, 7, 7,
            2, -2, 2,
        ]
        XCTAssertEqual(ClassificationMetrics.predictedClasses(logits, classCount: 3), predicted)
        XCTAssertEqual(ConfusionMatrix(scores: logits, truth: truth, classCount: 3),
                       ConfusionMatrix(predicted: predicted, truth: truth, classCount: 3))
    }

    func testArgmaxTiesAndNaN() {
        // torch.argmax and np.argmax on [[1,3,3],[2,2,2],[-1,-5,0],[0,nan,nan]] give [1, 0, 2, 1].
        XCTAssertEqual(ClassificationMetrics.argmax([1, 3, 3] as [Float]), 1)
        XCTAssertEqual(ClassificationMetrics.argmax([2, 2, 2] as [Float]), 0)
        XCTAssertEqual(ClassificationMetrics.argmax([-1, -5, 0] as [Float]), 2)
        XCTAssertEqual(ClassificationMetrics.argmax([0, .nan, .nan] as [Float]), 1)
        XCTAssertEqual(ClassificationMetrics.argmax([-.infinity] as [Float]), 0)
        XCTAssertNil(ClassificationMetrics.argmax([] as [Float]))
    }

    func testClassAbsentFromLabels() {
        // 4 classes; truth [0, 1, 1], predicted [0, 3, 1]. Classes 2 and 3 never occur as truth → nil accuracy
        // (class 3 is still predicted once, in row 1). Mean over the defined classes: (1 + 1/2) / 2 = 0.75.
        // sklearn: confusion_matrix(labels=[0,1,2,3]) [[1,0,0,0],[0,1,0,1],[0,0,0,0],[0,0,0,0]];
        // balanced_accuracy_score 0.75 with "y_pred contains classes not in y_true".
        let matrix = ConfusionMatrix(predicted: [0, 3, 1], truth: [0, 1, 1], classCount: 4)
        XCTAssertEqual(matrix.counts, [1, 0, 0, 0,
                                       0, 1, 0, 1,
                                       0, 0, 0, 0,
                                       0, 0, 0, 0])
        XCTAssertEqual(matrix.perClassAccuracy, [1, 0.5, nil, nil])
        XCTAssertEqual(matrix.meanClassAccuracy, 0.75)
        XCTAssertEqual(try XCTUnwrap(matrix.accuracy), 2.0 / 3.0, accuracy: 1e-15)
    }

    func testEmptyClassificationInput() {
        let matrix = ConfusionMatrix(predicted: [], truth: [], classCount: 7)
        XCTAssertEqual(matrix.counts, [Int](repeating: 0, count: 49))
        XCTAssertEqual(matrix.sampleCount, 0)
        XCTAssertNil(matrix.accuracy)
        XCTAssertEqual(matrix.perClassAccuracy, [Double?](repeating: nil, count: 7))
        XCTAssertNil(matrix.meanClassAccuracy)
        XCTAssertNil(ClassificationMetrics.topOneAccuracy(predicted: [], truth: []))
        XCTAssertEqual(ClassificationMetrics.predictedClasses([], classCount: 7), [])
        XCTAssertEqual(ConfusionMatrix(scores: [], truth: [], classCount: 7), matrix)
    }
}

/// The all-positive floor of F1 and the share of predictions called positive, by hand.
final class AllPositiveTests: XCTestCase {
    func testAllPositiveF1IsTwoPOverOnePlusP() {
        // Two labels over four samples: label 0 has 1 positive (p = 1/4), label 1 none.
        let scores = MultiLabelScores(scores: [0.9, 0.1, 0.2, 0.3, 0.4, 0.6, 0.05, 0.7],
                                      labels: [1, 0, 0, 0, 0, 0, 0, 0], labelCount: 2)
        let f1 = scores.allPositiveF1Scores()
        XCTAssertEqual(f1[0], 2 * 0.25 / 1.25, accuracy: 1e-12)  // precision 1/4, recall 1: 0.4
        XCTAssertEqual(f1[1], 0, "no positives: every call is a false positive, F1 0")
        XCTAssertEqual(scores.positiveFraction(threshold: 0.5), 3.0 / 8)
        XCTAssertEqual(scores.positiveFraction(threshold: 0.0), 1)
        XCTAssertEqual(MultiLabelScores(scores: [], labels: [], labelCount: 1).positiveFraction(threshold: 0.5), 0)
    }
}
