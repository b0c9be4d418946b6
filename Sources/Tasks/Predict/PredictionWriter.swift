import Checkpoint
import Foundation
import JSON
import Metrics
import Tensors
import Zoo

/// Prints predictions and writes them as JSON, CSV or safetensors (by the output's extension).
///
/// JSON, whole photos: `[{"file", "prediction"?, "au_probabilities" | "class_probabilities" | "features"}]`;
/// faces: `[{"file", "size", "faces": [{"box", "score", "landmarks", "crop" | "aligned_landmarks",
/// "prediction"?, <values>}]}]`. CSV: one row per photo or face. safetensors: `probabilities` or `features`
/// [N, K], with faces also `boxes` [N, 4], `scores` [N], `landmarks` [N, 5, 2] and `photo` [N] (the index
/// into the metadata's `files`).
struct PredictionWriter {
    let output: PredictionModel.Output
    let faces: Bool

    private var valuesKey: String {
        switch output {
        case .actionUnits: return "au_probabilities"
        case .classes: return "class_probabilities"
        case .features: return "features"
        }
    }

    private var classNames: [String]? { if case let .classes(names) = output { return names } else { return nil } }

    /// The best class, or the AUs at 0.5 or above (at most 3, most likely first).
    func label(_ values: [Float], names: [String]) -> String? {
        switch output {
        case let .classes(classes):
            guard let best = ClassificationMetrics.argmax(values) else { return nil }
            return "\(classes[best]) \(String(format: "%.2f", values[best]))"
        case .actionUnits:
            let active = zip(names, values).filter { $0.1 >= 0.5 }.sorted { $0.1 > $1.1 }.prefix(3)
            return active.isEmpty ? "no AU" : active.map { "\($0.0) \(String(format: "%.2f", $0.1))" }.joined(separator: " ")
        case .features:
            return nil
        }
    }

    func print(_ photos: [PhotoPredictions], names: [String]) {
        for photo in photos {
            if faces && photo.records.isEmpty { Swift.print("\(photo.file)  no face") }
            for (i, record) in photo.records.enumerated() {
                var line = photo.file
                if let face = record.face { line += "  face \(i + 1) [" + face.box.map { String(format: "%.0f", $0) }.joined(separator: " ") + "]" }
                switch output {
                case .features: line += "  \(record.values.count) features"
                case .classes: line += "  " + (label(record.values, names: names) ?? "")
                case .actionUnits: line += "  " + zip(names, record.values).map { "\($0) \(String(format: "%.2f", $1))" }.joined(separator: " ")
                }
                Swift.print(line)
            }
        }
    }

    func write(_ photos: [PhotoPredictions], names: [String], to path: String) throws {
        let lower = path.lowercased()
        if lower.hasSuffix(".safetensors") { return try writeSafetensors(photos, to: path) }
        let text: String
        if lower.hasSuffix(".csv") {
            text = csv(photos, names: names)
        } else if lower.hasSuffix(".json") {
            text = json(photos, names: names).serialized(pretty: true) + "\n"
        } else {
            throw TaskUsageError("--output must end in .json, .csv or .safetensors for image input: \(path)")
        }
        try writeAtomically(to: path) { try Data(text.utf8).write(to: URL(fileURLWithPath: $0)) }
    }

    private func number(_ x: Float) -> JSONValue { .number(Double(x)) }

    private func json(_ photos: [PhotoPredictions], names: [String]) -> JSONValue {
        func fields(_ record: PredictionRecord) -> [(String, JSONValue)] {
            var out: [(String, JSONValue)] = []
            if let classes = classNames, let best = ClassificationMetrics.argmax(record.values) { out.append(("prediction", .string(classes[best]))) }
            if case .features = output {
                out.append((valuesKey, .array(record.values.map(number))))
            } else {
                out.append((valuesKey, .object(zip(names, record.values).map { ($0, number($1)) })))
            }
            return out
        }
        if !faces { return .array(photos.flatMap { p in p.records.map { .object([("file", .string(p.file))] + fields($0)) } }) }
        return .array(photos.map { photo in
            .object([
                ("file", .string(photo.file)),
                ("size", .array([.integer(photo.width), .integer(photo.height)])),
                ("faces", .array(photo.records.map { record in
                    let face = record.face!
                    var out: [(String, JSONValue)] = [("box", .array(face.box.map(number))), ("score", number(face.score)),
                                                      ("landmarks", .array(face.landmarks.map { .array($0.map(number)) }))]
                    if let crop = record.crop { out.append(("crop", .array(crop.map { .integer($0) }))) }
                    if let aligned = record.alignedLandmarks { out.append(("aligned_landmarks", .array(aligned.map { .array($0.map { .number($0) }) }))) }
                    return .object(out + fields(record))
                })),
            ])
        })
    }

    private func csv(_ photos: [PhotoPredictions], names: [String]) -> String {
        let points = ["left_eye", "right_eye", "nose", "mouth_left", "mouth_right"].flatMap { ["\($0)_x", "\($0)_y"] }
        var header = ["file"] + (faces ? ["face", "x1", "y1", "x2", "y2", "score"] + points : []) + names
        if classNames != nil { header.append("prediction") }
        var lines = [header.joined(separator: ",")]
        for photo in photos {
            for (i, record) in photo.records.enumerated() {
                var cells = [ImagePrediction.csvQuoted(photo.file)]
                if let face = record.face {
                    cells.append(String(i + 1))
                    cells += (face.box + [face.score] + face.landmarks.flatMap { $0 }).map { String(format: "%.4f", $0) }
                }
                cells += record.values.map { String(format: "%.6f", $0) }
                if let classes = classNames, let best = ClassificationMetrics.argmax(record.values) { cells.append(ImagePrediction.csvQuoted(classes[best])) }
                lines.append(cells.joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func writeSafetensors(_ photos: [PhotoPredictions], to path: String) throws {
        let records = photos.flatMap(\.records)
        let width = records.first?.values.count ?? 0
        var tensors: [(name: String, tensor: StoredTensor)] = [
            (valuesKey == "features" ? "features" : "probabilities",
             StoredTensor(Tensor(records.flatMap(\.values), shape: [records.count, width]))),
        ]
        if faces {
            let faceList = records.map { $0.face! }
            tensors.append(("boxes", StoredTensor(Tensor(faceList.flatMap(\.box), shape: [records.count, 4]))))
            tensors.append(("scores", StoredTensor(Tensor(faceList.map(\.score), shape: [records.count]))))
            tensors.append(("landmarks", StoredTensor(Tensor(faceList.flatMap { $0.landmarks.flatMap { $0 } }, shape: [records.count, 5, 2]))))
        }
        let photoIndex = photos.enumerated().flatMap { i, p in p.records.map { _ in Float(i) } }
        tensors.append(("photo", StoredTensor(Tensor(photoIndex, shape: [records.count]))))
        let files = JSONValue.array(photos.map { .string($0.file) }).serialized()
        try SafeTensorsWriter.write(tensors, metadata: [("format", "pt"), ("zoo_task", "predict"), ("files", files)], to: path)
    }
}
