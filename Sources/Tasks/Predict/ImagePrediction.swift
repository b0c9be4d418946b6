import Checkpoint
import Data
import FaceDetection
import Foundation
import Images
import Zoo

/// `predict` on image files: per photo (or, with --faces, per face MTCNN finds in it) the AU probabilities
/// (sigmoid of `head`), the class probabilities (softmax, --classes or a network's `classes`), or with
/// --features the encoder's pooled features; printed and written as JSON, CSV or safetensors.
enum ImagePrediction {
    static func run(model: ZooModel, input: String, arguments: TaskArguments) throws {
        let files = try ImageInputs.expand([input])
        let classes = arguments.optionalString("classes").map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        let predictor = try PredictionModel(model: model, preset: try arguments.string("preset"), classes: classes, features: arguments.flag("features"))
        let faces = arguments.flag("faces")
        if !faces, let option = ["align", "annotate", "margin", "min-face-size"].first(where: { arguments.optionalString($0) != nil && ($0 != "align" || arguments.flag($0)) }) {
            throw TaskUsageError("zoo run predict: --\(option) needs --faces")
        }
        // A wrong output name is found before the model runs on every photo, not after.
        if let output = arguments.optionalString("output"), ![".json", ".csv", ".safetensors"].contains(where: output.lowercased().hasSuffix) {
            throw TaskUsageError("--output must end in .json, .csv or .safetensors for image input: \(output)")
        }
        let skipBad = arguments.flag("skip-bad")
        let faceOptions = faces ? try FacePrediction(predictor: predictor, arguments: arguments) : nil

        var photos: [PhotoPredictions] = []
        var skipped = 0
        var pending: [(file: String, image: RGBImage)] = []
        // Whole photos go through the model 32 at a time; faces photo by photo.
        func flush() throws {
            guard !pending.isEmpty else { return }
            let rows = try predictor.run(pending.map { predictor.prepare($0.image) })
            for (item, row) in zip(pending, rows) {
                photos.append(PhotoPredictions(file: item.file, width: item.image.width, height: item.image.height,
                                               records: [PredictionRecord(face: nil, crop: nil, alignedLandmarks: nil, values: row)]))
            }
            pending = []
        }
        for file in files {
            let image: RGBImage
            do { image = try ImageFile.read(file) } catch {
                guard skipBad else { throw error }
                FileHandle.standardError.write(Data("zoo run predict: skipped \(file): \(error)\n".utf8))
                skipped += 1
                continue
            }
            if let faceOptions {
                photos.append(try faceOptions.predict(file: file, image: image))
            } else {
                pending.append((file, image))
                if pending.count == 32 { try flush() }
            }
        }
        try flush()

        let width = photos.lazy.flatMap(\.records).first?.values.count ?? 0
        let names = predictor.names(width: width)
        let writer = PredictionWriter(output: predictor.output, faces: faces)
        writer.print(photos, names: names)
        if skipped > 0 { log("\(skipped) unreadable image\(skipped == 1 ? "" : "s") skipped") }
        guard let output = arguments.optionalString("output") else { return }
        try writer.write(photos, names: names, to: output)
        let count = photos.reduce(0) { $0 + $1.records.count }
        log("wrote \(count) \(faces ? "face" : "prediction")\(count == 1 ? "" : "s") from \(photos.count) image\(photos.count == 1 ? "" : "s") to \(output)")
    }

    static func csvQuoted(_ s: String) -> String {
        s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
