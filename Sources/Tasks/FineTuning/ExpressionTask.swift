import Data
import Foundation
import Images
import Metrics
import Tensors
import Training
import Zoo

/// `zoo run fer`: facial expression recognition fine-tuning (FMAE's RAF-DB / AffectNet recipe):
/// ImageFolder data, cross-entropy with optional label smoothing; reports accuracy, per-class accuracy
/// and the confusion matrix.
public enum ExpressionTask: TaskPlugin {
    public static let name = "fer"
    public static let summary = "fine-tune an encoder (or a Keras/network model) for expression classification (ImageFolder data; accuracy, per-class accuracy, confusion matrix)"
    public static let options = FineTuningSetup.trainingOptions + ExpressionDataOptions.options

    public static func run(_ a: TaskArguments) throws {
        let dataOptions = try ExpressionDataOptions(a)
        let train = try ImageFolderDataset.load(root: dataOptions.train, preset: dataOptions.preset)
        let test = try ImageFolderDataset.load(root: dataOptions.test, preset: dataOptions.preset)
        guard train.classes == test.classes else {
            throw DataError("\(test.root): class folders \(test.classes) differ from the training folders \(train.classes)")
        }
        if try NetworkExpressionFineTuning.isNetwork(a) {
            return try NetworkExpressionFineTuning.run(a, data: dataOptions, train: train, test: test)
        }
        let classes = train.classes.count
        let setup = try FineTuningSetup(a, heads: { std in [.object([("name", .string("head")), ("type", .string("linear")),
                                                                     ("out_features", .integer(classes)), ("init_std", .number(std))])] })
        if case .finished = setup.start { return }
        let classifier = setup.classifier, options = setup.options
        let smoothing = dataOptions.labelSmoothing
        let skipBad = setup.data.skipBad
        let pipeline = ImagePipeline(size: classifier.encoder.imageSize, augment: setup.data.augment)

        let trainSource = train.batches(batchSize: options.globalBatchSize, imageSize: pipeline.size, shuffle: true, seed: options.seed,
                                        skipBad: skipBad, transform: pipeline.train)
        trainSource.part = setup.trainer.group.rank
        trainSource.parts = setup.trainer.group.size
        // Made for each copy of the model that trains (`--replicas`).
        let objectiveFor: (ZooModel) throws -> Trainer.Objective = { model in
            let classifier = try model.role(ClassifierModel.self, "an encoder with heads", for: "zoo run fer")
            return { batch in
                let classes = batch.targets["class"]!.scalars.map { Int($0) }
                return (Tensor.crossEntropy(logits: classifier(batch.images)["head"]!, targets: classes, labelSmoothing: smoothing), [:])
            }
        }
        var matrix: ConfusionMatrix?
        let evaluate: (Int) throws -> [String: Double] = { epoch in
            let m = try ExpressionEvaluation.confusion(classifier: classifier, data: test, pipeline: pipeline,
                                                       batchSize: options.batchSize, skipBad: skipBad, group: setup.trainer.group)
            matrix = m
            return ["test_accuracy": m.accuracy ?? .nan, "test_mean_class_accuracy": m.meanClassAccuracy ?? .nan]
        }
        log("fer: \(train.samples.count) training images, \(test.samples.count) test images, classes \(train.classes.joined(separator: ", "))")
        try setup.trainer.train(data: trainSource, objectiveFor: objectiveFor, evaluate: evaluate)
        if matrix == nil { _ = try evaluate(setup.trainer.epoch) }  // finished before a kill, summary not yet written
        let (metrics, extra) = ExpressionEvaluation.summary(matrix, classes: train.classes)
        try setup.writeSummary(task: name, metrics: metrics, skipped: trainSource.skipped.count, extra: extra)
    }
}

/// The ImageFolder data of `fer`.
struct ExpressionDataOptions: TaskOptionGroup {
    var train: String
    var test: String
    var preset: ImageFolderDataset.Preset?
    var labelSmoothing: Float

    static let options: [TaskOption] = [
        TaskOption("train", .path, required: true, help: "training folder (one sub-folder per class; class index = sorted folder name)"),
        TaskOption("test", .path, required: true, help: "test folder with the same class folders"),
        TaskOption("preset", .string, help: "rafdb (7 classes) or affectnet8 (8): checks the class count"),
        TaskOption("label-smoothing", .number, default: "0", help: "label smoothing of the cross-entropy"),
    ]

    init(_ a: TaskArguments) throws {
        train = try a.string("train")
        test = try a.string("test")
        preset = try a.optionalString("preset").map(ImageFolderDataset.Preset.named)
        labelSmoothing = Float(try a.double("label-smoothing"))
        guard (0..<1).contains(labelSmoothing) else { throw TaskUsageError("--label-smoothing must be in [0, 1), got \(labelSmoothing)") }
    }
}

extension ImageFolderDataset {
    /// Batches with the class index as target "class".
    func batches(batchSize: Int, imageSize: Int, channels: Int = 3, shuffle: Bool, seed: UInt64, skipBad: Bool,
                 transform: @escaping (RGBImage, Generator) -> [Float]) -> ImageBatchSource {
        let samples = self.samples
        return ImageBatchSource(count: samples.count, batchSize: batchSize, imageSize: imageSize, channels: channels, shuffle: shuffle, seed: seed,
                                skipBad: skipBad, load: { try ImageFile.read(samples[$0].path) }, transform: transform,
                                targets: { ["class": [Float(samples[$0].classIndex)]] })
    }
}

/// Expression accuracy of a classifier's `head` on an ImageFolder dataset.
enum ExpressionEvaluation {
    /// The summary's metrics and extra fields from the last evaluation (the confusion matrix printed).
    static func summary(_ matrix: ConfusionMatrix?, classes: [String]) -> (metrics: [String: Double], extra: [(String, JSONValue)]) {
        var extra: [(String, JSONValue)] = [("classes", .array(classes.map { .string($0) }))]
        if let m = matrix {
            extra.append(("per_class_accuracy", m.perClassJSON))
            extra.append(("confusion_matrix", m.json(classCount: classes.count)))
            log(m.text(classes: classes))
        }
        return (["test_accuracy": matrix?.accuracy ?? .nan, "test_mean_class_accuracy": matrix?.meanClassAccuracy ?? .nan], extra)
    }

    /// The confusion matrix of the `head` over `data`; in a data-parallel group each rank scores its share
    /// of the batches and all get the whole matrix.
    static func confusion(classifier: ClassifierModel, data: ImageFolderDataset, pipeline: ImagePipeline, batchSize: Int,
                          skipBad: Bool, group: ProcessGroup = SingleProcess()) throws -> ConfusionMatrix {
        let source = data.batches(batchSize: batchSize, imageSize: pipeline.size, shuffle: false, seed: 0, skipBad: skipBad,
                                  transform: pipeline.evaluation)
        classifier.eval()
        defer { classifier.train() }
        let (scores, labels) = try ShardedEvaluation.gather(batches: source.batchesPerEpoch, group: group) { i in
            let batch = try source.batch(epoch: 0, index: i)
            return (withNoGrad { classifier(batch.images)["head"]! }.scalars, batch.targets["class"]!.scalars)
        }
        let truth = labels.map { Int($0) }
        guard scores.count == truth.count * data.classes.count else {
            throw TaskUsageError("\(data.root): \(data.classes.count) expression classes, but the model's head has \(truth.isEmpty ? 0 : scores.count / truth.count) outputs")
        }
        return ConfusionMatrix(scores: scores, truth: truth, classCount: data.classes.count)
    }
}
