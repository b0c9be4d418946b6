import Data
import Foundation
import Tensors
import Training
import Zoo

/// `zoo run eval`: a trained model on an AU label file or an expression folder; prints and writes the
/// metrics the training tasks report. Under mpirun each rank scores its share of the batches and rank 0
/// alone prints and writes, as in the training tasks' evaluation.
public enum EvalTask: TaskPlugin {
    public static let name = "eval"
    public static let summary = "evaluate a checkpoint on an AU label file (F1, AUC) or an expression folder (accuracy, confusion matrix)"
    public static let options: [TaskOption] = TrainedModelOptions.options + [
        TaskOption("data", .path, required: true, help: "AU label file (JSON lines) or expression folder (ImageFolder)"),
        TaskOption("root", .path, help: "image folder of an AU label file (default: images/ beside it)"),
        TaskOption("preset", .string, default: "bp4d", help: "AU preset for label files: bp4d, bp4d+, disfa"),
        TaskOption("val", .path, help: "AU label file of validation subjects to choose the F1 threshold on (default: F1 at 0.5 only)"),
        TaskOption("batch-size", .integer, default: "64", help: "images per forward pass"),
    ] + ResultOutputOptions.options

    /// The two kinds of data eval reads, named in errors when a model meets the other kind.
    enum DataKind: String {
        case actionUnits = "AU detection (a label file)"
        case expressions = "expression recognition (a class folder)"
    }

    public static func run(_ a: TaskArguments) throws {
        let modelOptions = try TrainedModelOptions(a)
        let output = try ResultOutputOptions(a)
        let data = try a.string("data"), batchSize = try a.int("batch-size")
        guard batchSize > 0 else { throw TaskUsageError("--batch-size must be positive, got \(batchSize)") }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: data, isDirectory: &isDirectory) else { throw DataError("\(data): no such file or folder") }
        let kind: DataKind = isDirectory.boolValue ? .expressions : .actionUnits
        let model = try modelOptions.load().model
        guard let classifier = model.classifier, classifier.heads.contains(where: { $0.name == "head" }) else {
            throw TaskUsageError("zoo run eval: the model needs a head named \"head\"")
        }
        // A run knows what it was trained for; a bare --model is judged by its head's width below.
        let modelKind: DataKind? = modelOptions.runTask.map { ["au", "iat"].contains($0) ? .actionUnits : $0 == "fer" ? .expressions : nil } ?? nil
        func mismatch(_ detail: String) -> TaskUsageError {
            let trained = modelKind ?? (kind == .actionUnits ? .expressions : .actionUnits)
            return TaskUsageError("zoo run eval: \(modelOptions.run ?? modelOptions.model ?? "the model") is a model for \(trained.rawValue), but \(data) is data for \(kind.rawValue)\(detail)")
        }
        if let modelKind, modelKind != kind { throw mismatch("") }
        // The head's width, from one forward pass of a blank image (heads may be MLPs).
        let size = classifier.encoder.imageSize
        let width = withNoGrad { classifier(Tensor([Float](repeating: 0, count: 3 * size * size), shape: [1, 3, size, size]))["head"]!.shape[1] }
        let pipeline = ImagePipeline(size: classifier.encoder.imageSize, augment: false)
        let group = World.group
        var metrics: [String: Double]
        var extra: [(String, JSONValue)] = []
        var text: [String] = []
        switch kind {
        case .expressions:
            let folder = try ImageFolderDataset.load(root: data)
            guard folder.classes.count == width else { throw mismatch(" (\(folder.classes.count) classes; the model's head has \(width) outputs)") }
            let m = try ExpressionEvaluation.confusion(classifier: classifier, data: folder, pipeline: pipeline, batchSize: batchSize,
                                                       skipBad: false, group: group)
            metrics = ["accuracy": m.accuracy ?? .nan, "mean_class_accuracy": m.meanClassAccuracy ?? .nan]
            text.append(String(format: "accuracy %.2f%%  mean per-class accuracy %.2f%%", 100 * (m.accuracy ?? 0), 100 * (m.meanClassAccuracy ?? 0)))
            text.append(m.text(classes: folder.classes))
            extra.append(("confusion_matrix", m.json(classCount: folder.classes.count)))
        case .actionUnits:
            let preset = try AUDatasetPreset.named(try a.string("preset"))
            guard preset.actionUnits.count == width else { throw mismatch(" (\(preset.name): \(preset.actionUnits.count) AUs; the model's head has \(width) outputs)") }
            let root = a.optionalString("root")
            let test = try AUData.load(data, root: root, preset: preset, skipBad: false)
            let validation = try a.optionalString("val").map { try AUData.load($0, root: root, preset: preset, skipBad: false) }
                ?? AUData(samples: [], skipped: [], shard: nil)
            let report = try AUEvaluation.run(classifier: classifier, validation: validation, test: test, pipeline: pipeline,
                                              batchSize: batchSize, actionUnits: preset.actionUnits, skipBad: false, group: group)
            text.append(report.text(title: data))
            metrics = report.metrics
            extra.append(("per_au", report.perAUJSON))
        }
        guard group.isWriter else { return }
        for line in text { print(line) }
        if let out = output.out {
            let run = try RunFolder.open(RunOutputOptions(out: out, overwrite: output.overwrite), task: name, options: a.values,
                                         group: SingleProcess())
            try run.appendMetrics(epoch: 0, metrics, kind: "evaluation")
            try run.writeSummary(task: name, fields: [("data", .string(data))], metrics: metrics, extra: extra)
        }
    }
}
