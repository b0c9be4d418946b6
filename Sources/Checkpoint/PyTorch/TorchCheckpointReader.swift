import Foundation
import Tensors

/// Reads PyTorch checkpoints without Python: the zip format of `torch.save` (torch ≥ 1.6:
/// `NAME/data.pkl`, `NAME/data/KEY`, `NAME/byteorder`) and the legacy format
/// (`_use_new_zipfile_serialization=False`: magic number, protocol, system info, the object, storage keys,
/// raw storages). Tensors come out as windows into the mapped file when contiguous.
public enum TorchCheckpointReader {
    /// The unpickled root object and the file it came from (kept mapped while values refer to it).
    public struct Checkpoint {
        public let root: PickleValue
        public let format: CheckpointFormat
        public let file: String
    }

    static let legacyMagic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]  // 0x1950a86a20f9469cfc6c

    public static func load(path: String) throws -> Checkpoint {
        let mapped = try MappedFile(path: path)
        let bytes = mapped.bytes
        if bytes.count >= 4, bytes.loadLittleEndian(UInt32.self, at: 0) == 0x0403_4B50 {
            return Checkpoint(root: try loadZip(bytes, file: path), format: .pytorchZip, file: path)
        }
        if bytes.count >= 2, bytes.base.load(as: UInt8.self) == 0x80 {
            return Checkpoint(root: try loadLegacy(bytes, file: path), format: .pytorchLegacy, file: path)
        }
        throw CheckpointError.unknownFormat(file: path)
    }

    // MARK: Zip format

    static func loadZip(_ bytes: ByteBuffer, file: String) throws -> PickleValue {
        let archive = try ZipArchive(bytes, file: file)
        guard let pickle = archive.entries.first(where: { $0.name.hasSuffix("data.pkl") && $0.name.split(separator: "/").count == 2 }) else {
            throw CheckpointError.malformed(file: file, reason: "zip archive has no data.pkl (not a torch.save file)")
        }
        let prefix = String(pickle.name.dropLast("data.pkl".count))  // "NAME/"
        if let order = archive.entry(prefix + "byteorder"), String(decoding: order.data.raw, as: UTF8.self) != "little" {
            throw CheckpointError.malformed(file: file, reason: "big-endian checkpoints are not supported")
        }
        var storages: [String: TorchStorage] = [:]
        let hooks = PickleMachine.Hooks(persistentLoad: { pid in
            // ('storage', StorageType, key, location, numel)
            guard case let .tuple(fields) = pid, fields.count >= 5, fields[0].stringValue == "storage",
                  let key = fields[2].stringValue, let count = fields[4].intValue else {
                throw CheckpointError.unsupportedPickle(file: file, reason: "unexpected persistent id \(pid.summary(limit: 80))")
            }
            if let existing = storages[key] { return .storage(existing) }
            let storage = TorchStorage(key: key, dtype: try dtype(of: fields[1], file: file), elementCount: count)
            guard let entry = archive.entry(prefix + "data/" + key) else {
                throw CheckpointError.missingRecord(file: file, record: prefix + "data/" + key)
            }
            guard entry.data.count >= count * storage.dtype.size else {
                throw CheckpointError.malformed(file: file, reason: "storage \(key) holds \(entry.data.count) bytes, needs \(count * storage.dtype.size)")
            }
            storage.bytes = entry.data[0..<(count * storage.dtype.size)]
            storages[key] = storage
            return .storage(storage)
        }, loadFromBytes: { try storageFromBytes($0, file: file) })
        var machine = PickleMachine(buffer: pickle.data, file: file, hooks: hooks)
        return try machine.load()
    }

    // MARK: Legacy format

    static func loadLegacy(_ bytes: ByteBuffer, file: String) throws -> PickleValue {
        var roots: [String: TorchStorage] = [:]
        var views: [(view: TorchStorage, root: String, offset: Int)] = []
        let noStorages = PickleMachine.Hooks(persistentLoad: { _ in
            throw CheckpointError.malformed(file: file, reason: "storage reference outside the main object")
        }, loadFromBytes: nil)
        var machine = PickleMachine(buffer: bytes, file: file, hooks: noStorages)
        guard case let .bigInt(magic) = try machine.load(), magic == legacyMagic else {
            throw CheckpointError.unknownFormat(file: file)
        }
        guard let version = try machine.load().intValue, version == 1001 else {
            throw CheckpointError.malformed(file: file, reason: "unsupported legacy protocol version")
        }
        _ = try machine.load()  // system info (byte order, type sizes): little-endian assumed below
        let hooks = PickleMachine.Hooks(persistentLoad: { pid in
            // ('storage', StorageType, root_key, location, numel, view_metadata)
            guard case let .tuple(fields) = pid, fields.count >= 5, fields[0].stringValue == "storage",
                  let key = fields[2].stringValue, let count = fields[4].intValue else {
                throw CheckpointError.unsupportedPickle(file: file, reason: "unexpected persistent id \(pid.summary(limit: 80))")
            }
            let type = try dtype(of: fields[1], file: file)
            let root = roots[key] ?? TorchStorage(key: key, dtype: type, elementCount: count)
            roots[key] = root
            if fields.count >= 6, case let .tuple(view) = fields[5], view.count == 3,
               let viewKey = view[0].stringValue, let offset = view[1].intValue, let size = view[2].intValue {
                let v = TorchStorage(key: viewKey, dtype: type, elementCount: size)
                views.append((v, key, offset))
                return .storage(v)
            }
            return .storage(root)
        }, loadFromBytes: { try storageFromBytes($0, file: file) })
        machine = PickleMachine(buffer: bytes, start: machine.position, file: file, hooks: hooks)
        let root = try machine.load()
        guard case let .list(keys) = try machine.load() else {
            throw CheckpointError.malformed(file: file, reason: "legacy storage key list missing")
        }
        // Raw storages follow in key-list order: an 8-byte element count, then the elements.
        var position = machine.position
        for case let .string(key) in keys.items {
            guard position + 8 <= bytes.count else { throw CheckpointError.missingRecord(file: file, record: "storage \(key)") }
            let count = Int(clamping: bytes.loadLittleEndian(UInt64.self, at: position))
            position += 8
            guard let storage = roots[key] else { throw CheckpointError.malformed(file: file, reason: "unreferenced storage \(key)") }
            let length = count * storage.dtype.size
            guard count >= storage.elementCount, position + length <= bytes.count else {
                throw CheckpointError.malformed(file: file, reason: "storage \(key) runs past the end of the file (truncated?)")
            }
            storage.bytes = bytes[position..<(position + length)]
            position += length
        }
        for (key, storage) in roots where storage.bytes == nil {
            throw CheckpointError.missingRecord(file: file, record: "storage \(key)")
        }
        for (view, rootKey, offset) in views {
            let r = roots[rootKey]!, size = r.dtype.size
            guard let rb = r.bytes, (offset + view.elementCount) * size <= rb.count else {
                throw CheckpointError.malformed(file: file, reason: "view \(view.key) outside storage \(rootKey)")
            }
            view.bytes = rb[(offset * size)..<((offset + view.elementCount) * size)]
        }
        return root
    }

    /// `torch.storage._load_from_bytes(b)`: `b` is a legacy-format `torch.save` of one storage.
    static func storageFromBytes(_ bytes: [UInt8], file: String) throws -> PickleValue {
        let value = try bytes.withUnsafeBytes { try loadLegacy(ByteBuffer(copying: $0), file: file) }
        guard case .storage = value else {
            throw CheckpointError.unsupportedPickle(file: file, reason: "_load_from_bytes holds \(value.summary(limit: 60)), not a storage")
        }
        return value
    }

    /// The element type a storage class stands for (`torch.FloatStorage` → F32).
    static func dtype(of type: PickleValue, file: String) throws -> DType {
        let name: String
        switch type {
        case let .global(_, n): name = n
        case let .string(s): name = s
        default: throw CheckpointError.unsupportedPickle(file: file, reason: "storage type \(type.summary(limit: 60))")
        }
        let table: [String: DType] = [
            "FloatStorage": .f32, "DoubleStorage": .f64, "HalfStorage": .f16, "BFloat16Storage": .bf16, "LongStorage": .i64,
            "IntStorage": .i32, "ShortStorage": .i16, "CharStorage": .i8, "ByteStorage": .u8, "BoolStorage": .bool,
        ]
        guard let t = table[name] else { throw CheckpointError.unsupportedDType(file: file, tensor: "(storage)", dtype: name) }
        return t
    }
}

