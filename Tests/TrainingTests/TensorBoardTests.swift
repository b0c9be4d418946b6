import Foundation
import Training
import XCTest

/// TensorBoard event files against TensorBoard's own reader and writer (Fixtures/make_tensorboard_fixtures.py).
final class TensorBoardTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    func testCRC32CKnownValues() {
        // RFC 3720 B.4 check value and the all-zero 32-byte vector.
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)), 0x62A8_AB43)
    }

    /// The events the fixture holds: two epochs of loss, lr and test metrics.
    private func writeZooEvents(into folder: String) throws -> String {
        let writer = try TensorBoardWriter(folder: folder, wallTime: 1_700_000_000, host: "fixture")
        try writer.add([("train/loss", 0.6931), ("train/lr", 1e-3)], step: 1, wallTime: 1_700_000_010.5)
        try writer.add([("train/loss", 0.25), ("train/lr", 5e-4), ("test/mean_auc", 0.8125), ("test/nan_skipped", .nan)],
                       step: 2, wallTime: 1_700_000_020.25)
        return writer.path
    }

    func testWriterBytesAreTheOnesTensorBoardRead() throws {
        let folder = NSTemporaryDirectory() + "tb-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = try writeZooEvents(into: folder)
        XCTAssertTrue((path as NSString).lastPathComponent.hasPrefix("events.out.tfevents.1700000000.fixture."))
        let fixture = Self.fixtures.appendingPathComponent("zoo_written.tfevents")
        let written = try Data(contentsOf: URL(fileURLWithPath: path))
        if ProcessInfo.processInfo.environment["ZOO_REGENERATE_FIXTURES"] != nil {
            try written.write(to: fixture)
        }
        XCTAssertEqual(written, try Data(contentsOf: fixture), "the writer changed: regenerate with ZOO_REGENERATE_FIXTURES=1 and rerun the script")

        // What TensorBoard's EventAccumulator read from these bytes.
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.fixtures.appendingPathComponent("zoo_written_expected.json"))) as! [String: [[Double]]]
        XCTAssertEqual(Set(expected.keys), ["train/loss", "train/lr", "test/mean_auc"])
        XCTAssertEqual(expected["train/loss"]!.map { $0[0] }, [1, 2])
        XCTAssertEqual(expected["train/loss"]![1][1], 1_700_000_020.25)
        XCTAssertEqual(Float(expected["train/loss"]![0][2]), Float(0.6931))
        XCTAssertEqual(Float(expected["test/mean_auc"]![0][2]), Float(0.8125))

        // And zoo's reader agrees, CRCs checked.
        let events = try TensorBoardReader.read(path: path)
        XCTAssertEqual(events.count, 3)
        XCTAssertEqual(events[0].fileVersion, "brain.Event:2")
        XCTAssertEqual(events[2].scalars.map(\.tag), ["train/loss", "train/lr", "test/mean_auc"])
        XCTAssertEqual(events[2].step, 2)
    }

    func testReadsTensorBoardsOwnWriter() throws {
        let events = try TensorBoardReader.read(path: Self.fixtures.appendingPathComponent("python_written.tfevents").path)
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.fixtures.appendingPathComponent("python_written_expected.json"))) as! [String: [[Double]]]
        var got: [String: [[Double]]] = [:]
        for e in events { for s in e.scalars { got[s.tag, default: []].append([Double(e.step), e.wallTime, Double(s.value)]) } }
        XCTAssertEqual(got, expected)
        XCTAssertEqual(events.first?.fileVersion, "brain.Event:2")
    }

    func testCorruptRecordsAreRefusedWithTheirOffset() throws {
        let folder = NSTemporaryDirectory() + "tb-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = try writeZooEvents(into: folder)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let firstRecord = 12 + Int(bytes[0]) + 4
        bytes[firstRecord + 20] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try TensorBoardReader.read(path: path)) { error in
            XCTAssertEqual(error as? TensorBoardError, .malformed(file: path, offset: firstRecord, reason: "data CRC mismatch"))
        }
        try Data(bytes.prefix(firstRecord + 5)).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try TensorBoardReader.read(path: path)) { error in
            XCTAssertEqual(error as? TensorBoardError, .malformed(file: path, offset: firstRecord, reason: "truncated record header"))
        }
    }
}
