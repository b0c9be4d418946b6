import Data
import Foundation
import Metrics
import Tensors
import Training
import Zoo

/// Evaluation of an AU model: per-AU F1 at 0.5, mean F1, per-AU AUC on the test subjects, and mean F1 at
/// one threshold chosen on the validation subjects (held-out training subjects), never on the test set.
/// (FMAE publishes the best threshold chosen on the test set itself; zoo does not.)
public struct AUEvaluation {
    public var actionUnits: [Int]
    public var f1AtHalf: [Double]
    public var auc: [Double?]
    public var threshold: Float
    /// Whether `threshold` was chosen on validation subjects (false: none were given, it stays 0.5).
    public var thresholdFromValidation: Bool
    public var f1AtThreshold: [Double]
    /// F1 of calling every test frame positive, per AU: the floor the F1 figures are read against.
    public var f1AllPositive: [Double]
    /// Share of test (frame, AU) pairs at or above `threshold`.
    public var positiveFractionAtThreshold: Double
    /// Mean AUC on the validation subjects (nil without them): what to choose settings by, never the test.
    public var validationMeanAUC: Double? = nil

    public var meanF1AtHalf: Double { f1AtHalf.reduce(0, +) / Double(max(f1AtHalf.count, 1)) }
    public var meanF1AtThreshold: Double { f1AtThreshold.reduce(0, +) / Double(max(f1AtThreshold.count, 1)) }
    public var meanF1AllPositive: Double { f1AllPositive.reduce(0, +) / Double(max(f1AllPositive.count, 1)) }
    public var meanAUC: Double? { Self.mean(ofKnown: auc) }

    /// The mean of the AUCs that exist (an AU without both classes in the set has none).
    static func mean(ofKnown values: [Double?]) -> Double? {
        let known = values.compactMap { $0 }
        return known.isEmpty ? nil : known.reduce(0, +) / Double(known.count)
    }

    public var metrics: [String: Double] {
        var m = ["test_mean_f1": meanF1AtHalf, "test_mean_f1_val_threshold": meanF1AtThreshold, "val_threshold": Double(threshold),
                 "test_mean_auc": meanAUC ?? .nan, "test_mean_f1_all_positive": meanF1AllPositive,
                 "test_positive_fraction_val_threshold": positiveFractionAtThreshold]
        if let validationMeanAUC { m["val_mean_auc"] = validationMeanAUC }
        return m
    }

    public var perAUJSON: JSONValue {
        .array(actionUnits.indices.map { i in
            .object([("au", .integer(actionUnits[i])), ("f1", .number(f1AtHalf[i])), ("f1_val_threshold", .number(f1AtThreshold[i])),
                     ("f1_all_positive", .number(f1AllPositive[i])), ("auc", auc[i].map { .number($0) } ?? .null)])
        })
    }

    public func text(epoch: Int) -> String { text(title: "epoch \(epoch) test (subjects unseen in training)") }

    public func text(title: String) -> String {
        let header = actionUnits.map { au -> String in
            let name = "AU\(au)"
            return String(repeating: " ", count: max(0, 6 - name.count)) + name
        }.joined()
        let f1 = f1AtHalf.map { String(format: "%6.1f", 100 * $0) }.joined()
        return """
        \(title):
                    \(header)   mean
          F1@0.5    \(f1) \(String(format: "%6.1f", 100 * meanF1AtHalf))
          F1@val    \(f1AtThreshold.map { String(format: "%6.1f", 100 * $0) }.joined()) \(String(format: "%6.1f", 100 * meanF1AtThreshold))   (threshold \(String(format: "%.2f", threshold))\(thresholdFromValidation ? " chosen on validation subjects" : ": no validation subjects to choose one on"); \(String(format: "%.0f", 100 * positiveFractionAtThreshold))% of test labels called positive\(positiveFractionAtThreshold >= 0.95 ? ", so this is about the all-positive F1" : ""))
          all-pos   \(f1AllPositive.map { String(format: "%6.1f", 100 * $0) }.joined()) \(String(format: "%6.1f", 100 * meanF1AllPositive))   (F1 of calling every frame positive)
          AUC       \(auc.map { $0.map { String(format: "%6.1f", 100 * $0) } ?? "     -" }.joined()) \(meanAUC.map { String(format: "%6.1f", 100 * $0) } ?? "-")
        """
    }

    /// Sigmoid probabilities of the `head` for every sample of `data`, with their labels. In a
    /// data-parallel group each rank scores a contiguous run of the batches and every rank gets all the
    /// scores, in dataset order, so the metrics are computed over the whole set, once per rank alike.
    public static func scores(classifier: ClassifierModel, data: AUData, pipeline: ImagePipeline, batchSize: Int, skipBad: Bool,
                              group: ProcessGroup = SingleProcess()) throws -> MultiLabelScores {
        let source = data.batches(batchSize: batchSize, imageSize: pipeline.size, shuffle: false, seed: 0, skipBad: skipBad,
                                  transform: pipeline.evaluation) { ["au": $0.labels] }
        classifier.eval()
        defer { classifier.train() }
        let (scores, labels) = try ShardedEvaluation.gather(batches: source.batchesPerEpoch, group: group) { i in
            let batch = try source.batch(epoch: 0, index: i)
            let logits = withNoGrad { classifier(batch.images)["head"]! }
            return (logits.scalars.map { 1 / (1 + expf(-$0)) }, batch.targets["au"]!.scalars)
        }
        let width = data.samples.first?.labels.count ?? 0
        guard scores.count == labels.count else {
            throw TaskUsageError("the model's head has \(labels.isEmpty ? 0 : scores.count * width / labels.count) outputs, the label file \(width) AUs")
        }
        return MultiLabelScores(scores: scores, labels: labels, labelCount: width)
    }

    public static func run(classifier: ClassifierModel, validation: AUData, test: AUData, pipeline: ImagePipeline,
                           batchSize: Int, actionUnits: [Int], skipBad: Bool, group: ProcessGroup = SingleProcess()) throws -> AUEvaluation {
        let testScores = try scores(classifier: classifier, data: test, pipeline: pipeline, batchSize: batchSize, skipBad: skipBad, group: group)
        var threshold: Float = 0.5
        var validationAUC: Double?
        if !validation.samples.isEmpty {
            let valScores = try scores(classifier: classifier, data: validation, pipeline: pipeline, batchSize: batchSize, skipBad: skipBad,
                                       group: group)
            threshold = valScores.bestThreshold().threshold
            validationAUC = Self.mean(ofKnown: valScores.rocAUCs())
        }
        return AUEvaluation(actionUnits: actionUnits, f1AtHalf: testScores.f1Scores(threshold: 0.5), auc: testScores.rocAUCs(),
                            threshold: threshold, thresholdFromValidation: !validation.samples.isEmpty,
                            f1AtThreshold: testScores.f1Scores(threshold: threshold), f1AllPositive: testScores.allPositiveF1Scores(),
                            positiveFractionAtThreshold: testScores.positiveFraction(threshold: threshold), validationMeanAUC: validationAUC)
    }
}
