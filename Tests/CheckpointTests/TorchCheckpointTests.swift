import Checkpoint
import Foundation
import Tensors
import XCTest

/// PyTorch checkpoints read without Python, against files made by Fixtures/make_checkpoint_fixtures.py.
final class TorchCheckpointTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    func fixture(_ name: String) -> String { Self.fixtures.appendingPathComponent(name).path }

    /// A tensor's values as doubles (exact for every dtype used here).
    func values(_ t: StoredTensor) -> [Double] {
        let d = t.converted(to: .f64)
        return (0..<d.elementCount).map { d.bytes.raw.loadUnaligned(fromByteOffset: 8 * $0, as: Double.self) }
    }

    func testViewsStridesSharedStoragesAndEveryDType() throws {
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fixture("views_expected.json")))) as! [String: Any]
        let names = expected["names"] as! [String]
        let specs = expected["tensors"] as! [String: [String: Any]]
        for file in ["views.pth", "views_legacy.pth"] {
            let f = try CheckpointReader.read(path: fixture(file))
            XCTAssertEqual(f.format, file.contains("legacy") ? .pytorchLegacy : .pytorchZip)
            XCTAssertEqual(f.tensors.map(\.name), names, file)
            for name in names {
                let spec = specs[name]!, t = f[name]!
                XCTAssertEqual(t.dtype.rawValue, spec["dtype"] as? String, "\(file) \(name)")
                XCTAssertEqual(t.shape, spec["shape"] as? [Int], "\(file) \(name)")
                XCTAssertEqual(values(t), (spec["values"] as! [NSNumber]).map(\.doubleValue), "\(file) \(name)")
            }
        }
    }

    func testContiguousTensorsShareTheMappedFile() throws {
        let f = try CheckpointReader.read(path: fixture("views.pth"))
        let base = f["base"]!, row = f["row2"]!
        // row2 is a window 12 floats into base's storage: no copy was made.
        XCTAssertEqual(row.bytes.base, base.bytes.base + 12 * 4)
        XCTAssertNotEqual(f["transposed"]!.bytes.base, base.bytes.base, "a strided view is gathered into new memory")
    }

    func testTopLevelEntriesAreKeptReadable() throws {
        let f = try CheckpointReader.read(path: fixture("vit_avg_iat_zip.pth"))
        let extras = Dictionary(uniqueKeysWithValues: f.extras.map { ($0.key, $0.summary) })
        XCTAssertEqual(Set(extras.keys), ["optimizer", "epoch", "scaler", "args"])
        XCTAssertEqual(extras["epoch"], "7")
        XCTAssertTrue(extras["args"]!.hasPrefix("Namespace(model='vit_base_patch16', batch_size=64, blr=0.0005"), extras["args"]!)
        // The fixture's state dict is in sorted key order (capitals first), kept as the file has it.
        XCTAssertEqual(f.tensors.map(\.name), f.tensors.map(\.name).sorted())
        XCTAssertEqual(f.tensors.first?.name, "ID_head.bias")
        XCTAssertEqual(try CheckpointReader.read(path: fixture("vit_avg_iat_legacy.pth")).tensors.map(\.name), f.tensors.map(\.name))
    }

    func testModulePrefixIsStrippedAndKeySelects() throws {
        let f = try CheckpointReader.read(path: fixture("vit_avg_iat_fp16_module.pth"))
        XCTAssertEqual(f.tensors.first?.name, "ID_head.bias")
        XCTAssertTrue(f.tensors.allSatisfy { !$0.name.hasPrefix("module.") && $0.tensor.dtype == .f16 })
        let raw = try CheckpointReader.read(path: fixture("vit_avg_iat_fp16_module.pth"), clean: false)
        XCTAssertEqual(raw.tensors.first?.name, "module.ID_head.bias")
        XCTAssertThrowsError(try CheckpointReader.read(path: fixture("vit_avg_iat_zip.pth"), key: "weights")) { e in
            XCTAssertEqual("\(e)", "\(self.fixture("vit_avg_iat_zip.pth")): no state dict found (top-level keys: model, optimizer, epoch, scaler, args); pick one with --key")
        }
    }

    func testBadFilesGiveOneLineErrorsNamingTheFile() {
        let cases: [(String, String)] = [
            ("unsafe.pth", "refusing unsafe pickle: it calls os.system, which could run code"),
            ("unsafe_eval.pth", "refusing unsafe pickle: it calls __builtin__.eval, which could run code"),
            ("truncated.pth", "zip archive: no end-of-directory record (truncated?)"),
            ("missing_record.pth", "missing storage record"),
            ("bad_opcode.pth", "unsupported pickle: opcode 0xff"),
            ("not_a_checkpoint.pth", "not a safetensors, HDF5 or PyTorch checkpoint"),
            ("does_not_exist.pth", "cannot read: No such file or directory"),
        ]
        for (file, message) in cases {
            XCTAssertThrowsError(try CheckpointReader.read(path: fixture(file)), file) { e in
                let text = "\(e)"
                XCTAssertTrue(text.hasPrefix(self.fixture(file) + ": "), text)
                XCTAssertTrue(text.contains(message), "\(file): \(text)")
                XCTAssertFalse(text.contains("\n"), text)
            }
        }
        XCTAssertThrowsError(try CheckpointReader.read(path: Self.fixtures.path)) { e in XCTAssertTrue("\(e)".contains("not a regular file")) }
    }
}

final class TorchCheckpointEdgeTests: XCTestCase {
    func fixture(_ name: String) -> String { TorchCheckpointTests.fixtures.appendingPathComponent(name).path }

    func testZip64ArchiveReadsLikeTheClassicOne() throws {
        let classic = try CheckpointReader.read(path: fixture("views.pth"))
        let zip64 = try CheckpointReader.read(path: fixture("zip64.pth"))
        XCTAssertEqual(zip64.tensors.map(\.name), classic.tensors.map(\.name))
        for (name, t) in classic.tensors {
            XCTAssertEqual(zip64[name]?.shape, t.shape, name)
            XCTAssertEqual(zip64[name].map { Array($0.bytes.raw) }, Array(t.bytes.raw), name)
        }
    }

    func testStorageSerialisedInsideThePickle() throws {
        // `blob` is torch.storage._load_from_bytes(_codecs.encode(str, 'latin1')): a legacy-format
        // torch.save of a DoubleStorage inside the pickle. It is read, not executed, and kept as an entry.
        let f = try CheckpointReader.read(path: fixture("load_from_bytes.pth"))
        XCTAssertEqual(f.tensors.map(\.name), ["w"])
        XCTAssertEqual(f["w"]!.floatTensor().scalars, [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(f.extras.first { $0.key == "blob" }?.summary, "<storage F64 140000000000000>")
    }
}
