import Checkpoint
import Data
import FaceDetection
import Foundation
import Images
import JSON
import Zoo

/// Finds faces in photos with MTCNN (the bundled facenet-pytorch networks) and writes, per photo,
/// `{"image", "size": [w, h], "faces": [{"box": [x1, y1, x2, y2], "score", "landmarks": [[x, y] × 5]}]}`.
public enum DetectTask: TaskPlugin {
    public static let name = "detect"
    public static let summary = "find faces in photos (MTCNN as facenet-pytorch runs it): boxes, scores, 5 landmarks to JSON"
    public static let options: [TaskOption] = [
        TaskOption("images", .paths, required: true, help: "photos (JPEG, PNG, PPM), folders of them (recursively) or list files"),
        TaskOption("output", .path, help: "JSON file to write (default: print the JSON)"),
        TaskOption("min-face-size", .number, help: "smallest face searched for, in pixels (default: the catalog's, 20)"),
        TaskOption("skip-bad", .flag, help: "report unreadable images and go on (else the first one stops the run)"),
    ]

    public static func run(_ arguments: TaskArguments) throws {
        let photos = try ImageInputs.expand(arguments.paths("images"))
        let detector = try MTCNN.bundled(catalog: try Catalog.locate())
        if let minimum = try arguments.optionalDouble("min-face-size") {
            guard (12...100_000).contains(minimum) else { throw TaskUsageError("zoo run detect: --min-face-size must be 12 to 100000 pixels") }
            detector.minFaceSize = minimum
        }
        let skipBad = arguments.flag("skip-bad")
        var results: [JSONValue] = []
        var skipped = 0
        for path in photos {
            let image: RGBImage
            do { image = try ImageFile.read(path) } catch {
                guard skipBad else { throw error }
                FileHandle.standardError.write(Data("zoo run detect: skipped \(path): \(error)\n".utf8))
                skipped += 1
                continue
            }
            let faces = detector.detect(image)
            results.append(Self.json(path: path, image: image, faces: faces))
            FileHandle.standardError.write(Data("\(path): \(faces.count) face\(faces.count == 1 ? "" : "s")\n".utf8))
        }
        let text = JSONValue.array(results).serialized(pretty: true) + "\n"
        if let output = arguments.optionalString("output") {
            try writeAtomically(to: output) { temporary in try Data(text.utf8).write(to: URL(fileURLWithPath: temporary)) }
            print("wrote \(output): \(results.count) image\(results.count == 1 ? "" : "s")" + (skipped > 0 ? ", \(skipped) skipped" : ""))
        } else {
            print(text, terminator: "")
        }
    }

    static func json(path: String, image: RGBImage, faces: [DetectedFace]) -> JSONValue {
        func number(_ x: Float) -> JSONValue { .number(Double(x)) }
        return .object([
            ("image", .string(path)),
            ("size", .array([.integer(image.width), .integer(image.height)])),
            ("faces", .array(faces.map { f in
                .object([("box", .array(f.box.map(number))), ("score", number(f.score)),
                         ("landmarks", .array(f.landmarks.map { .array($0.map(number)) }))])
            })),
        ])
    }
}

/// Photo arguments as `predict` takes its input: an image file as it is; a folder (its images, recursively,
/// sorted) or a list file through Data's `ImageList`.
enum ImageInputs {
    static func expand(_ paths: [String]) throws -> [String] {
        try paths.flatMap { path in
            ImageFolderDataset.imageExtensions.contains((path as NSString).pathExtension.lowercased()) ? [path] : try ImageList.load(path)
        }
    }
}
