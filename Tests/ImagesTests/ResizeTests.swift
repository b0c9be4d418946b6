import CZstd
import Foundation
import Images
import TensorTesting
import XCTest

/// Resizing against Pillow's `Image.resize` (what torchvision's `Resize` runs on PIL images), crops and flips by
/// hand, and normalisation against torchvision's `ToTensor` + `Normalize` (Fixtures/make_image_fixtures.py).
final class ResizeTests: XCTestCase {
    static let fixtures = ImageCodecTests.fixtures

    static func pattern() throws -> RGBImage {
        try PPM.decode(ImageCodecTests.bytes("img_pattern.ppm"), name: "img_pattern.ppm")
    }

    /// Pillow's output: a PPM, or for the big ones channel planes of the second difference (along x, then y,
    /// mod 256), zstd-compressed, which undoing the two differences (running sums) restores.
    static func pillowResized(_ filter: String, _ width: Int, _ height: Int) throws -> RGBImage {
        let name = "img_resized_\(filter)_\(width)x\(height)"
        if width * height <= 4096 { return try PPM.decode(ImageCodecTests.bytes(name + ".ppm"), name: name) }
        let compressed = try ImageCodecTests.bytes(name + ".dxy.zst")
        var planes = [UInt8](repeating: 0, count: 3 * width * height)
        let written = ZSTD_decompress(&planes, planes.count, compressed, compressed.count)
        precondition(ZSTD_isError(written) == 0 && written == planes.count, "\(name): bad fixture")
        var pixels = [UInt8](repeating: 0, count: planes.count)
        for c in 0..<3 {
            for y in 0..<height {
                var running: UInt8 = 0
                for x in 0..<width {
                    let i = (c * height + y) * width + x
                    if y > 0 { planes[i] &+= planes[i - width] }  // undo the difference along y
                    running &+= planes[i]                         // and along x
                    pixels[(y * width + x) * 3 + c] = running
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    func testResizeMatchesPillow() throws {
        let image = try Self.pattern()
        for (name, filter) in [("bilinear", ResizeFilter.bilinear), ("bicubic", .bicubic)] {
            for (width, height) in [(224, 224), (16, 12), (50, 40)] {
                let ours = image.resized(width: width, height: height, filter: filter)
                let pillow = try Self.pillowResized(name, width, height)
                XCTAssertEqual(ours.width, width)
                XCTAssertEqual(ours.height, height)
                let difference = ImageCodecTests.maxDifference(ours, pillow)
                print("resize 37×29 → \(width)×\(height) \(name): max |zoo − Pillow| = \(difference)")
                // Pillow's fixed-point arithmetic is reproduced exactly, so not even rounding differs.
                XCTAssertEqual(difference, 0, "\(name) \(width)×\(height)")
            }
        }
    }

    func testResizeToTheSameSizeIsACopy() throws {
        let image = try Self.pattern()
        XCTAssertEqual(image.resized(width: 37, height: 29, filter: .bicubic), image)
    }

    func testConstantImageStaysConstant() {
        // Weights are normalised to sum to one: a flat colour survives any scale, with either filter.
        let flat = RGBImage(width: 13, height: 7, fill: (200, 3, 77))
        for filter in [ResizeFilter.bilinear, .bicubic] {
            XCTAssertEqual(flat.resized(width: 5, height: 30, filter: filter), RGBImage(width: 5, height: 30, fill: (200, 3, 77)))
        }
    }

    func testCropAndFlip() {
        // 3×2 image, pixel (x, y) = (10x + y, 100 + x, 200 + y).
        var pixels = [UInt8]()
        for y in 0..<2 {
            for x in 0..<3 { pixels += [UInt8(10 * x + y), UInt8(100 + x), UInt8(200 + y)] }
        }
        let image = RGBImage(width: 3, height: 2, pixels: pixels)
        XCTAssertEqual(image.cropped(x: 1, y: 1, width: 2, height: 1).pixels, [11, 101, 201, 21, 102, 201])
        XCTAssertEqual(image.cropped(x: 0, y: 0, width: 3, height: 2), image)
        XCTAssertEqual(image.flippedHorizontally().pixels,
                       [20, 102, 200, 10, 101, 200, 0, 100, 200, 21, 102, 201, 11, 101, 201, 1, 100, 201])
        XCTAssertEqual(image.flippedHorizontally().flippedHorizontally(), image)
    }

    func testNormalizationMatchesTorchvision() throws {
        let fixture = try FixtureFile(path: Self.fixtures.appendingPathComponent("img_normalize.safetensors").path)
        let source = fixture["image"]!, expected = fixture["chw"]!
        XCTAssertEqual(source.shape, [16, 16, 3])
        let image = RGBImage(width: 16, height: 16, pixels: (0..<source.count).map { UInt8(source.data[$0]) })
        let chw = image.tensorCHW()
        XCTAssertEqual(chw.count, expected.count)
        var difference: Float = 0
        for i in 0..<chw.count { difference = max(difference, abs(chw[i] - expected.data[i])) }
        print("normalise: max |zoo − torchvision| = \(difference)")
        XCTAssertEqual(difference, 0)  // the same float32 operations in the same order
    }

    func testWriteCHWFillsOneBatchSlot() {
        let image = RGBImage(width: 2, height: 1, pixels: [0, 51, 255, 255, 102, 0])
        var batch = [Float](repeating: 9, count: 2 * 3 * 2)
        batch.withUnsafeMutableBufferPointer { image.writeCHW(into: $0.baseAddress! + 6, mean: [0, 0.5, 0], std: [1, 0.5, 2]) }
        XCTAssertEqual(Array(batch[0..<6]), [9, 9, 9, 9, 9, 9])
        // Planes R, G, B: (x/255 − mean)/std.
        XCTAssertEqual(Array(batch[6..<12]), [0, 1, (0.2 - 0.5) / 0.5, (0.4 - 0.5) / 0.5, 0.5, 0], accuracy: 1e-6)
    }
}

private func XCTAssertEqual(_ a: [Float], _ b: [Float], accuracy: Float, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}