extension TorchTensor {
    /// Contiguous bytes of this view: a window into the storage when already contiguous, else a copy
    /// gathered through the strides.
    func stored(file: String, name: String) throws -> StoredTensor {
        guard let bytes = storage.bytes else { throw CheckpointError.missingRecord(file: file, record: "storage \(storage.key)") }
        let size = dtype.size
        let count = shape.reduce(1, *)
        if count == 0 { return StoredTensor(dtype: dtype, shape: shape, bytes: ByteBuffer(copying: UnsafeRawBufferPointer(start: nil, count: 0))) }
        // Highest element the view touches must lie inside the storage.
        var last = storageOffset
        for (d, s) in zip(shape, strides) {
            guard s >= 0 else { throw CheckpointError.malformed(file: file, reason: "tensor \(name) has a negative stride") }
            last += (d - 1) * s
        }
        guard storageOffset >= 0, last < storage.elementCount else {
            throw CheckpointError.malformed(file: file, reason: "tensor \(name) reaches past its storage (\(storage.elementCount) elements)")
        }
        var contiguous = true
        var expected = 1
        for (d, s) in zip(shape, strides).reversed() where d != 1 {
            if s != expected { contiguous = false; break }
            expected *= d
        }
        if contiguous {
            return StoredTensor(dtype: dtype, shape: shape, bytes: bytes[(storageOffset * size)..<((storageOffset + count) * size)])
        }
        let (out, pointer) = ByteBuffer.allocate(count * size)
        var cursor = StridedCursor(shape: shape, strides: strides, base: storageOffset)
        for i in 0..<count {
            (pointer + i * size).copyMemory(from: bytes.base + cursor.offset * size, byteCount: size)
            cursor.advance()
        }
        return StoredTensor(dtype: dtype, shape: shape, bytes: out)
    }
}
