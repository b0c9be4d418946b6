import Checkpoint
import FaceDetection
import Foundation
import Images
import Zoo

/// `predict --faces`: MTCNN (the bundled facenet-pytorch networks) finds the faces; each is cut as
/// facenet-pytorch's `extract_face` cuts it (`FaceCrop`: --margin pixels of the final crop around the box),
/// or with --align warped onto the ArcFace 5-point template (`FaceAlignment`), then prepared as the model's
/// spec says and run. With --annotate DIR, a JPEG per photo shows the boxes, landmarks and top labels.
final class FacePrediction {
    let predictor: PredictionModel
    let detector: MTCNN
    let align: Bool
    let margin: Double
    let annotate: String?
    /// Annotated file names given so far: photos with the same name in different folders get -2, -3, ….
    private var annotationNames: Set<String> = []

    init(predictor: PredictionModel, arguments: TaskArguments) throws {
        self.predictor = predictor
        detector = try MTCNN.bundled(catalog: try Catalog.locate())
        if let minimum = try arguments.optionalDouble("min-face-size") {
            guard (12...100_000).contains(minimum) else { throw TaskUsageError("zoo run predict: --min-face-size must be 12 to 100000 pixels") }
            detector.minFaceSize = minimum
        }
        align = arguments.flag("align")
        margin = try arguments.optionalDouble("margin") ?? 0
        guard margin >= 0, margin < Double(predictor.size) else {
            throw TaskUsageError("zoo run predict: --margin is in pixels of the \(predictor.size) × \(predictor.size) crop: 0 up to \(predictor.size - 1)")
        }
        guard !(align && arguments.optionalString("margin") != nil) else {
            throw TaskUsageError("zoo run predict: --margin applies to box crops; --align places the face by its template")
        }
        annotate = arguments.optionalString("annotate")
        if let annotate {
            do { try FileManager.default.createDirectory(atPath: annotate, withIntermediateDirectories: true) } catch {
                throw TaskUsageError("zoo run predict: cannot make the --annotate folder \(annotate): \(error.localizedDescription)")
            }
        }
    }

    func predict(file: String, image: RGBImage) throws -> PhotoPredictions {
        let faces = detector.detect(image)
        var kept: [PredictionRecord] = [], inputs: [[Float]] = []
        for face in faces {
            if align {
                guard let (crop, transform) = FaceAlignment.aligned(image, landmarks: face.landmarks, size: predictor.size) else {
                    log("\(file): face at \(face.box) has degenerate landmarks; left out")
                    continue
                }
                inputs.append(predictor.prepare(crop))
                let placed = face.landmarks.map { p in transform.apply(Double(p[0]), Double(p[1])) }
                kept.append(PredictionRecord(face: face, crop: nil, alignedLandmarks: placed.map { [$0.x, $0.y] }, values: []))
            } else {
                guard let r = FaceCrop.region(box: face.box, margin: margin, size: predictor.size, imageWidth: image.width, imageHeight: image.height) else {
                    log("\(file): face at \(face.box) lies outside the photo; left out")
                    continue
                }
                inputs.append(predictor.prepare(image.cropped(x: r.x1, y: r.y1, width: r.x2 - r.x1, height: r.y2 - r.y1)))
                kept.append(PredictionRecord(face: face, crop: [r.x1, r.y1, r.x2, r.y2], alignedLandmarks: nil, values: []))
            }
        }
        let rows = try predictor.run(inputs)
        for i in kept.indices { kept[i].values = rows[i] }
        let photo = PhotoPredictions(file: file, width: image.width, height: image.height, records: kept)
        if let annotate {
            let stem = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
            var name = stem + ".jpg", n = 1
            while annotationNames.contains(name) { n += 1; name = "\(stem)-\(n).jpg" }
            annotationNames.insert(name)
            try FaceAnnotation.write(photo, image: image, predictor: predictor, to: (annotate as NSString).appendingPathComponent(name))
        }
        return photo
    }
}
