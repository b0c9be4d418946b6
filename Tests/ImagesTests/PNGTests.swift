import Foundation
import Images
import TensorTesting
import XCTest

/// PNG decoding against Pillow's `convert("RGB")` of the same files (Fixtures/make_png_fixtures.py), byte for
/// byte, over every colour type, bit depth and Adam7; and every kind of bad input with its error.
final class PNGTests: XCTestCase {
    static let fixtures = ImageCodecTests.fixtures
    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }
    static func bytes(_ name: String) throws -> [UInt8] { try [UInt8](Data(contentsOf: fixtures.appendingPathComponent(name))) }

    /// The png_<kind>.png fixtures, each with Pillow's RGB of it in png_<kind>.ppm.
    static func kinds() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: fixtures.path)
            .filter { $0.hasPrefix("png_") && $0.hasSuffix(".png") }.map { String($0.dropLast(4)) }.sorted()
    }

    // MARK: Decoding valid files

    func testEveryKindMatchesPillowByteForByte() throws {
        var seen = Set<String>(), interlaced = 0
        for kind in try Self.kinds() {
            let png = try Self.bytes(kind + ".png")
            let decoded = try PNG.decode(png, name: kind)
            let pillow = try PPM.decode(Self.bytes(kind + ".ppm"), name: kind + ".ppm")
            XCTAssertEqual(decoded.width, pillow.width, kind)
            XCTAssertEqual(decoded.height, pillow.height, kind)
            let differing = zip(decoded.pixels, pillow.pixels).filter { $0 != $1 }.count
            XCTAssertEqual(differing, 0, "\(kind): \(differing) bytes differ from Pillow's")
            // IHDR: bit depth at byte 24, colour type at 25, interlace method at 28.
            seen.insert("\(png[25])/\(png[24])")
            if png[28] == 1 { interlaced += 1 }
        }
        // Every colour type at every bit depth PNG allows, so that a missing fixture cannot pass silently.
        let all: Set<String> = ["0/1", "0/2", "0/4", "0/8", "0/16", "2/8", "2/16", "3/1", "3/2", "3/4", "3/8", "4/8", "4/16", "6/8", "6/16"]
        XCTAssertEqual(seen, all)
        XCTAssertGreaterThanOrEqual(interlaced, 6)
    }

    func testAlphaIsDroppedNotComposited() throws {
        // Pillow's convert("RGB") keeps the colour of a fully transparent pixel; compositing on white would not.
        let rgba = try PNG.decode(file: Self.fixture("png_rgba8.png"))
        let rgb = try PNG.decode(file: Self.fixture("png_rgb8.png"))
        XCTAssertEqual(rgba, rgb)
    }

    func testImageFileTakesPNGByContentWhateverTheName() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-png-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let named = directory.appendingPathComponent("actually_png.jpg").path
        try Data(Self.bytes("png_palette4_trns_adam7.png")).write(to: URL(fileURLWithPath: named))
        XCTAssertEqual(try ImageFile.read(named), try PPM.decode(Self.bytes("png_palette4_trns_adam7.ppm"), name: ""))
        XCTAssertThrowsError(try ImageFile.read(Self.fixture("bad_zlib.png"))) { error in
            guard case .corrupt(Self.fixture("bad_zlib.png"), _)? = error as? ImageError else { return XCTFail("\(error)") }
        }
    }

    // MARK: Bad input: every one a thrown error naming the file, never an exit

    func assertPNGError(_ bytes: [UInt8], _ expected: (ImageError) -> Bool, _ what: String, line: UInt = #line) {
        XCTAssertThrowsError(try PNG.decode(bytes, name: "bad.png"), what, line: line) { error in
            guard let error = error as? ImageError else { return XCTFail("\(what): not an ImageError: \(error)", line: line) }
            XCTAssertTrue(error.description.hasPrefix("bad.png: "), "\(what): \(error)", line: line)
            XCTAssertTrue(expected(error), "\(what): unexpected \(error)", line: line)
        }
    }

    static func isTruncated(_ e: ImageError) -> Bool { if case .truncated = e { return true }; return false }
    static func isCorrupt(_ e: ImageError, containing text: String = "") -> Bool {
        if case let .corrupt(_, reason) = e { return text.isEmpty || reason.contains(text) }
        return false
    }

    func testNotAPNG() throws {
        assertPNGError([], { $0 == .empty(file: "bad.png") }, "empty")
        assertPNGError(try Self.bytes("img_pattern_q90.jpg"),
                       { $0 == .wrongFormat(file: "bad.png", expected: "a PNG image", looksLike: "a JPEG image") }, "JPEG")
        assertPNGError(Array("hello".utf8), { $0 == .wrongFormat(file: "bad.png", expected: "a PNG image", looksLike: nil) }, "text")
    }

    func testDamagedSignature() throws {
        var png = try Self.bytes("png_rgb8.png")
        png.remove(at: 4)  // "\r\n" → "\n", as a transfer in text mode does
        assertPNGError(png, { Self.isCorrupt($0, containing: "damaged PNG signature") }, "CRLF → LF")
        assertPNGError(Array(png.prefix(6)), Self.isTruncated, "cut in the signature")
    }

    /// A file cut anywhere, even inside the last chunk's CRC, is truncated: nothing after the image data is
    /// optional.
    func testEveryCutIsTruncation() throws {
        for name in ["png_rgb8.png", "png_palette4_trns_adam7.png", "png_rgba16_adam7.png", "png_rgb8_chunks.png"] {
            let png = try Self.bytes(name)
            for cut in 8..<png.count {
                assertPNGError(Array(png.prefix(cut)), { $0 == .truncated(file: "bad.png", reason: "the data ends after \(cut) bytes, before the image does") },
                               "\(name) cut at \(cut)")
            }
        }
    }

    func testBadCRCs() throws {
        let png = try Self.bytes("png_rgb8_chunks.png")
        func flipped(_ offset: Int) -> [UInt8] { var p = png; p[offset] ^= 0x01; return p }
        assertPNGError(flipped(8 + 8 + 2), { Self.isCorrupt($0, containing: "CRC") }, "IHDR data")
        let idat = try XCTUnwrap(Self.chunkOffset("IDAT", in: png))
        assertPNGError(flipped(idat.data.upperBound), { Self.isCorrupt($0, containing: "CRC") }, "IDAT CRC")
        // An ancillary chunk (libpng only warns, and would drop it): an error too.
        let gamma = try XCTUnwrap(Self.chunkOffset("gAMA", in: png))
        assertPNGError(flipped(gamma.data.lowerBound), { Self.isCorrupt($0, containing: "CRC") }, "gAMA data")
    }

    func testDamagedImageData() throws {
        assertPNGError(try Self.bytes("bad_zlib.png"), { Self.isCorrupt($0) }, "damaged deflate stream")
    }

    func testBadHeaders() throws {
        let png = try Self.bytes("png_rgb8.png")
        XCTAssertThrowsError(try PNG.decode(file: Self.fixture("bad_huge.png"))) { error in
            XCTAssertEqual(error as? ImageError, .unsupported(file: Self.fixture("bad_huge.png"),
                                                             reason: "65000×65000 pixels, more than the limit of 178956970 (a decompression bomb?)"))
        }
        // IHDR rewritten (with its CRC recomputed, so that libpng gets as far as the values).
        func withHeader(width: UInt32 = 13, height: UInt32 = 11, bitDepth: UInt8 = 8, colorType: UInt8 = 2) -> [UInt8] {
            var p = png
            let fields = Self.bigEndian(width) + Self.bigEndian(height) + [bitDepth, colorType]
            p.replaceSubrange(16..<26, with: fields)
            p.replaceSubrange(29..<33, with: Self.bigEndian(Self.crc32(Array(p[12..<29]))))
            return p
        }
        XCTAssertEqual(try PNG.decode(withHeader(), name: "same"), try PNG.decode(png, name: "png"))  // the rewrite itself is sound
        assertPNGError(withHeader(width: 0), { $0 == .corrupt(file: "bad.png", reason: "Invalid IHDR data (Image width is zero in IHDR)") }, "zero width")
        assertPNGError(withHeader(height: 0x8000_0000), { $0 == .corrupt(file: "bad.png", reason: "PNG unsigned integer out of range") }, "height past 2^31 − 1")
        assertPNGError(withHeader(width: 0x7FFF_FFFF, height: 0x7FFF_FFFF), {
            $0 == .unsupported(file: "bad.png", reason: "2147483647×2147483647 pixels, more than the limit of 178956970 (a decompression bomb?)")
        }, "largest legal size")
        assertPNGError(withHeader(colorType: 5), { $0 == .corrupt(file: "bad.png", reason: "Invalid IHDR data (Invalid color type in IHDR)") }, "colour type 5")
        assertPNGError(withHeader(bitDepth: 4), { Self.isCorrupt($0, containing: "Invalid color type/bit depth combination") }, "4-bit RGB")
        // More rows than IHDR declares: fewer pixels than the data.
        assertPNGError(withHeader(height: 12), { Self.isCorrupt($0) }, "IDAT shorter than IHDR says")
    }

    /// Errors jump out of libpng mid-call; thousands of them from many threads at once, with good decodes in
    /// between, must neither crash nor disturb the good ones.
    func testManyFailuresFromManyThreads() throws {
        let good = try Self.bytes("png_rgba16_adam7.png")
        let expected = try PNG.decode(good, name: "good")
        let bad = try Self.bytes("bad_zlib.png")
        let cut = Array(good.prefix(good.count / 2))
        let mismatches = Counter()
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            for i in 0..<300 {
                switch i % 3 {
                case 0: if (try? PNG.decode(good, name: "good")) != expected { mismatches.add() }
                case 1: if (try? PNG.decode(bad, name: "bad")) != nil { mismatches.add() }
                default: if (try? PNG.decode(cut, name: "cut")) != nil { mismatches.add() }
                }
            }
        }
        XCTAssertEqual(mismatches.value, 0)
    }

    /// Damage behind valid checksums, which a fuzzer blind inside libpng rarely produces: random bytes of
    /// every fixture changed and every chunk's CRC recomputed, so that libpng reads on into the damaged
    /// header values, palettes and deflate streams. Each must decode or end in an ImageError, never crash.
    func testMutationsWithValidCRCsEndInErrors() throws {
        var generator = SplitMix64(seed: 11)
        var decoded = 0, failed = 0
        for kind in try Self.kinds() {
            let png = try Self.bytes(kind + ".png")
            for _ in 0..<200 {
                var mutated = png
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    mutated[Int.random(in: 8..<mutated.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
                Self.fixCRCs(&mutated)
                do {
                    _ = try PNG.decode(mutated, name: "mutated.png")
                    decoded += 1
                } catch is ImageError {
                    failed += 1
                }
            }
        }
        print("mutated PNGs: \(decoded) decoded, \(failed) refused")
        XCTAssertGreaterThan(failed, 0)
        XCTAssertGreaterThan(decoded, 0)
    }

    // MARK: Helpers

    /// Recomputes the CRC of every chunk whose length still fits in the file.
    static func fixCRCs(_ png: inout [UInt8]) {
        var i = 8
        while i + 12 <= png.count {
            let length = Int(png[i]) << 24 | Int(png[i + 1]) << 16 | Int(png[i + 2]) << 8 | Int(png[i + 3])
            guard length <= png.count - i - 12 else { return }
            png.replaceSubrange((i + 8 + length)..<(i + 12 + length), with: bigEndian(crc32(Array(png[(i + 4)..<(i + 8 + length)]))))
            i += 12 + length
        }
    }


    /// Where a chunk's data lies (its CRC follows), for the first chunk of that type.
    static func chunkOffset(_ type: String, in png: [UInt8]) -> (data: Range<Int>, Void)? {
        var i = 8
        while i + 8 <= png.count {
            let length = Int(png[i]) << 24 | Int(png[i + 1]) << 16 | Int(png[i + 2]) << 8 | Int(png[i + 3])
            if String(decoding: png[(i + 4)..<(i + 8)], as: UTF8.self) == type { return ((i + 8)..<(i + 8 + length), ()) }
            i += 12 + length
        }
        return nil
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    /// PNG's CRC-32 (ISO 3309) over a chunk's type and data.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
