import Checkpoint
import Data
import Foundation
import Images
import Metrics
import Tensors
import Zoo

/// `predict` on image files: per image the AU probabilities (sigmoid of `head`) or, with --classes, the
/// expression class and its probability (softmax), printed and written as JSON or CSV.
enum ImagePrediction {
    static func run(model: ZooModel, input: String, arguments: TaskArguments) throws {
        guard let classifier = model.classifier, classifier.heads.contains(where: { $0.name == "head" }) else {
            throw TaskUsageError("zoo run predict: image input needs a model with a head named \"head\"")
        }
        let files = ImageFolderDataset.imageExtensions.contains((input as NSString).pathExtension.lowercased()) ? [input] : try ImageList.load(input)
        let classes = arguments.optionalString("classes").map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        let preset = try AUDatasetPreset.named(try arguments.string("preset"))
        let size = classifier.encoder.imageSize
        let transform = EvalTransform(size: size)
        var rows: [(file: String, values: [Float])] = []
        for start in stride(from: 0, to: files.count, by: 32) {
            let part = Array(files[start..<min(files.count, start + 32)])
            var pixels: [Float] = []
            for file in part { pixels += transform.apply(try ImageFile.read(file)) }
            let logits = withNoGrad { classifier(Tensor(pixels, shape: [part.count, 3, size, size]))["head"]! }
            let width = logits.shape[1]
            for (i, file) in part.enumerated() {
                let row = Array(logits.scalars[(i * width)..<((i + 1) * width)])
                if let classes {
                    guard classes.count == width else { throw TaskUsageError("--classes names \(classes.count) classes, the head has \(width) outputs") }
                    let m = row.max()!, e = row.map { expf($0 - m) }, z = e.reduce(0, +)
                    rows.append((file, e.map { $0 / z }))
                } else {
                    guard preset.actionUnits.count == width else {
                        throw TaskUsageError("the head has \(width) outputs, \(preset.name) has \(preset.actionUnits.count) AUs (use --preset or --classes)")
                    }
                    rows.append((file, row.map { 1 / (1 + expf(-$0)) }))
                }
            }
        }
        let names = classes ?? preset.actionUnits.map { "AU\($0)" }
        for (file, values) in rows {
            if let classes {
                let best = ClassificationMetrics.argmax(values)!
                print("\(file)  \(classes[best]) \(String(format: "%.3f", values[best]))")
            } else {
                print("\(file)  " + zip(names, values).map { "\($0) \(String(format: "%.2f", $1))" }.joined(separator: " "))
            }
        }
        guard let output = arguments.optionalString("output") else { return }
        let text: String
        if output.lowercased().hasSuffix(".csv") {
            let header = (["file"] + names + (classes == nil ? [] : ["prediction"])).joined(separator: ",")
            text = ([header] + rows.map { row in
                let cells = [csvQuoted(row.file)] + row.values.map { String(format: "%.6f", $0) }
                return (cells + (classes.map { [$0[ClassificationMetrics.argmax(row.values)!]] } ?? [])).joined(separator: ",")
            }).joined(separator: "\n") + "\n"
        } else if output.lowercased().hasSuffix(".json") {
            text = JSONValue.array(rows.map { row in
                var fields: [(String, JSONValue)] = [("file", .string(row.file))]
                if let classes { fields.append(("prediction", .string(classes[ClassificationMetrics.argmax(row.values)!]))) }
                fields.append((classes == nil ? "au_probabilities" : "class_probabilities",
                               .object(zip(names, row.values).map { ($0, .number(Double($1))) })))
                return .object(fields)
            }).serialized(pretty: true) + "\n"
        } else {
            throw TaskUsageError("--output must end in .json or .csv for image input: \(output)")
        }
        try writeAtomically(to: output) { try Data(text.utf8).write(to: URL(fileURLWithPath: $0)) }
        log("wrote \(rows.count) predictions to \(output)")
    }

    static func csvQuoted(_ s: String) -> String {
        s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
