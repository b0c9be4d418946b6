import Checkpoint
import Foundation
import XCTest

/// Every integer a PyTorch file holds (storage counts, numel, size, stride, storage offset, ZIP64 fields)
/// is untrusted: bad values, in the zip and the legacy format alike, end in a CheckpointError naming the
/// file, never in a trap or a huge allocation.
final class UntrustedIntegerTests: XCTestCase {
    static let huge = [Int.max, Int.min, 1 << 62, -(1 << 62), (1 << 61) + 1, 1 << 32, -1, -2]

    /// Reads `builder`'s file in both formats and expects a one-line CheckpointError naming it.
    func assertRefused(_ builder: TorchFileBuilder, _ what: String, line: UInt = #line) throws {
        let folder = try TemporaryFolder()
        for (format, bytes) in [("legacy", builder.legacy), ("zip", builder.zip)] {
            let path = try folder.write(bytes, "\(format).pth")
            XCTAssertThrowsError(try CheckpointReader.read(path: path), "\(format): \(what)", line: line) { e in
                XCTAssertNotNil(e as? CheckpointError, "\(format): \(what): \(e)", line: line)
                XCTAssertTrue("\(e)".hasPrefix(path + ":"), "\(format): \(what): \(e)", line: line)
                XCTAssertFalse("\(e)".contains("\n"), "\(format): \(what)", line: line)
            }
        }
    }

    func testTheBuilderWritesReadableFiles() throws {
        let folder = try TemporaryFolder()
        var b = TorchFileBuilder()
        b.values = [0, 1, 2, 3, 4, 5]
        b.offset = 1
        b.shape = [2, 2]
        b.stride = [1, 2]  // a transposed view: [[1, 3], [2, 4]]
        for (format, bytes) in [("legacy", b.legacy), ("zip", b.zip)] {
            let f = try CheckpointReader.read(path: folder.write(bytes, "\(format).pth"))
            XCTAssertEqual(f["w"]?.shape, [2, 2], format)
            XCTAssertEqual(f["w"]?.floatTensor().scalars, [1, 3, 2, 4], format)
        }
    }

    func testBadSizesStridesAndOffsets() throws {
        for value in Self.huge {
            var b = TorchFileBuilder()
            b.shape = [value]
            try assertRefused(b, "size (\(value),)")
            b.shape = [value, 2]
            b.stride = [2, 1]
            try assertRefused(b, "size (\(value), 2)")
            b.shape = [2, value]
            b.stride = [value, 1]
            try assertRefused(b, "size (2, \(value)), stride (\(value), 1)")
            b = TorchFileBuilder()
            b.shape = [2, 2]
            b.stride = [value, 1]
            try assertRefused(b, "stride (\(value), 1)")
            b = TorchFileBuilder()
            b.offset = value
            try assertRefused(b, "offset \(value)")
            b = TorchFileBuilder()
            b.numel = value
            try assertRefused(b, "numel \(value)")
        }
        // Products that overflow only together.
        var b = TorchFileBuilder()
        b.shape = [1 << 31, 1 << 31, 1 << 31]
        b.stride = [0, 0, 0]
        try assertRefused(b, "size 2^93")
    }

    func testExpandedViewsCannotAskForMoreMemoryThanTheFileJustifies() throws {
        // Stride 0 repeats one element: 2^40 elements of one stored float would be 4 TB gathered.
        var b = TorchFileBuilder()
        b.shape = [1 << 20, 1 << 20]
        b.stride = [0, 0]
        try assertRefused(b, "expanded view")
        // A small expanded view is a legal tensor and reads.
        b.shape = [3, 4]
        b.stride = [0, 1]
        let folder = try TemporaryFolder()
        let f = try CheckpointReader.read(path: folder.write(b.zip, "e.pth"))
        XCTAssertEqual(f["w"]?.floatTensor().scalars, [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3])
    }

    func testBadLegacyStorageRecordCounts() throws {
        let folder = try TemporaryFolder()
        for count: UInt64 in [1 << 62, UInt64.max, 1 << 63, UInt64(Int.max), 1 << 61, 5, 1_000_000] {
            var b = TorchFileBuilder()
            b.recordCount = count
            let path = try folder.write(b.legacy, "r.pth")
            XCTAssertThrowsError(try CheckpointReader.read(path: path), "record count \(count)") { e in
                XCTAssertTrue("\(e)".hasPrefix(path + ": storage 0 declares \(count) elements"), "\(e)")
            }
        }
    }

    func testBadZip64EndRecords() throws {
        let original = try [UInt8](Data(contentsOf: TorchCheckpointTests.fixtures.appendingPathComponent("zip64.pth")))
        let signature: [UInt8] = [0x50, 0x4B, 0x06, 0x06]
        let record = try XCTUnwrap((0..<(original.count - 4)).last { Array(original[$0..<($0 + 4)]) == signature })
        let locator = try XCTUnwrap((0..<(original.count - 4)).last { Array(original[$0..<($0 + 4)]) == [0x50, 0x4B, 0x06, 0x07] })
        let folder = try TemporaryFolder()
        let values: [UInt64] = [UInt64(Int.max), UInt64.max, 1 << 63, (1 << 63) - 2, UInt64(original.count), 1 << 40]
        // count (+32), directory size (+40), directory offset (+48); and the locator's record offset (+8).
        for (field, at) in [("count", record + 32), ("size", record + 40), ("offset", record + 48), ("record offset", locator + 8)] {
            for value in values {
                var bytes = original
                bytes.replaceSubrange(at..<(at + 8), with: TorchFileBuilder.le(value))
                let path = try folder.write(bytes, "z.pth")
                XCTAssertThrowsError(try CheckpointReader.read(path: path), "\(field) \(value)") { e in
                    XCTAssertTrue("\(e)".hasPrefix(path + ": zip archive:"), "\(field) \(value): \(e)")
                }
            }
        }
    }
}
