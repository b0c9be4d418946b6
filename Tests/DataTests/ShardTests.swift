import Data
import Foundation
import Images
import TensorTesting
import XCTest

/// Image shards: round trips, a shard written independently by Python from the format description, atomic
/// appearance, and every kind of damage with its error.
final class ShardTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }
    static func bytes(_ name: String) throws -> [UInt8] { try [UInt8](Data(contentsOf: fixtures.appendingPathComponent(name))) }

    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-shards-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    static func randomImage(size: Int, seed: UInt64) -> RGBImage {
        var generator = SplitMix64(seed: seed)
        // Half noise, half flat: compressible but not trivially.
        let pixels = (0..<(size * size * 3)).map { i in i % 6 < 3 ? UInt8.random(in: 0...255, using: &generator) : UInt8(i / 97 % 256) }
        return RGBImage(width: size, height: size, pixels: pixels)
    }

    static let records = [
        ShardRecord(key: "F001/T1/0001.jpg", labels: [1, 0, 0.5, -2.25], subject: "F001", classIndex: 3),
        ShardRecord(key: "M002/T4/0042.jpg", labels: [0, 1, .nan, .infinity], subject: "M002"),
        ShardRecord(key: "no-subject \"quoted\" ✓", labels: []),
        ShardRecord(key: "F001/T2/0007.jpg", labels: [0.1, 0.2, 0.3, 1e-7], subject: "F001", classIndex: 0),
        ShardRecord(key: "last", labels: [-0.0], classIndex: 6),
    ]

    /// Writes the five records with random 32×32 images; returns the path and the images.
    func writeShard(_ name: String = "a.shard", level: Int = -1) throws -> (String, [RGBImage]) {
        let images = (0..<Self.records.count).map { Self.randomImage(size: 32, seed: UInt64($0)) }
        let writer = try ShardWriter(path: path(name), imageSize: 32, compressionLevel: level)
        for (image, record) in zip(images, Self.records) { try writer.append(image, record: record) }
        try writer.finish()
        return (path(name), images)
    }

    static func assertSameRecord(_ a: ShardRecord, _ b: ShardRecord, line: UInt = #line) {
        XCTAssertEqual(a.key, b.key, line: line)
        XCTAssertEqual(a.subject, b.subject, line: line)
        XCTAssertEqual(a.classIndex, b.classIndex, line: line)
        // Bit patterns: NaN, infinities and −0 come back as they went in.
        XCTAssertEqual(a.labels.map { $0.isNaN ? Float.nan.bitPattern : $0.bitPattern },
                       b.labels.map { $0.isNaN ? Float.nan.bitPattern : $0.bitPattern }, line: line)
    }

    func testRoundTrip() throws {
        let (file, images) = try writeShard(level: 3)
        let reader = try ShardReader(path: file)
        XCTAssertEqual(reader.count, 5)
        XCTAssertEqual(reader.imageSize, 32)
        // Random access, in any order.
        for i in [4, 0, 2, 1, 3, 2] {
            XCTAssertEqual(try reader.image(i), images[i])
            Self.assertSameRecord(reader.record(i), Self.records[i])
        }
        // Compressed image by image (level 3 here; the default fast level trades size for read speed).
        let size = try FileManager.default.attributesOfItem(atPath: file)[.size] as! Int
        XCTAssertLessThan(size, 5 * 32 * 32 * 3)
    }

    func testConcurrentReads() throws {
        let (file, images) = try writeShard()
        let reader = try ShardReader(path: file)
        let mismatches = Counter()
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for i in 0..<200 where (try? reader.image((i + worker) % 5)) != images[(i + worker) % 5] { mismatches.add() }
        }
        XCTAssertEqual(mismatches.value, 0)
    }

    /// Found by fuzzing (FuzzShards stopped after 20,000 inputs, unable to create a file): each reader kept
    /// its file open and mapped for ever. Dropping a reader must close the file and unmap it.
    func testADroppedReaderLeavesNoDescriptorOrMapping() throws {
        let (file, _) = try writeShard()
        func openDescriptors() throws -> Int { try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count }
        // /proc files report size 0, so they are read to the end rather than by their size.
        func mappings() throws -> Int {
            let maps = try XCTUnwrap(FileHandle(forReadingAtPath: "/proc/self/maps")).readToEnd() ?? Data()
            return String(decoding: maps, as: UTF8.self).components(separatedBy: file).count - 1
        }
        let descriptorsBefore = try openDescriptors()
        for _ in 0..<100 {
            let reader = try ShardReader(path: file)
            XCTAssertEqual(reader.count, 5)
            XCTAssertEqual(try mappings(), 1)
        }
        XCTAssertEqual(try mappings(), 0)
        XCTAssertEqual(try openDescriptors(), descriptorsBefore)
    }

    func testEmptyShard() throws {
        let writer = try ShardWriter(path: path("empty.shard"), imageSize: 8)
        try writer.finish()
        let reader = try ShardReader(path: path("empty.shard"))
        XCTAssertEqual(reader.count, 0)
        XCTAssertEqual(reader.imageSize, 8)
    }

    /// A shard written by make_image_fixtures.py from the format description alone (zstd command-line frames).
    func testReadsTheIndependentlyWrittenFixture() throws {
        let reader = try ShardReader(path: Self.fixture("shard_tiny.shard"))
        XCTAssertEqual(reader.count, 2)
        XCTAssertEqual(reader.imageSize, 4)
        XCTAssertEqual(reader.record(0), ShardRecord(key: "subject1/frame_0001.jpg", labels: [1, 0, 0.5], subject: "F001", classIndex: 2))
        XCTAssertEqual(reader.record(1), ShardRecord(key: "subject2/frame_0002.jpg", labels: [0, 1, -0.25]))
        for i in 0..<2 {
            XCTAssertEqual(try reader.image(i), try PPM.decode(Self.bytes("shard_tiny_\(i).ppm"), name: "shard_tiny_\(i).ppm"))
        }
    }

    func testAShardAppearsOnlyWhenFinished() throws {
        let writer = try ShardWriter(path: path("b.shard"), imageSize: 16)
        try writer.append(Self.randomImage(size: 16, seed: 1), record: ShardRecord(key: "x"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("b.shard")))
        XCTAssertThrowsError(try ShardReader(path: path("b.shard"))) { error in
            XCTAssertEqual(error as? ShardError, .unreadable(file: self.path("b.shard"), reason: "No such file or directory"))
        }
        try writer.finish()
        XCTAssertEqual(try ShardReader(path: path("b.shard")).count, 1)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["b.shard"])

        // An abandoned writer leaves nothing behind.
        do {
            let abandoned = try ShardWriter(path: path("c.shard"), imageSize: 16)
            try abandoned.append(Self.randomImage(size: 16, seed: 2), record: ShardRecord(key: "y"))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["b.shard"])
    }

    func testWrongImageSize() throws {
        let writer = try ShardWriter(path: path("d.shard"), imageSize: 16)
        XCTAssertThrowsError(try writer.append(RGBImage(width: 16, height: 15), record: ShardRecord(key: "z"))) { error in
            XCTAssertEqual("\(error)", "\(self.path("d.shard")): shard images are 16×16, got a 16×15 image")
        }
    }

    // MARK: Damage

    /// The error of opening `bytes` as a shard, or of reading all its images.
    func error(opening bytes: [UInt8], _ name: String) -> ShardError? {
        let file = path(name)
        XCTAssertNoThrow(try Data(bytes).write(to: URL(fileURLWithPath: file)))
        do {
            let reader = try ShardReader(path: file)
            for i in 0..<reader.count { _ = try reader.image(i) }
            return nil
        } catch {
            let shardError = error as? ShardError
            XCTAssertNotNil(shardError, "\(error)")
            XCTAssertTrue("\(error)".hasPrefix(file + ": "), "\(error)")
            print(error)
            return shardError
        }
    }

    func testTruncatedShards() throws {
        let (file, _) = try writeShard()
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
        for cut in [0, 5, 20, 30, 24 + 8 + 100, bytes.count / 2, bytes.count - 60, bytes.count - 8, bytes.count - 1] {
            let error = self.error(opening: Array(bytes.prefix(cut)), "cut\(cut).shard")
            switch error {
            case .notAShard?: XCTAssertLessThan(cut, 8)
            case .truncated?, .corrupt?: break
            default: XCTFail("cut at \(cut): \(String(describing: error))")
            }
        }
    }

    func testCorruptFrame() throws {
        let (file, _) = try writeShard()
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
        // The middle of image 1's frame: zstd's checksum (or its decoder) notices.
        let second = 24 + 8 + Int(bytes[24]) + Int(bytes[25]) << 8 + Int(bytes[26]) << 16
        for i in (second + 200)..<(second + 216) { bytes[i] ^= 0x5A }
        let error = self.error(opening: bytes, "frame.shard")
        guard case let .corrupt(_, reason)? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertTrue(reason.hasPrefix("image 1 at byte \(second): zstd: "), reason)
    }

    func testCorruptLengthField() throws {
        let (file, _) = try writeShard()
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
        bytes[24] &+= 1
        let error = self.error(opening: bytes, "length.shard")
        guard case let .corrupt(_, reason)? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertTrue(reason.hasPrefix("image 0 at byte 24 has length"), reason)
    }

    func testWrongMagicVersionAndFooter() throws {
        let (file, _) = try writeShard()
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
        var magic = bytes
        magic[7] = UInt8(ascii: "2")
        XCTAssertEqual(error(opening: magic, "magic.shard"), .notAShard(file: path("magic.shard")))
        XCTAssertEqual("\(ShardError.notAShard(file: "x"))", "x: not an image shard (no ZOOSHRD1 magic)")
        var version = bytes
        version[8] = 9
        XCTAssertEqual(error(opening: version, "version.shard"), .unsupportedVersion(file: path("version.shard"), version: 9))
        var footer = bytes
        let footerOffset = bytes.suffix(8).reversed().reduce(0) { $0 << 8 | Int($1) }
        footer[footerOffset] = UInt8(ascii: "[")
        XCTAssertEqual(error(opening: footer, "footer.shard"),
                       .corrupt(file: path("footer.shard"), reason: "the footer at byte \(footerOffset) is not the JSON index: invalid JSON"))
        var renamed = bytes
        let records = Array("\"records\"".utf8)
        let at = (footerOffset..<(bytes.count - records.count)).first { Array(bytes[$0..<($0 + records.count)]) == records }!
        renamed[at + 1] = UInt8(ascii: "R")
        XCTAssertEqual(error(opening: renamed, "renamed.shard"),
                       .corrupt(file: path("renamed.shard"), reason: "the footer at byte \(footerOffset) is not the JSON index: missing \"records\""))
        var count = bytes
        count[16] = 4
        XCTAssertEqual(error(opening: count, "count.shard"),
                       .corrupt(file: path("count.shard"), reason: "the header counts 4 images, the footer has 5 offsets and 5 records"))
        // A JPEG is not a shard.
        XCTAssertEqual(error(opening: try [UInt8](Data(contentsOf: Self.fixtures.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("ImagesTests/Fixtures/img_pattern_q90.jpg"))), "photo.shard"), .notAShard(file: path("photo.shard")))
    }
}
