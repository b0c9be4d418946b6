import Foundation
import Images
import TensorTesting
import XCTest

/// JPEG decoding against Pillow's decoding of the same files (Fixtures/make_image_fixtures.py), JPEG encoding,
/// PPM, content sniffing, and every kind of bad input with its error.
final class ImageCodecTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }
    static func bytes(_ name: String) throws -> [UInt8] { try [UInt8](Data(contentsOf: fixtures.appendingPathComponent(name))) }

    static func maxDifference(_ a: RGBImage, _ b: RGBImage) -> Int {
        precondition(a.width == b.width && a.height == b.height)
        return zip(a.pixels, b.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
    }

    /// Where the entropy-coded data of the first scan starts and where the file's last marker (EOI) begins.
    static func scanData(_ jpeg: [UInt8]) -> Range<Int> {
        var i = 2
        while jpeg[i + 1] != 0xDA { i += 2 + (Int(jpeg[i + 2]) << 8 | Int(jpeg[i + 3])) }
        return (i + 2 + (Int(jpeg[i + 2]) << 8 | Int(jpeg[i + 3])))..<(jpeg.count - 2)
    }

    // MARK: Decoding valid files

    func testDecodingMatchesPillow() throws {
        for name in ["img_pattern_q90", "img_pattern_444", "img_progressive", "img_gray"] {
            let decoded = try JPEG.decode(file: Self.fixture(name + ".jpg"))
            let pillow = try PPM.decode(Self.bytes(name + ".ppm"), name: name)
            XCTAssertEqual(decoded.width, 37, name)
            XCTAssertEqual(decoded.height, 29, name)
            let difference = Self.maxDifference(decoded, pillow)
            print("\(name).jpg: max |zoo − Pillow| = \(difference)")
            XCTAssertLessThanOrEqual(difference, 1, name)
        }
    }

    func testGrayscaleBecomesRGB() throws {
        let image = try JPEG.decode(file: Self.fixture("img_gray.jpg"))
        for i in stride(from: 0, to: image.pixels.count, by: 3) {
            XCTAssertEqual(image.pixels[i], image.pixels[i + 1])
            XCTAssertEqual(image.pixels[i], image.pixels[i + 2])
        }
    }

    func testCMYKIsRefused() {
        XCTAssertThrowsError(try JPEG.decode(file: Self.fixture("img_cmyk.jpg"))) { error in
            XCTAssertEqual(error as? ImageError, .unsupported(file: Self.fixture("img_cmyk.jpg"), reason: "CMYK JPEG (convert it to RGB first)"))
        }
    }

    // MARK: Encoding

    func testEncodeDecodeRoundTrip() throws {
        // A smooth 64×48 image: JPEG at quality 90 keeps it within a few levels.
        var pixels = [UInt8]()
        for y in 0..<48 {
            for x in 0..<64 { pixels += [UInt8(x * 4), UInt8(y * 5), UInt8((x + y) * 2)] }
        }
        let image = RGBImage(width: 64, height: 48, pixels: pixels)
        let encoded = try JPEG.encode(image, quality: 90)
        XCTAssertEqual(Array(encoded.prefix(2)), [0xFF, 0xD8])
        XCTAssertEqual(Array(encoded.suffix(2)), [0xFF, 0xD9])
        let decoded = try JPEG.decode(encoded, name: "encoded")
        XCTAssertEqual(decoded.width, 64)
        XCTAssertEqual(decoded.height, 48)
        let meanError = Double(zip(image.pixels, decoded.pixels).map { abs(Int($0) - Int($1)) }.reduce(0, +)) / Double(pixels.count)
        XCTAssertLessThan(meanError, 2.0)
        XCTAssertLessThan(try JPEG.encode(image, quality: 30).count, encoded.count)
    }

    func testEncodeRefusesBadQuality() {
        XCTAssertThrowsError(try JPEG.encode(RGBImage(width: 2, height: 2), quality: 0)) { error in
            XCTAssertEqual((error as? ImageError)?.description, "cannot encode image: JPEG quality 0 is outside 1…100")
        }
    }

    // MARK: Bad input: every one a thrown error naming the file, never an exit

    func assertJPEGError(_ bytes: [UInt8], _ expected: (ImageError) -> Bool, _ what: String, line: UInt = #line) {
        XCTAssertThrowsError(try JPEG.decode(bytes, name: "bad.jpg"), what, line: line) { error in
            guard let error = error as? ImageError else { return XCTFail("\(what): not an ImageError: \(error)", line: line) }
            print("\(what): \(error)")
            XCTAssertTrue(error.description.hasPrefix("bad.jpg: "), "\(what): \(error)", line: line)
            XCTAssertTrue(expected(error), "\(what): unexpected \(error)", line: line)
        }
    }

    func testEmptyFile() {
        assertJPEGError([], { $0 == .empty(file: "bad.jpg") }, "empty")
    }

    func testRandomBytes() {
        var generator = SplitMix64(seed: 7)
        let noise = (0..<5000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        assertJPEGError(noise, { if case .wrongFormat = $0 { return true }; return false }, "random bytes")
        // Random bytes behind a JPEG signature get as far as libjpeg.
        assertJPEGError([0xFF, 0xD8] + noise, { if case .corrupt = $0 { return true }; if case .truncated = $0 { return true }; return false },
                        "random bytes after SOI")
    }

    func testPNGIsNotAJPEG() throws {
        assertJPEGError(try Self.bytes("img_pattern.png"),
                        { $0 == .wrongFormat(file: "bad.jpg", expected: "a JPEG image", looksLike: "a PNG image") }, "PNG")
    }

    func testTruncatedHeader() throws {
        let jpeg = try Self.bytes("img_pattern_q90.jpg")
        for cut in [2, 3, 20, 100, Self.scanData(jpeg).lowerBound] {
            assertJPEGError(Array(jpeg.prefix(cut)), { if case .truncated = $0 { return true }; return false }, "cut at byte \(cut)")
        }
    }

    func testCutInTheMiddleOfTheScan() throws {
        for name in ["img_pattern_q90.jpg", "img_progressive.jpg"] {
            let jpeg = try Self.bytes(name)
            let scan = Self.scanData(jpeg)
            let cut = Array(jpeg.prefix((scan.lowerBound + scan.upperBound) / 2))
            assertJPEGError(cut, { $0 == .truncated(file: "bad.jpg", reason: "the data ends after \(cut.count) bytes, before the image does") }, "\(name) cut in scan")
        }
    }

    func testMissingEndMarker() throws {
        let jpeg = try Self.bytes("img_pattern_q90.jpg")
        assertJPEGError(Array(jpeg.dropLast(2)), { if case .truncated = $0 { return true }; return false }, "no EOI")
    }

    func testCorruptScanData() throws {
        var jpeg = try Self.bytes("img_pattern_q90.jpg")
        let scan = Self.scanData(jpeg)
        // A marker in the middle of the entropy-coded data: libjpeg warns and would fill the rest with gray.
        jpeg.replaceSubrange(scan.lowerBound + 40..<scan.lowerBound + 42, with: [0xFF, 0xD5])
        assertJPEGError(jpeg, { if case .corrupt = $0 { return true }; return false }, "marker inside the scan")
    }

    /// Errors libjpeg treats as fatal (its error_exit), which must come back as Swift errors.
    func testFatalLibJPEGErrors() throws {
        let jpeg = try Self.bytes("img_pattern_q90.jpg")
        // An undefined marker right after SOI.
        assertJPEGError([0xFF, 0xD8, 0xFF, 0x02, 0x00, 0x04, 0x00, 0x00] + jpeg.dropFirst(2),
                        { $0 == .corrupt(file: "bad.jpg", reason: "Unsupported marker type 0x02") }, "unknown marker")
        // A Huffman table whose code counts add up to more than 256.
        var badTable = jpeg
        let dht = (0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC4 }!
        for i in 0..<16 { badTable[dht + 5 + i] = 0xFF }
        assertJPEGError(badTable, { $0 == .corrupt(file: "bad.jpg", reason: "Bogus Huffman table definition") }, "bad Huffman table")
        // A lossless JPEG (SOF3): valid, but not something libjpeg decodes.
        var lossless = jpeg
        let sof = (0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 }!
        lossless[sof + 1] = 0xC3
        assertJPEGError(lossless, { if case .unsupported = $0 { return true }; return false }, "lossless")
    }

    func testHugeDimensionsAreRefusedBeforeAllocating() throws {
        // A header claiming 65000×65000 (12 GB of pixels): refused from the header alone.
        var jpeg = try Self.bytes("img_pattern_q90.jpg")
        let sof = (0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 }!
        jpeg.replaceSubrange((sof + 5)..<(sof + 9), with: [0xFD, 0xE8, 0xFD, 0xE8])
        assertJPEGError(jpeg, {
            $0 == .unsupported(file: "bad.jpg", reason: "65000×65000 pixels, more than the limit of 178956970 (a decompression bomb?)")
        }, "huge JPEG")
        XCTAssertThrowsError(try PPM.decode(Array("P6\n100000 100000\n255\n".utf8), name: "x.ppm")) { error in
            XCTAssertEqual(error as? ImageError,
                           .unsupported(file: "x.ppm", reason: "100000×100000 pixels, more than the limit of 178956970 (a decompression bomb?)"))
        }
    }

    /// Fatal errors leave the side stack mid-call; thousands of them, from many threads at once, with good
    /// decodes in between, must neither crash nor disturb the good ones.
    func testManyFailuresFromManyThreads() throws {
        let good = try Self.bytes("img_pattern_q90.jpg")
        let expected = try JPEG.decode(good, name: "good")
        let bad = [0xFF, 0xD8, 0xFF, 0x02, 0x00, 0x04, 0x00, 0x00] + good.dropFirst(2)
        let cut = Array(good.prefix(good.count / 2))
        let mismatches = Counter()
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            for i in 0..<300 {
                switch i % 3 {
                case 0: if (try? JPEG.decode(good, name: "good")) != expected { mismatches.add() }
                case 1: if (try? JPEG.decode(bad, name: "bad")) != nil { mismatches.add() }
                default: if (try? JPEG.decode(cut, name: "cut")) != nil { mismatches.add() }
                }
            }
        }
        XCTAssertEqual(mismatches.value, 0)
    }

    // MARK: PPM and sniffing

    func testPPM() throws {
        let image = try PPM.decode(Self.bytes("img_pattern.ppm"), name: "pattern")
        XCTAssertEqual(image.width, 37)
        XCTAssertEqual(image.height, 29)
        XCTAssertEqual(try PPM.decode(PPM.encode(image), name: "again"), image)
        // Comments, odd whitespace, maxval < 255 scaled to 0…255.
        let small = Array("P6 # comment\n2\t1\n# another\n15\n".utf8) + [0, 15, 5, 15, 0, 10]
        XCTAssertEqual(try PPM.decode(small, name: "small").pixels, [0, 255, 85, 255, 0, 170])
    }

    func testPPMErrors() {
        func check(_ bytes: [UInt8], _ expected: ImageError) {
            XCTAssertThrowsError(try PPM.decode(bytes, name: "x.ppm")) { XCTAssertEqual($0 as? ImageError, expected) }
        }
        check(Array("P6\n2 2\n255\n".utf8) + [1, 2, 3], .truncated(file: "x.ppm", reason: "a 2×2 PPM needs 12 bytes of samples, the file has 3"))
        check(Array("P6\n2 2".utf8), .truncated(file: "x.ppm", reason: "PPM header ends before its maxval"))
        check(Array("P6\n2 2\n65535\n".utf8), .unsupported(file: "x.ppm", reason: "PPM maxval 65535 (only 8-bit samples, maxval ≤ 255)"))
        check(Array("P5\n2 2\n255\n".utf8), .unsupported(file: "x.ppm", reason: "PNM variant P5 (only binary RGB, P6)"))
        check(Array("P6\nx 2\n255\n".utf8), .corrupt(file: "x.ppm", reason: "PPM header: expected the width at byte 3"))
    }

    func testImageFileSniffsTheContent() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-image-file-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // Names lie; content decides.
        let jpegNamedPPM = directory.appendingPathComponent("actually_jpeg.ppm").path
        try Data(Self.bytes("img_pattern_q90.jpg")).write(to: URL(fileURLWithPath: jpegNamedPPM))
        XCTAssertEqual(try ImageFile.read(jpegNamedPPM), try JPEG.decode(file: Self.fixture("img_pattern_q90.jpg")))
        XCTAssertEqual(try ImageFile.read(Self.fixture("img_pattern.ppm")), try PPM.decode(Self.bytes("img_pattern.ppm"), name: ""))

        let png = Self.fixture("img_pattern.png")
        XCTAssertEqual(try ImageFile.read(png), try PNG.decode(file: png))
        let gif = directory.appendingPathComponent("animation.jpg").path
        try Data("GIF89a".utf8).write(to: URL(fileURLWithPath: gif))
        XCTAssertThrowsError(try ImageFile.read(gif)) { error in
            XCTAssertEqual("\(error)", "\(gif): not a JPEG, PNG or PPM image (it looks like a GIF image)")
        }
        let empty = directory.appendingPathComponent("empty.jpg").path
        try Data().write(to: URL(fileURLWithPath: empty))
        XCTAssertThrowsError(try ImageFile.read(empty)) { XCTAssertEqual($0 as? ImageError, .empty(file: empty)) }
        let text = directory.appendingPathComponent("notes.jpg").path
        try Data("hello".utf8).write(to: URL(fileURLWithPath: text))
        XCTAssertThrowsError(try ImageFile.read(text)) { XCTAssertEqual("\($0)", "\(text): not a JPEG, PNG or PPM image") }
        let missing = directory.appendingPathComponent("missing.jpg").path
        XCTAssertThrowsError(try ImageFile.read(missing)) {
            XCTAssertEqual($0 as? ImageError, .unreadable(file: missing, reason: "No such file or directory"))
        }
        XCTAssertThrowsError(try ImageFile.read(directory.path)) {
            XCTAssertEqual($0 as? ImageError, .unreadable(file: directory.path, reason: "not a regular file"))
        }
    }
}

extension ImageCodecTests {
    /// A deterministic generator for test noise.
}
