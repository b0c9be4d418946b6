import Checkpoint
import Foundation
import XCTest

/// Safetensors has no magic number: it is recognised by a header that parses, whatever the bytes of its
/// length, before the pickle check.
final class FormatSniffingTests: XCTestCase {
    /// A one-tensor safetensors file (U8 [3] = 7, 8, 9) whose header is padded to exactly `length` bytes.
    func safetensors(headerLength length: Int) -> [UInt8] {
        var header = Array(#"{"t":{"dtype":"U8","shape":[3],"data_offsets":[0,3]}}"#.utf8)
        header += [UInt8](repeating: 0x20, count: length - header.count)
        return TorchFileBuilder.le(UInt64(length)) + header + [7, 8, 9]
    }

    func testHeaderLengthsWithEveryLowByteReadBack() throws {
        let folder = try TemporaryFolder()
        // 0x200 + b: the first two bytes are b, 0x02, so b = 0x80 looks exactly like a protocol-2 pickle.
        for length in (0..<256).map({ 0x200 + $0 }) + [0x1380, 0x80 + 0x100] {
            let path = try folder.write(safetensors(headerLength: length), "h\(length).safetensors")
            XCTAssertEqual(try CheckpointReader.format(of: path), .safetensors, "header length \(length)")
            let file = try CheckpointReader.read(path: path)
            XCTAssertEqual(file.tensors.map(\.name), ["t"], "header length \(length)")
            XCTAssertEqual(file["t"].map { Array($0.bytes.raw) }, [7, 8, 9], "header length \(length)")
        }
    }

    func testPythonWrittenFileWithHeaderLength128Reads() throws {
        let file = try CheckpointReader.read(path: TorchCheckpointTests.fixtures.appendingPathComponent("fuzz/st_header_0x80.safetensors").path)
        XCTAssertEqual(file.format, .safetensors)
        XCTAssertEqual(file.tensors.count, 1)
        XCTAssertEqual(file.tensors.first?.tensor.shape, [3])
        XCTAssertEqual(file.tensors.first?.tensor.floatTensor().scalars, [0, 1, 2])
    }

    func testPicklesAndDamagedSafetensorsAreStillTold() throws {
        let folder = try TemporaryFolder()
        XCTAssertEqual(try CheckpointReader.format(of: folder.write(TorchFileBuilder().legacy, "a.pth")), .pytorchLegacy)
        // A header that does not parse still goes to the safetensors reader, which says what is wrong.
        var broken = safetensors(headerLength: 0x280)
        broken[20] = UInt8(ascii: "}")
        let path = try folder.write(broken, "b.safetensors")
        XCTAssertThrowsError(try CheckpointReader.read(path: path)) { e in
            XCTAssertTrue("\(e)".hasPrefix("\(path): header is not valid JSON"), "\(e)")
        }
        // 0x80 then a byte that is no pickle protocol is not a pickle.
        let odd = try folder.write([0x80, 0x01, 0, 0, 0, 0, 0, 0, 0, 0], "c.bin")
        XCTAssertThrowsError(try CheckpointReader.read(path: odd)) { e in XCTAssertEqual(e as? CheckpointError, .unknownFormat(file: odd)) }
    }
}
