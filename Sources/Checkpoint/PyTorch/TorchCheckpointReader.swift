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
        /// Size of the file, which bounds what reading its tensors may allocate.
        let fileSize: Int
    }

    static let legacyMagic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]  // 0x1950a86a20f9469cfc6c

    public static func load(path: String) throws -> Checkpoint {
        let mapped = try MappedFile(path: path)
        let bytes = mapped.bytes
        if bytes.count >= 4, bytes.loadLittleEndian(UInt32.self, at: 0) == 0x0403_4B50 {
            return Checkpoint(root: try loadZip(bytes, file: path), format: .pytorchZip, file: path, fileSize: bytes.count)
        }
        if isPickle(bytes) {
            return Checkpoint(root: try loadLegacy(bytes, file: path), format: .pytorchLegacy, file: path, fileSize: bytes.count)
        }
        throw CheckpointError.unknownFormat(file: path)
    }

    /// A pickle of protocol 2 or later starts with PROTO (0x80) and its protocol number; `torch.save`'s
    /// legacy format writes protocol 2. A bare 0x80 is not enough: it is also a plausible first byte of a
    /// safetensors header length.
    static func isPickle(_ bytes: ByteBuffer) -> Bool {
        guard bytes.count >= 2, bytes.base.load(as: UInt8.self) == 0x80 else { return false }
        return (2...5).contains(bytes.base.load(fromByteOffset: 1, as: UInt8.self))
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
            // numel comes from the pickle: checked against the member before it sizes anything.
            guard let length = storageLength(count, storage.dtype), length <= entry.data.count else {
                throw CheckpointError.malformed(
                    file: file, reason: "storage \(key) declares \(count) elements of \(storage.dtype.rawValue) but holds \(entry.data.count) bytes")
            }
            storage.bytes = entry.data[0..<length]
            storages[key] = storage
            return .storage(storage)
        }, loadFromBytes: embeddedStorageLoader(budget: bytes.count, file: file))
        var machine = PickleMachine(buffer: pickle.data, file: file, hooks: hooks)
        return try machine.load()
    }

    // MARK: Legacy format

    /// `allowEmbeddedStorages`: whether the object may hold `_load_from_bytes` storages (themselves legacy
    /// files); false inside one, since PyTorch never nests them and nesting would copy the bytes once a level.
    static func loadLegacy(_ bytes: ByteBuffer, file: String, allowEmbeddedStorages: Bool = true) throws -> PickleValue {
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
            // Counts from the pickle size nothing until the raw records are read, but a negative one is
            // already wrong; the records themselves are checked against the file below.
            guard count >= 0, storageLength(count, type) != nil else {
                throw CheckpointError.malformed(file: file, reason: "storage \(key) declares \(count) elements")
            }
            let root = roots[key] ?? TorchStorage(key: key, dtype: type, elementCount: count)
            roots[key] = root
            if fields.count >= 6, case let .tuple(view) = fields[5], view.count == 3,
               let viewKey = view[0].stringValue, let offset = view[1].intValue, let size = view[2].intValue {
                guard offset >= 0, size >= 0 else {
                    throw CheckpointError.malformed(file: file, reason: "view \(viewKey) of storage \(key) has offset \(offset) and size \(size)")
                }
                let v = TorchStorage(key: viewKey, dtype: type, elementCount: size)
                views.append((v, key, offset))
                return .storage(v)
            }
            return .storage(root)
        }, loadFromBytes: allowEmbeddedStorages ? embeddedStorageLoader(budget: bytes.count, file: file) : nil)
        machine = PickleMachine(buffer: bytes, start: machine.position, file: file, hooks: hooks)
        let root = try machine.load()
        guard case let .list(keys) = try machine.load() else {
            throw CheckpointError.malformed(file: file, reason: "legacy storage key list missing")
        }
        // Raw storages follow in key-list order: an 8-byte element count, then the elements.
        var position = machine.position
        for case let .string(key) in keys.items {
            guard bytes.count - position >= 8 else { throw CheckpointError.missingRecord(file: file, record: "storage \(key)") }
            let declared = bytes.loadLittleEndian(UInt64.self, at: position)
            position += 8
            guard let storage = roots[key] else { throw CheckpointError.malformed(file: file, reason: "unreferenced storage \(key)") }
            // The record's element count is untrusted: its byte length must fit in what is left of the file.
            guard let count = Int(exactly: declared), let length = storageLength(count, storage.dtype),
                  count >= storage.elementCount, length <= bytes.count - position else {
                throw CheckpointError.malformed(
                    file: file, reason: "storage \(key) declares \(declared) elements, more than the rest of the file holds (truncated?)")
            }
            storage.bytes = bytes[position..<(position + length)]
            position += length
        }
        for (key, storage) in roots where storage.bytes == nil {
            throw CheckpointError.missingRecord(file: file, record: "storage \(key)")
        }
        for (view, rootKey, offset) in views {
            let r = roots[rootKey]!, size = r.dtype.size
            // offset and size are non-negative (checked when read); their sum may still overflow.
            let (end, overflow) = offset.addingReportingOverflow(view.elementCount)
            guard let rb = r.bytes, !overflow, let endByte = storageLength(end, r.dtype), endByte <= rb.count else {
                throw CheckpointError.malformed(file: file, reason: "view \(view.key) outside storage \(rootKey)")
            }
            view.bytes = rb[(offset * size)..<endByte]
        }
        return root
    }

    /// Bytes of `count` elements, or nil when the count is negative or the product overflows.
    static func storageLength(_ count: Int, _ dtype: DType) -> Int? {
        guard count >= 0 else { return nil }
        let (length, overflow) = count.multipliedReportingOverflow(by: dtype.size)
        return overflow ? nil : length
    }

    /// The `_load_from_bytes` hook. Each call copies its bytes, and a pickle can call it many times on one
    /// memoised blob, so the copies together may not exceed the size of the file that holds them.
    static func embeddedStorageLoader(budget: Int, file: String) -> ([UInt8]) throws -> PickleValue {
        var copied = 0
        return { blob in
            copied += blob.count
            guard copied <= budget else {
                throw CheckpointError.malformed(file: file, reason: "embedded storages add up to more bytes than the file holds")
            }
            return try storageFromBytes(blob, file: file)
        }
    }

    /// `torch.storage._load_from_bytes(b)`: `b` is a legacy-format `torch.save` of one storage.
    static func storageFromBytes(_ bytes: [UInt8], file: String) throws -> PickleValue {
        let value = try bytes.withUnsafeBytes { try loadLegacy(ByteBuffer(copying: $0), file: file, allowEmbeddedStorages: false) }
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
    /// gathered through the strides. Offset, shape and strides come from the pickle, so they are checked
    /// (non-negative, no overflow, inside the storage) before anything is indexed or allocated; gathered
    /// copies draw on `copyBudget`, which bounds what a file can make the reader allocate.
    func stored(file: String, name: String, copyBudget: inout Int) throws -> StoredTensor {
        func fail(_ reason: String) -> CheckpointError { .malformed(file: file, reason: "tensor \(name) \(reason)") }
        guard let bytes = storage.bytes else { throw CheckpointError.missingRecord(file: file, record: "storage \(storage.key)") }
        let size = dtype.size
        guard shape.allSatisfy({ $0 >= 0 }) else { throw fail("has a negative size \(shape)") }
        guard strides.allSatisfy({ $0 >= 0 }) else { throw fail("has a negative stride \(strides)") }
        guard storageOffset >= 0 else { throw fail("has a negative storage offset \(storageOffset)") }
        guard let count = StoredTensor.elementCount(of: shape), let byteCount = StoredTensor.byteCount(of: dtype, shape) else {
            throw fail("of size \(shape) has too many elements")
        }
        if count == 0 { return StoredTensor(dtype: dtype, shape: shape, bytes: ByteBuffer(copying: UnsafeRawBufferPointer(start: nil, count: 0))) }
        // Highest element the view touches, storageOffset + Σ (size − 1)·stride, must lie inside the storage.
        var last = storageOffset
        for (d, s) in zip(shape, strides) {
            let (step, o1) = (d - 1).multipliedReportingOverflow(by: s)
            let (sum, o2) = last.addingReportingOverflow(step)
            guard !o1, !o2, sum < storage.elementCount else {
                throw fail("reaches past its storage (\(storage.elementCount) elements)")
            }
            last = sum
        }
        guard last < storage.elementCount else { throw fail("reaches past its storage (\(storage.elementCount) elements)") }
        var contiguous = true
        var expected = 1
        for (d, s) in zip(shape, strides).reversed() where d != 1 {
            if s != expected { contiguous = false; break }
            expected *= d  // ≤ count: no overflow
        }
        if contiguous {
            // Contiguous and inside the storage: storageOffset + count − 1 = last.
            return StoredTensor(dtype: dtype, shape: shape, bytes: bytes[(storageOffset * size)..<((last + 1) * size)])
        }
        // Stride 0 (an expanded view) can describe far more elements than the file holds.
        guard byteCount <= copyBudget else {
            throw fail("of size \(shape) would need \(byteCount) bytes gathered through its strides, more than the file justifies")
        }
        copyBudget -= byteCount
        let (out, pointer) = ByteBuffer.allocate(byteCount)
        // An extent-1 dimension's stride is never used, but the cursor would add it once: make it 0 so
        // that an absurd value cannot overflow.
        let usedStrides = zip(shape, strides).map { $0 == 1 ? 0 : $1 }
        var cursor = StridedCursor(shape: shape, strides: usedStrides, base: storageOffset)
        for i in 0..<count {
            (pointer + i * size).copyMemory(from: bytes.base + cursor.offset * size, byteCount: size)
            cursor.advance()
        }
        return StoredTensor(dtype: dtype, shape: shape, bytes: out)
    }
}
