import FaceDetection
import Images
import XCTest

/// Face crops and alignment on synthetic pictures whose answers are known by construction.
final class FaceAlignmentTests: XCTestCase {
    /// A known similarity (rotation 25°, scale 2.3, shift) applied to the template gives the landmarks;
    /// the fit must find its inverse, and the warped crop must show the marked points on the template.
    func testAlignmentUndoesAKnownSimilarity() throws {
        let angle = 25 * Double.pi / 180, scale = 2.3
        let pose = SimilarityTransform(a: scale * cos(angle), b: scale * sin(angle), tx: 140, ty: 30)
        let template = FaceAlignment.template(size: 112)
        let landmarks = template.map { pose.apply($0.x, $0.y) }
        var photo = RGBImage(width: 400, height: 400, fill: (20, 20, 20))
        for p in landmarks { photo.fillRectangle(x0: Int(p.x) - 3, y0: Int(p.y) - 3, x1: Int(p.x) + 4, y1: Int(p.y) + 4, Colour(250, 250, 250)) }

        let (crop, transform) = try XCTUnwrap(FaceAlignment.aligned(photo, landmarks: landmarks.map { [Float($0.x), Float($0.y)] }, size: 112))
        for (p, t) in zip(landmarks, template) {
            let q = transform.apply(p.x, p.y)
            XCTAssertEqual(q.x, t.x, accuracy: 1e-3)
            XCTAssertEqual(q.y, t.y, accuracy: 1e-3)
        }
        XCTAssertEqual(transform.a * transform.a + transform.b * transform.b, 1 / (scale * scale), accuracy: 1e-6)
        // Each 7 × 7 dot, shrunk 2.3 times, lands on its template point: bright there, dark 6 pixels away.
        for t in template {
            let x = Int(t.x), y = Int(t.y)
            XCTAssertGreaterThan(crop.pixels[crop.index(x: x, y: y)], 200, "dot at \(t)")
            XCTAssertLessThan(crop.pixels[crop.index(x: x + 6, y: y)], 40)
            XCTAssertLessThan(crop.pixels[crop.index(x: x, y: y + 6)], 40)
        }
    }

    func testDegenerateLandmarksGiveNoAlignment() {
        XCTAssertNil(FaceAlignment.transform(landmarks: Array(repeating: [5, 5], count: 5), size: 64))
        XCTAssertNil(FaceAlignment.transform(landmarks: [[1, 2]], size: 64))
        XCTAssertNil(FaceAlignment.transform(landmarks: Array(repeating: [.nan, 1], count: 5), size: 64))
    }

    /// facenet-pytorch's extract_face arithmetic by hand: box 10.7…50.2 × 20.3…70.9, margin 16 of 64:
    /// 16 · 39.5 / 48 = 13.17 and 16 · 50.6 / 48 = 16.87 pixels, half each side, truncated, clamped.
    func testCropRegionFollowsExtractFace() throws {
        let r = try XCTUnwrap(FaceCrop.region(box: [10.7, 20.3, 50.2, 70.9], margin: 16, size: 64, imageWidth: 55, imageHeight: 100))
        XCTAssertEqual([r.x1, r.y1, r.x2, r.y2], [4, 11, 55, 79])
        let plain = try XCTUnwrap(FaceCrop.region(box: [10.7, 20.3, 50.2, 70.9], margin: 0, size: 64, imageWidth: 55, imageHeight: 100))
        XCTAssertEqual([plain.x1, plain.y1, plain.x2, plain.y2], [10, 20, 50, 70])
        XCTAssertNil(FaceCrop.region(box: [60, 20, 80, 40], margin: 0, size: 64, imageWidth: 55, imageHeight: 100), "a box right of the photo")
        XCTAssertNil(FaceCrop.region(box: [1, 2, 3, 4], margin: 64, size: 64, imageWidth: 55, imageHeight: 100))
    }

    /// Pillow's convert("L") on the primaries and grey: 76, 150, 29 (as Image.new("RGB", …).convert("L") gives).
    func testGrayscaleIsPillowsLuma() {
        let image = RGBImage(width: 4, height: 1, pixels: [255, 0, 0, 0, 255, 0, 0, 0, 255, 77, 77, 77])
        XCTAssertEqual(image.grayscale().pixels, [76, 76, 76, 150, 150, 150, 29, 29, 29, 77, 77, 77])
    }
}
