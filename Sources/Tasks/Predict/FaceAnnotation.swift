import Checkpoint
import FaceDetection
import Foundation
import Images

/// The photo with what `predict --faces` found drawn on it, for a person to check: each box, its 5
/// landmarks, and above the box the face's number and top label (best class, or the AUs at 0.5 and above).
enum FaceAnnotation {
    static let boxColour = Colour(40, 220, 60)
    static let landmarkColours = [Colour(255, 60, 60), Colour(60, 140, 255), Colour(255, 220, 0), Colour(255, 0, 255), Colour(0, 255, 255)]

    static func draw(_ photo: PhotoPredictions, on image: RGBImage, predictor: PredictionModel) -> RGBImage {
        var canvas = image
        let side = min(image.width, image.height)
        // Lines, dots and letters grow with the photo so they read at any size.
        let thickness = max(1, side / 250), radius = max(1, side / 200), scale = max(2, side / 200)
        let writer = PredictionWriter(output: predictor.output, faces: true)
        let names = predictor.names(width: photo.records.first?.values.count ?? 0)
        for (i, record) in photo.records.enumerated() {
            guard let face = record.face else { continue }
            let b = face.box.map { min(max(Double($0.isFinite ? $0 : 0), -1e6), 1e6) }
            canvas.strokeRectangle(x1: b[0], y1: b[1], x2: b[2], y2: b[3], thickness: thickness, boxColour)
            for (p, point) in face.landmarks.enumerated() {
                canvas.fillDot(x: Double(point[0]), y: Double(point[1]), radius: radius, landmarkColours[p % landmarkColours.count])
            }
            let text = "\(i + 1) " + (writer.label(record.values, names: names) ?? String(format: "%.2f", face.score))
            // Above the box when there is room, else just inside its top edge.
            let height = BitmapFont.lineHeight(scale: scale) + 2 * scale
            let top = b[1] - Double(height) >= 0 ? Int(b[1]) - height + scale : Int(max(b[1], 0)) + thickness + scale
            let left = min(max(Int(max(b[0], 0)) + scale, scale), max(scale, image.width - text.count * BitmapFont.advance(scale: scale)))
            canvas.drawText(text, x: left, y: top, scale: scale, Colour(255, 255, 255), background: Colour(0, 0, 0))
        }
        return canvas
    }

    static func write(_ photo: PhotoPredictions, image: RGBImage, predictor: PredictionModel, to path: String) throws {
        let bytes = try JPEG.encode(draw(photo, on: image, predictor: predictor), quality: 90)
        try writeAtomically(to: path) { try Data(bytes).write(to: URL(fileURLWithPath: $0)) }
    }
}
