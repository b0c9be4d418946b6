import Images

/// The face cut from a photo for a model, as facenet-pytorch's `extract_face` cuts it: `margin` is in
/// pixels of the final `size` × `size` crop (so it grows with the box: margin · box width / (size − margin)
/// on each axis, half each side); the grown box is truncated to whole pixels and clamped to the photo, then
/// the region is resized to a square (`extract_face` does not square the box first, and neither does this:
/// MTCNN's boxes come from square proposals and are nearly square).
public enum FaceCrop {
    /// The pixel region x1..<x2, y1..<y2 of the photo; nil when it holds no pixel (a box outside the photo,
    /// or a margin ≥ size).
    public static func region(box: [Float], margin: Double, size: Int, imageWidth: Int, imageHeight: Int) -> (x1: Int, y1: Int, x2: Int, y2: Int)? {
        guard box.count == 4, box.allSatisfy(\.isFinite), margin >= 0, Double(size) > margin else { return nil }
        let b = box.map(Double.init)
        // Python's int() truncates toward zero; after max(·, 0) that is rounding down. Values are clamped
        // before the conversion so no box can trap it.
        let mx = margin * (b[2] - b[0]) / (Double(size) - margin), my = margin * (b[3] - b[1]) / (Double(size) - margin)
        func whole(_ v: Double, _ upper: Int) -> Int { Int(min(max(v, 0), Double(upper))) }
        let x1 = whole(b[0] - mx / 2, imageWidth), y1 = whole(b[1] - my / 2, imageHeight)
        let x2 = whole(b[2] + mx / 2, imageWidth), y2 = whole(b[3] + my / 2, imageHeight)
        guard x2 > x1, y2 > y1 else { return nil }
        return (x1, y1, x2, y2)
    }

    /// The region of `image` (not yet resized: a grey model converts before resizing, as fer does).
    public static func cut(_ image: RGBImage, box: [Float], margin: Double, size: Int) -> RGBImage? {
        guard let r = region(box: box, margin: margin, size: size, imageWidth: image.width, imageHeight: image.height) else { return nil }
        return image.cropped(x: r.x1, y: r.y1, width: r.x2 - r.x1, height: r.y2 - r.y1)
    }
}
