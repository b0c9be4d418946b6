import Checkpoint
import Foundation
import Tensors
import XCTest

/// HDF5 reading against files h5py wrote (Fixtures/make_hdf5_fixtures.py, described value by value in
/// expected_hdf5.json), and write → read round trips.
final class HDF5Tests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-hdf5-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func temporary(_ name: String) -> String { directory.appendingPathComponent(name).path }

    // MARK: files h5py wrote

    func testReadsEveryFixtureAsH5pyWroteIt() throws {
        let readable = try XCTUnwrap(try Self.expected()["readable"] as? [String: [String: Any]])
        XCTAssertEqual(readable.count, 6)
        for (fileName, expected) in readable.sorted(by: { $0.key < $1.key }) {
            let file = try HDF5Reader.read(path: Self.fixtures.appendingPathComponent(fileName).path)
            XCTAssertEqual(file.format, .hdf5)
            let tensors = try XCTUnwrap(expected["tensors"] as? [[String: Any]])
            XCTAssertEqual(file.tensors.map(\.name), tensors.map { $0["name"] as? String }, fileName)
            for (entry, (name, tensor)) in zip(tensors, file.tensors) {
                let context = "\(fileName): \(name)"
                XCTAssertEqual(tensor.dtype.rawValue, entry["dtype"] as? String, context)
                XCTAssertEqual(tensor.shape, entry["shape"] as? [Int], context)
                XCTAssertEqual(hex(tensor.bytes), entry["hex"] as? String, context)
                // The bytes decide; the values (parsed as doubles, not always to the last bit) are a check
                // that both describe the same numbers.
                let values = try XCTUnwrap(entry["values"] as? [NSNumber], context).map(\.doubleValue)
                XCTAssertEqual(values.count, tensor.elementCount, context)
                for (value, expectedValue) in zip(doubles(tensor), values) {
                    XCTAssertEqual(value, expectedValue, accuracy: abs(expectedValue) * 1e-15, context)
                }
            }
            let metadata = try XCTUnwrap(expected["metadata"] as? [[String]])
            XCTAssertEqual(file.metadata.map { [$0.key, $0.value] }, metadata, fileName)
        }
    }

    func testKerasWeightsComeInModelOrderWithSuffixDropped() throws {
        let file = try HDF5Reader.read(path: Self.fixtures.appendingPathComponent("keras_fixed.h5").path)
        XCTAssertEqual(Array(file.tensors.map(\.name).prefix(3)),
                       ["dense_1.dense_1.kernel", "dense_1.dense_1.bias", "batch_normalization.batch_normalization.gamma"])
        XCTAssertEqual(file["dense.dense.kernel"]?.floatTensor().scalars, [-1, 1])
    }

    func testBigEndianDataComesOutLittleEndian() throws {
        let file = try HDF5Reader.read(path: Self.fixtures.appendingPathComponent("h5py_bigendian.h5").path)
        XCTAssertEqual(file["be_f32"]?.floatTensor().scalars, [1, -2.5, 3.25, 1e-30])
        XCTAssertEqual(file["be_f16"]?.dtype, .f16)
        XCTAssertEqual(file["be_f16"]?.floatTensor().scalars, [1.5, -2, 0.0009765625])
        XCTAssertEqual(file["be_i64"].map { hex($0.bytes) }, "0100000000000000" + "feffffffffffffff" + "0000000000010000")
    }

    func testUnsupportedDatasetTypesAreRefusedNamingTheDataset() throws {
        let unsupported = try XCTUnwrap(try Self.expected()["unsupported"] as? [String: String])
        XCTAssertEqual(unsupported.count, 2)
        for (fileName, dataset) in unsupported {
            let path = Self.fixtures.appendingPathComponent(fileName).path
            XCTAssertThrowsError(try HDF5Reader.read(path: path), fileName) { error in
                guard case let .unsupportedDType(file, tensor, _)? = error as? CheckpointError else {
                    return XCTFail("\(fileName): \(error)")
                }
                XCTAssertEqual(file, path)
                XCTAssertEqual(tensor, dataset)
            }
        }
    }

    // MARK: round trips

    func testRoundTripIsBitExactForEveryDType() throws {
        // Deliberately not in name order: the file must give the tensors back in the order written.
        let tensors: [(name: String, tensor: StoredTensor)] = [
            ("z.f64", stored(.f64, [2], [Double.pi.bitPattern, Double.nan.bitPattern | 0x1234].flatMap { bytes($0) })),
            // -0, +inf, a NaN with a payload, the smallest subnormal, 1/3 rounded.
            ("blocks.0.attn.qkv.weight",
             stored(.f32, [1, 5], [UInt32(0x8000_0000), 0x7F80_0000, 0x7FC1_2345, 0x0000_0001, 0x3EAA_AAAB].flatMap { bytes($0) })),
            ("f16", stored(.f16, [2, 2], [UInt16(0x3C00), 0xFC00, 0x7E01, 0x0001].flatMap { bytes($0) })),
            ("scalar", stored(.f32, [], bytes(Float(-7.5).bitPattern))),
            ("empty", stored(.f32, [0, 3], [])),
            ("i64", stored(.i64, [3], [Int64.min, -1, Int64.max].flatMap { bytes($0) })),
            ("i32", stored(.i32, [2], [Int32.min, Int32.max].flatMap { bytes($0) })),
            ("i16", stored(.i16, [2], [Int16.min, Int16.max].flatMap { bytes($0) })),
            ("i8", stored(.i8, [2], [0x80, 0x7F])),
            ("u8", stored(.u8, [3], [0, 128, 255])),
            ("bool", stored(.bool, [4], [1, 0, 0, 1])),
        ]
        let path = temporary("round.h5")
        try HDF5Writer.write(tensors, to: path)
        let file = try HDF5Reader.read(path: path)
        XCTAssertEqual(file.tensors.map(\.name), tensors.map(\.name))
        for ((name, written), (_, read)) in zip(tensors, file.tensors) {
            XCTAssertEqual(read.dtype, written.dtype, name)
            XCTAssertEqual(read.shape, written.shape, name)
            XCTAssertEqual(Array(read.bytes.raw), Array(written.bytes.raw), name)
        }
        XCTAssertEqual(file.metadata.count, 0)
    }

    func testManyTensorsKeepTheirOrder() throws {
        // Past ~8 links the root group moves to dense storage, where creation order needs its index.
        let names = (0..<300).map { "t\(($0 * 7919) % 300)" }
        let tensors = names.enumerated().map { index, name in (name: name, tensor: StoredTensor(Tensor([Float(index)], shape: [1]))) }
        let path = temporary("many.h5")
        try HDF5Writer.write(tensors, to: path)
        let file = try HDF5Reader.read(path: path)
        XCTAssertEqual(file.tensors.map(\.name), names)
        XCTAssertEqual(file["t7"]?.floatTensor().scalars, [Float(names.firstIndex(of: "t7")!)])
    }

    func testAttributesRoundTrip() throws {
        let spec = #"{"encoder": {"type": "vit", "embed_dim": 768, "depth": 12}, "note": "héllo ✓"}"#
        // Far past the 64 KB an attribute may take in an object header.
        let long = String(repeating: "0123456789", count: 20_000)
        let attributes: [(key: String, value: String)] = [("zoo_spec", spec), ("empty", ""), ("long", long)]
        let path = temporary("attributes.h5")
        try HDF5Writer.write([("w", StoredTensor(Tensor([1, 2], shape: [2])))], attributes: attributes, to: path)
        let file = try HDF5Reader.read(path: path)
        // Attributes come back in name order.
        XCTAssertEqual(file.metadata.map(\.key), ["empty", "long", "zoo_spec"])
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: file.metadata.map { ($0.key, $0.value) }),
                       Dictionary(uniqueKeysWithValues: attributes.map { ($0.key, $0.value) }))
    }

    func testConcurrentReadsTakeTurns() throws {
        let path = Self.fixtures.appendingPathComponent("h5py_flat.h5").path
        let counts = ConcurrentResults()
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            counts.append((try? HDF5Reader.read(path: path))?.tensors.count ?? -1)
        }
        XCTAssertEqual(counts.values, Array(repeating: 9, count: 16))
    }

    // MARK: refusals

    func testBFloat16IsRefusedNamingTheTensor() throws {
        let path = temporary("bf16.h5")
        let tensor = StoredTensor(Tensor([1, 2], shape: [2])).converted(to: .bf16)
        XCTAssertThrowsError(try HDF5Writer.write([("ok", StoredTensor(Tensor([1], shape: [1]))), ("head.weight", tensor)], to: path)) { error in
            guard case .unsupportedDType(path, "head.weight", _)? = error as? CheckpointError else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("--dtype f32"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), [])
    }

    func testUnreadableFilesNameTheFile() throws {
        let text = temporary("notes.h5")
        try "not an HDF5 file\n".write(toFile: text, atomically: true, encoding: .utf8)
        let truncated = temporary("truncated.h5")
        let whole = try Data(contentsOf: Self.fixtures.appendingPathComponent("h5py_flat.h5"))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: truncated))
        let empty = temporary("empty.h5")
        XCTAssertTrue(FileManager.default.createFile(atPath: empty, contents: Data()))

        for path in [text, truncated, empty, temporary("missing.h5"), directory.path] {
            XCTAssertThrowsError(try HDF5Reader.read(path: path), path) { error in
                XCTAssertTrue(error is CheckpointError, "\(path): \(error)")
                XCTAssertTrue("\(error)".hasPrefix(path + ": "), "\(error)")
            }
        }
        XCTAssertThrowsError(try HDF5Reader.read(path: truncated)) { error in
            XCTAssertTrue("\(error)".contains("truncated"), "\(error)")
        }
    }

    func testWritingOverADirectoryIsRefusedLeavingNoTemporaryFile() throws {
        let path = temporary("model.h5")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        XCTAssertThrowsError(try HDF5Writer.write([("w", StoredTensor(Tensor([1], shape: [1])))], to: path)) { error in
            guard case .cannotWrite(path, _)? = error as? CheckpointError else { return XCTFail("\(error)") }
        }
        var isDirectory: ObjCBool = false
        XCTAssertTrue(FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["model.h5"])
    }

    func testWritingIntoAMissingFolderIsRefused() throws {
        // libhdf5's own failure (H5Fcreate), reported against the path asked for, not the temporary file.
        let path = directory.appendingPathComponent("absent/model.h5").path
        XCTAssertThrowsError(try HDF5Writer.write([("w", StoredTensor(Tensor([1], shape: [1])))], to: path)) { error in
            guard case .cannotWrite(path, _)? = error as? CheckpointError else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("unable to create file"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), [])
    }

    func testInvalidNamesAreRefused() throws {
        let one = StoredTensor(Tensor([1], shape: [1]))
        // A NUL would cut "w\0x" to "w" in C: two datasets named w.
        for names in [["a/b"], [""], ["."], ["w", "w"], ["w", "w\u{0}x"]] {
            XCTAssertThrowsError(try HDF5Writer.write(names.map { ($0, one) }, to: temporary("names.h5")), "\(names)") { error in
                guard case .cannotWrite? = error as? CheckpointError else { return XCTFail("\(error)") }
            }
        }
        XCTAssertThrowsError(try HDF5Writer.write([("w", one)], attributes: [("a", "x"), ("a", "y")], to: temporary("names.h5")))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), [])
    }

    // MARK: helpers

    static func expected() throws -> [String: Any] {
        let data = try Data(contentsOf: fixtures.appendingPathComponent("expected_hdf5.json"))
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func hex(_ bytes: ByteBuffer) -> String {
        bytes.raw.map { String(format: "%02x", $0) }.joined()
    }

    func doubles(_ tensor: StoredTensor) -> [Double] {
        let f64 = tensor.converted(to: .f64)
        return (0..<f64.elementCount).map { Double(bitPattern: f64.bytes.loadLittleEndian(UInt64.self, at: 8 * $0)) }
    }

    func stored(_ dtype: DType, _ shape: [Int], _ bytes: [UInt8]) -> StoredTensor {
        bytes.withUnsafeBytes { StoredTensor(dtype: dtype, shape: shape, bytes: ByteBuffer(copying: $0)) }
    }

    func bytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }
}

/// Results gathered from concurrent iterations.
private final class ConcurrentResults: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [Int] = []
    func append(_ value: Int) { lock.withLock { collected.append(value) } }
    var values: [Int] { lock.withLock { collected } }
}
