import Foundation

/// Writes small PyTorch checkpoints byte by byte, legacy or zip, with any storage count, offset, size
/// and stride, including values torch.save never writes: the malformed inputs the readers must refuse.
/// The object is {"model": {name: _rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())}}
/// over one FloatStorage '0' holding `values`, plus optional raw pickle opcodes under the key "extra".
struct TorchFileBuilder {
    var name = "w"
    var values: [Float] = [0, 1, 2, 3]
    /// The element count the pickle declares (torch writes values.count).
    var numel: Int?
    /// The element count the legacy storage record declares (torch writes values.count).
    var recordCount: UInt64?
    var offset = 0
    var shape = [4]
    var stride = [1]
    /// Opcodes that push one value, stored under "extra".
    var extra: [UInt8]?

    // MARK: pickle opcodes (protocol 2)

    static func string(_ s: String) -> [UInt8] { [0x58] + le(UInt32(s.utf8.count)) + Array(s.utf8) }  // BINUNICODE
    static func int(_ v: Int) -> [UInt8] { [0x8A, 8] + le(UInt64(bitPattern: Int64(v))) }             // LONG1, 8 bytes
    static func global(_ module: String, _ name: String) -> [UInt8] { [0x63] + Array("\(module)\n\(name)\n".utf8) }
    static func tuple(_ items: [[UInt8]]) -> [UInt8] { [0x28] + items.flatMap { $0 } + [0x74] }       // MARK … TUPLE
    static func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

    /// The main object: a dict holding the tensor (and "extra").
    var mainPickle: [UInt8] {
        let pid = Self.tuple([Self.string("storage"), Self.global("torch", "FloatStorage"), Self.string("0"), Self.string("cpu"),
                              Self.int(numel ?? values.count)]) + [0x51]  // BINPERSID
        let tensor = Self.global("torch._utils", "_rebuild_tensor_v2")
            + Self.tuple([pid, Self.int(offset), Self.tuple(shape.map(Self.int)), Self.tuple(stride.map(Self.int)), [0x89],
                          Self.global("collections", "OrderedDict") + [0x29, 0x52]]) + [0x52]
        var p: [UInt8] = [0x80, 0x02, 0x7D] + Self.string("model") + [0x7D] + Self.string(name) + tensor + [0x73, 0x73]
        if let extra { p += Self.string("extra") + extra + [0x73] }
        return p + [0x2E]
    }

    var valueBytes: [UInt8] { values.flatMap { Self.le($0.bitPattern) } }

    /// `torch.save(…, _use_new_zipfile_serialization=False)`.
    var legacy: [UInt8] {
        let magic: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E]
        let version: [UInt8] = [0x80, 0x02, 0x4A] + Self.le(Int32(1001)) + [0x2E]
        let systemInfo: [UInt8] = [0x80, 0x02, 0x7D, 0x2E]
        let keys: [UInt8] = [0x80, 0x02, 0x28] + Self.string("0") + [0x6C, 0x2E]
        return magic + version + systemInfo + mainPickle + keys + Self.le(recordCount ?? UInt64(values.count)) + valueBytes
    }

    /// `torch.save`'s zip format: stored members archive/data.pkl, archive/byteorder, archive/data/0.
    var zip: [UInt8] {
        let members: [(String, [UInt8])] = [("archive/data.pkl", mainPickle), ("archive/byteorder", Array("little".utf8)),
                                            ("archive/data/0", valueBytes)]
        var out: [UInt8] = [], directory: [UInt8] = []
        for (name, data) in members {
            let offset = out.count
            let sizes = Self.le(UInt32(0)) + Self.le(UInt32(data.count)) + Self.le(UInt32(data.count))  // crc, sizes
            out += Self.le(UInt32(0x0403_4B50)) + Self.le(UInt16(20)) + Self.le(UInt16(0)) + Self.le(UInt16(0))
                + Self.le(UInt32(0)) + sizes + Self.le(UInt16(name.utf8.count)) + Self.le(UInt16(0)) + Array(name.utf8) + data
            directory += Self.le(UInt32(0x0201_4B50)) + Self.le(UInt16(20)) + Self.le(UInt16(20)) + Self.le(UInt16(0))
                + Self.le(UInt16(0)) + Self.le(UInt32(0)) + sizes + Self.le(UInt16(name.utf8.count))
                + [UInt8](repeating: 0, count: 12) + Self.le(UInt32(offset)) + Array(name.utf8)
        }
        let directoryOffset = out.count
        out += directory
        out += Self.le(UInt32(0x0605_4B50)) + [0, 0, 0, 0] + Self.le(UInt16(members.count)) + Self.le(UInt16(members.count))
            + Self.le(UInt32(directory.count)) + Self.le(UInt32(directoryOffset)) + [0, 0]
        return out
    }
}

/// A file in a fresh temporary folder, removed with it.
final class TemporaryFolder {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-ckpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let path = url.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
    deinit { try? FileManager.default.removeItem(at: url) }
}
