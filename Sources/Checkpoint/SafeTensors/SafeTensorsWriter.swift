import Foundation
import JSON

/// Writes safetensors files that the reference implementation (Python `safetensors`) loads: JSON header
/// padded with spaces to a multiple of 8 bytes, `__metadata__` first, data laid out widest dtype first
/// (file order kept within a width) so every tensor is aligned to its element size.
public enum SafeTensorsWriter {
    public static func write(_ tensors: [(name: String, tensor: StoredTensor)], metadata: [(key: String, value: String)] = [],
                             to path: String) throws {
        let (header, ordered) = try layout(tensors, metadata, keepingOrder: false, file: path)
        try writeAtomically(to: path) { temporary in
            guard let out = FileHandleWriter(path: temporary) else {
                throw CheckpointError.cannotWrite(file: path, reason: String(cString: strerror(errno)))
            }
            defer { out.close() }
            try write(header, ordered, to: out, file: path)
        }
    }

    /// Writes a safetensors stream to an open descriptor (a pipe), tensors in the order given, so that the
    /// reader gives them back in that order; `name` stands for the stream in errors.
    static func write(_ tensors: [(name: String, tensor: StoredTensor)], metadata: [(key: String, value: String)],
                      toDescriptor descriptor: Int32, name: String) throws {
        let (header, ordered) = try layout(tensors, metadata, keepingOrder: true, file: name)
        try write(header, ordered, to: FileHandleWriter(descriptor: descriptor), file: name)
    }

    private static func write(_ header: [UInt8], _ ordered: [(name: String, tensor: StoredTensor)], to out: FileHandleWriter,
                              file: String) throws {
        var length = UInt64(header.count).littleEndian
        try withUnsafeBytes(of: &length) { try out.write($0, file: file) }
        try header.withUnsafeBytes { try out.write($0, file: file) }
        for (_, t) in ordered { try out.write(t.bytes, file: file) }
    }

    /// The padded header and the tensors in data order.
    private static func layout(_ tensors: [(name: String, tensor: StoredTensor)], _ metadata: [(key: String, value: String)],
                               keepingOrder: Bool, file path: String) throws -> ([UInt8], [(name: String, tensor: StoredTensor)]) {
        var seen = Set<String>()
        for (name, _) in tensors where !seen.insert(name).inserted {
            throw CheckpointError.cannotWrite(file: path, reason: "duplicate tensor name \(name)")
        }
        let ordered = keepingOrder ? tensors : tensors.enumerated().sorted { a, b in
            a.element.tensor.dtype.size != b.element.tensor.dtype.size
                ? a.element.tensor.dtype.size > b.element.tensor.dtype.size : a.offset < b.offset
        }.map(\.element)

        var entries: [(String, JSONValue)] = []
        if !metadata.isEmpty {
            entries.append(("__metadata__", .object(metadata.map { ($0.key, .string($0.value)) })))
        }
        var offset = 0
        for (name, t) in ordered {
            entries.append((name, .object([("dtype", .string(t.dtype.rawValue)), ("shape", .array(t.shape.map { .integer($0) })),
                                           ("data_offsets", .array([.integer(offset), .integer(offset + t.bytes.count)]))])))
            offset += t.bytes.count
        }
        var header = Array(JSONValue.object(entries).serialized().utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        return (header, ordered)
    }
}

/// Unbuffered writes of large blocks straight from memory (a mapped source is streamed without a copy).
/// No fsync: the rename already makes the file appear whole or not at all, as `cp` and PyTorch leave
/// durability to the file system.
final class FileHandleWriter {
    private let fd: Int32
    init?(path: String) {
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if fd < 0 { return nil }
    }

    /// Writes to a descriptor someone else owns and closes.
    init(descriptor: Int32) { fd = descriptor }

    func write(_ bytes: UnsafeRawBufferPointer, file: String) throws {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, min(bytes.count - done, 1 << 30))
            if n < 0 {
                if errno == EINTR { continue }
                throw CheckpointError.cannotWrite(file: file, reason: String(cString: strerror(errno)))
            }
            done += n
        }
    }

    /// Writes a buffer; a window into a mapped file is copied file-to-file inside the kernel
    /// (copy_file_range, as `cp` does), without touching its pages from user space.
    func write(_ buffer: ByteBuffer, file: String) throws {
        if let mapped = buffer.owner as? MappedFile, var offset = mapped.fileOffset(of: buffer) {
            var remaining = buffer.count
            while remaining > 0 {
                let n = kernelCopyFileRange(mapped.descriptor, &offset, fd, nil, remaining, 0)
                if n > 0 { remaining -= n; continue }
                if n < 0 && errno == EINTR { continue }
                // Not supported here (another file system, an old kernel): plain writes for the rest.
                try write(UnsafeRawBufferPointer(start: buffer.base + (buffer.count - remaining), count: remaining), file: file)
                return
            }
            return
        }
        try write(buffer.raw, file: file)
    }

    func close() { Glibc.close(fd) }
}

// glibc declares copy_file_range only under _GNU_SOURCE, which the Glibc module does not set.
@_silgen_name("copy_file_range")
private func kernelCopyFileRange(_ input: Int32, _ inputOffset: UnsafeMutablePointer<Int>?, _ output: Int32,
                                 _ outputOffset: UnsafeMutablePointer<Int>?, _ length: Int, _ flags: UInt32) -> Int
