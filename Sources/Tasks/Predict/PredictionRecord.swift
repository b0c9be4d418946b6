import FaceDetection
import Foundation

/// One photo's predictions: the whole photo's (one record, no face), or one per face found in it (none
/// when it shows no face).
struct PhotoPredictions {
    var file: String
    var width: Int, height: Int
    var records: [PredictionRecord]
}

/// What the model gave for one picture, and where the picture came from.
struct PredictionRecord {
    /// The face it was cut from (nil: the whole photo).
    var face: DetectedFace?
    /// The pixel region x1, y1, x2, y2 that was cut (nil when aligned or the whole photo).
    var crop: [Int]?
    /// The 5 landmarks where alignment put them in the crop (nil when not aligned).
    var alignedLandmarks: [[Double]]?
    /// AU or class probabilities, or features.
    var values: [Float]
}
