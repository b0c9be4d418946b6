import Images

/// Face alignment from MTCNN's five landmarks: the least-squares similarity (rotation, uniform scale, shift)
/// that takes them onto the ArcFace / insightface template, the 5 points its 112 × 112 crops are made with,
/// scaled to the crop size; the crop is then sampled through it. Eyes come out level and at fixed places.
public enum FaceAlignment {
    /// insightface's `arcface_dst` for 112 × 112: left eye, right eye, nose, left and right mouth corners
    /// (as seen in the image), the order MTCNN gives its landmarks in.
    public static let arcFaceTemplate: [(x: Double, y: Double)] = [
        (38.2946, 51.6963), (73.5318, 51.5014), (56.0252, 71.7366), (41.5493, 92.3655), (70.7299, 92.2041),
    ]

    /// The template for a `size` × `size` crop.
    public static func template(size: Int) -> [(x: Double, y: Double)] {
        let s = Double(size) / 112
        return arcFaceTemplate.map { ($0.x * s, $0.y * s) }
    }

    /// Photo → crop: the similarity taking the 5 landmarks onto the template; nil when the landmarks are
    /// not 5 finite points or all coincide.
    public static func transform(landmarks: [[Float]], size: Int) -> SimilarityTransform? {
        guard landmarks.count == 5, landmarks.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isFinite) }) else { return nil }
        return SimilarityTransform.fit(from: landmarks.map { (Double($0[0]), Double($0[1])) }, to: template(size: size))
    }

    /// The aligned `size` × `size` crop and the photo → crop transform.
    public static func aligned(_ image: RGBImage, landmarks: [[Float]], size: Int) -> (crop: RGBImage, transform: SimilarityTransform)? {
        guard let forward = transform(landmarks: landmarks, size: size), let backward = forward.inverse else { return nil }
        return (image.warped(width: size, height: size, toSource: backward), forward)
    }
}
