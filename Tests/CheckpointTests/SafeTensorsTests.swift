import Checkpoint
import Foundation
import Tensors
import XCTest

final class SafeTensorsTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-st-\(getpid())-\(name.hashValue)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Builds a safetensors file from a raw header string and data bytes.
    func file(header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) throws -> String {
        var bytes = withUnsafeBytes(of: (declaredLength ?? UInt64(header.utf8.count)).littleEndian) { Array($0) }
        bytes += Array(header.utf8) + data
        let p = path("t.safetensors")
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    func assertError(_ p: String, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SafeTensorsReader.read(path: p), file: file, line: line) { e in
            XCTAssertEqual("\(e)", "\(p): \(message)", file: file, line: line)
        }
    }

    func testEveryValidationOfTheReferenceImplementation() throws {
        let p = path("short.safetensors")
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: p))
        assertError(p, "file is 3 bytes, shorter than the 8-byte header length")
        assertError(try file(header: "{}", declaredLength: 100_000_001), "header length 100000001 exceeds the limit of 100000000 bytes")
        assertError(try file(header: "{}", declaredLength: 50), "header length 50 runs past the end of the file (10 bytes)")
        var invalid = withUnsafeBytes(of: UInt64(3).littleEndian) { Array($0) }
        invalid += [0x7B, 0xFF, 0x7D]
        try Data(invalid).write(to: URL(fileURLWithPath: path("utf8.safetensors")))
        assertError(path("utf8.safetensors"), "header is not valid UTF-8")
        assertError(try file(header: "[1]"), "header does not start with '{'")
        XCTAssertThrowsError(try SafeTensorsReader.read(path: try file(header: "{\"a\": "))) { e in
            XCTAssertTrue("\(e)".contains("header is not valid JSON"), "\(e)")
        }
        let a = #""a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}"#
        XCTAssertThrowsError(try SafeTensorsReader.read(path: try file(header: "{\(a), \(a)}", data: Array(repeating: 0, count: 8)))) { e in
            XCTAssertTrue("\(e)".contains("duplicate key \"a\""), "\(e)")
        }
        assertError(try file(header: #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}"#, data: Array(repeating: 0, count: 12)),
                    "tensor a: data_offsets leave a hole at byte 0")
        assertError(try file(header: #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}"#,
                             data: Array(repeating: 0, count: 8)),
                    "tensor b: data_offsets overlap the previous tensor at byte 4")
        assertError(try file(header: #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"#, data: Array(repeating: 0, count: 4)),
                    "data_offsets run past the end of the buffer (8 > 4 bytes of data)")
        assertError(try file(header: #"{"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}"#, data: Array(repeating: 0, count: 8)),
                    "tensor a: 8 bytes for 3 elements of F32 (expected 12)")
        assertError(try file(header: #"{"a": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 8]}}"#, data: Array(repeating: 0, count: 8)),
                    "tensor a: shape [4294967296,4294967296] overflows the element count")
        assertError(try file(header: #"{"a": {"dtype": "C64", "shape": [1], "data_offsets": [0, 8]}}"#, data: Array(repeating: 0, count: 8)),
                    "tensor a has unsupported dtype C64")
        assertError(try file(header: #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#, data: Array(repeating: 0, count: 6)),
                    "2 bytes after the last tensor are not described by the header")
    }

    func testRoundTripIsBitExactForEveryDType() throws {
        var tensors: [(name: String, tensor: StoredTensor)] = []
        let g = Generator(seed: 5)
        for (i, dtype) in DType.allCases.enumerated() {
            let shape = i % 3 == 0 ? [] : [i, 2]
            let count = shape.reduce(1, *) * dtype.size
            let (buffer, p) = ByteBuffer.allocate(count)
            for j in 0..<count { p.storeBytes(of: UInt8(truncatingIfNeeded: g.next()), toByteOffset: j, as: UInt8.self) }
            if dtype == .bool { for j in 0..<count { p.storeBytes(of: UInt8(j % 2), toByteOffset: j, as: UInt8.self) } }
            tensors.append(("t.\(dtype.rawValue)", StoredTensor(dtype: dtype, shape: shape, bytes: buffer)))
        }
        let p = path("round.safetensors")
        try SafeTensorsWriter.write(tensors, metadata: [("format", "pt"), ("note", "zoo")], to: p)
        let back = try SafeTensorsReader.read(path: p)
        XCTAssertEqual(back.metadata.map(\.key), ["format", "note"])
        XCTAssertEqual(Set(back.tensors.map(\.name)), Set(tensors.map(\.name)))
        for (name, t) in tensors {
            let r = back[name]!
            XCTAssertEqual(r.dtype, t.dtype)
            XCTAssertEqual(r.shape, t.shape)
            XCTAssertEqual(Array(r.bytes.raw), Array(t.bytes.raw), name)
            // Written widest first, so every tensor sits at an offset aligned to its element size.
            XCTAssertEqual(Int(bitPattern: r.bytes.base) % r.dtype.size, 0, name)
        }
        // Header padded to 8 bytes.
        let header = try Data(contentsOf: URL(fileURLWithPath: p)).prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        XCTAssertEqual(header % 8, 0)
    }

    func testFileWrittenByPythonSafetensors() throws {
        let p = Self.fixtures.appendingPathComponent("python_written.safetensors").path
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.fixtures.appendingPathComponent("python_written_expected.json"))) as! [String: Any]
        let f = try SafeTensorsReader.read(path: p)
        let specs = expected["tensors"] as! [String: [String: Any]]
        XCTAssertEqual(Set(f.tensors.map(\.name)), Set(specs.keys))
        for (name, spec) in specs {
            let t = f[name]!
            XCTAssertEqual(t.dtype.rawValue, spec["dtype"] as? String, name)
            XCTAssertEqual(t.shape, spec["shape"] as? [Int], name)
            let d = t.converted(to: .f64)
            let values = (0..<d.elementCount).map { d.bytes.raw.loadUnaligned(fromByteOffset: 8 * $0, as: Double.self) }
            // Foundation's JSON reader may be off in the last digit of 17-digit floats.
            let want = (spec["values"] as! [NSNumber]).map(\.doubleValue)
            XCTAssertEqual(values.count, want.count, name)
            for (a, b) in zip(values, want) { XCTAssertEqual(a, b, accuracy: 1e-12 * max(1, abs(b)), name) }
        }
        let metadata = Dictionary(uniqueKeysWithValues: f.metadata.map { ($0.key, $0.value) })
        XCTAssertEqual(metadata, expected["metadata"] as? [String: String])
    }

    func testFloat32TensorsAreMappedNotCopied() throws {
        let p = path("mapped.safetensors")
        try SafeTensorsWriter.write([("w", StoredTensor(Tensor([1, 2, 3, 4], shape: [2, 2])))], to: p)
        let f = try SafeTensorsReader.read(path: p)
        let t = f["w"]!.floatTensor()
        XCTAssertEqual(UnsafeRawPointer(t.data), f["w"]!.bytes.base, "aligned float32 data is used in place")
        XCTAssertEqual(t.scalars, [1, 2, 3, 4])
        t.data[0] = 9  // copy-on-write mapping: training may update loaded weights in place
        XCTAssertEqual(try SafeTensorsReader.read(path: p)["w"]!.floatTensor().scalars, [1, 2, 3, 4], "the file is unchanged")
    }

    func testWritingIsAtomic() throws {
        let target = path("dir.safetensors")
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        XCTAssertThrowsError(try SafeTensorsWriter.write([], to: target)) { e in
            XCTAssertEqual("\(e)", "\(target): cannot write: is a directory")
        }
        let missing = path("no/such/dir/x.safetensors")
        XCTAssertThrowsError(try SafeTensorsWriter.write([("a", StoredTensor(Tensor([1], shape: [1])))], to: missing))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted(), ["dir.safetensors"], "no temporary left behind")
    }
}
