import Data
import Foundation
import Tensors
import Training
import Zoo

/// `zoo run eval`: a trained model on an AU label file or an expression folder; prints and writes the
/// metrics the training tasks report.
public enum EvalTask: TaskPlugin {
    public static let name = "eval"
    public static let summary = "evaluate a checkpoint on an AU label file (F1, AUC) or an expression folder (accuracy, confusion matrix)"
    public static let options: [TaskOption] = [
        TaskOption("run", .path, default: nil, help: "a run folder: its model.json and checkpoint/weights.safetensors"),
        TaskOption("model", .string, default: nil, help: "model: catalog name or JSON spec with heads (instead of --run)"),
        TaskOption("weights", .path, default: nil, help: "checkpoint for --model"),
        TaskOption("data", .path, help: "AU label file (JSON lines) or expression folder (ImageFolder)"),
        TaskOption("root", .path, default: nil, help: "image folder of an AU label file (default: images/ beside it)"),
        TaskOption("preset", .string, default: "bp4d", help: "AU preset for label files: bp4d, bp4d+, disfa"),
        TaskOption("val", .path, default: nil, help: "AU label file of validation subjects to choose the F1 threshold on"),
        TaskOption("batch-size", .integer, default: "64", help: "images per forward pass"),
        TaskOption("out", .path, default: nil, help: "write metrics.jsonl and summary.json here"),
    ]

    public static func run(_ a: TaskArguments) throws {
        let model = try TrainedModel.load(a)
        guard case let .classifier(classifier) = model, classifier.heads.contains(where: { $0.name == "head" }) else {
            throw TaskUsageError("zoo run eval: the model needs a head named \"head\"")
        }
        let data = try a.string("data"), batchSize = try a.int("batch-size")
        let pipeline = ImagePipeline(size: classifier.encoder.imageSize, augment: false)
        var isDirectory: ObjCBool = false
        var metrics: [String: Double]
        var extra: [(String, JSONValue)] = []
        if FileManager.default.fileExists(atPath: data, isDirectory: &isDirectory), isDirectory.boolValue {
            let folder = try ImageFolderDataset.load(root: data)
            let m = try ExpressionEvaluation.confusion(classifier: classifier, data: folder, pipeline: pipeline, batchSize: batchSize, skipBad: false)
            metrics = ["accuracy": m.accuracy ?? .nan, "mean_class_accuracy": m.meanClassAccuracy ?? .nan]
            print(String(format: "accuracy %.2f%%  mean per-class accuracy %.2f%%", 100 * (m.accuracy ?? 0), 100 * (m.meanClassAccuracy ?? 0)))
            for (t, name) in folder.classes.enumerated() {
                print(name.padding(toLength: 14, withPad: " ", startingAt: 0) + (0..<folder.classes.count).map { String(format: "%6d", m[truth: t, predicted: $0]) }.joined())
            }
            extra.append(("confusion_matrix", .array((0..<folder.classes.count).map { t in .array((0..<folder.classes.count).map { .integer(m[truth: t, predicted: $0]) }) })))
        } else {
            let preset = try AUDatasetPreset.named(try a.string("preset"))
            let test = try AUData.load(data, root: a.optionalString("root"), preset: preset, skipBad: false)
            let validation = try a.optionalString("val").map { try AUData.load($0, root: a.optionalString("root"), preset: preset, skipBad: false) }
                ?? AUData(samples: [], skipped: [], shard: nil)
            let report = try AUEvaluation.run(classifier: classifier, validation: validation, test: test, pipeline: pipeline,
                                              batchSize: batchSize, actionUnits: preset.actionUnits, skipBad: false)
            print(report.text(epoch: 0).replacingOccurrences(of: "epoch 0 test (subjects unseen in training)", with: "\(data)"))
            metrics = report.metrics
            extra.append(("per_au", report.perAUJSON))
        }
        if let out = a.optionalString("out") {
            let run = try RunFolder(path: out)
            try run.appendMetrics(epoch: 0, metrics, kind: "evaluation")
            var summary: [(String, JSONValue)] = [("task", .string(name)), ("data", .string(data))]
            for (k, v) in metrics.sorted(by: { $0.key < $1.key }) { summary.append((k, v.isFinite ? .number(v) : .null)) }
            try run.writeJSON("summary.json", .object(summary + extra))
        }
    }
}
