import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Bytes that stay valid while the buffer lives: owned memory, or a window into a memory-mapped file
/// (kept mapped by `owner`).
public struct ByteBuffer: @unchecked Sendable {
    public let base: UnsafeRawPointer
    public let count: Int
    /// Keeps the memory valid (a MappedFile, or owned bytes).
    let owner: AnyObject

    public init(base: UnsafeRawPointer, count: Int, owner: AnyObject) {
        self.base = base
        self.count = count
        self.owner = owner
    }

    /// A copy of `bytes` in owned, 64-byte-aligned memory.
    public init(copying bytes: UnsafeRawBufferPointer) {
        let storage = OwnedBytes(count: bytes.count)
        if bytes.count > 0 { storage.pointer.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
        self.init(base: UnsafeRawPointer(storage.pointer), count: bytes.count, owner: storage)
    }

    public init(_ data: Data) {
        self = data.withUnsafeBytes { ByteBuffer(copying: $0) }
    }

    /// Owned, zero-filled bytes to write into.
    public static func allocate(_ count: Int) -> (ByteBuffer, UnsafeMutableRawPointer) {
        let storage = OwnedBytes(count: count)
        memset(storage.pointer, 0, max(count, 1))
        return (ByteBuffer(base: UnsafeRawPointer(storage.pointer), count: count, owner: storage), storage.pointer)
    }

    public subscript(range: Range<Int>) -> ByteBuffer {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "byte range \(range) outside 0..<\(count)")
        return ByteBuffer(base: base + range.lowerBound, count: range.count, owner: owner)
    }

    public var raw: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    public func loadLittleEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        T(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

/// 64-byte-aligned heap bytes.
final class OwnedBytes {
    let pointer: UnsafeMutableRawPointer
    init(count: Int) {
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, max(count, 1)) == 0, let raw else { fatalError("out of memory allocating \(count) bytes") }
        pointer = raw
    }
    deinit { free(pointer) }
}

/// A whole file mapped privately (copy-on-write). Pages are read on demand, so opening a 1 GB checkpoint costs nothing
/// until its tensors are touched.
public final class MappedFile {
    public let path: String
    /// The file's bytes (refer to this mapping, which stays while any buffer made from it lives). Made on
    /// demand: a stored buffer would own this object and keep it, its descriptor and its mapping alive
    /// forever (a reference cycle), one leak per file opened.
    public var bytes: ByteBuffer {
        guard let mapping else { return ByteBuffer(copying: UnsafeRawBufferPointer(start: nil, count: 0)) }
        return ByteBuffer(base: UnsafeRawPointer(mapping), count: length, owner: self)
    }
    private let mapping: UnsafeMutableRawPointer?
    private let length: Int
    /// Kept open so writers can copy ranges of this file in the kernel (copy_file_range).
    let descriptor: Int32
    /// Set once memory of this mapping has been lent out as writable tensor storage: from then on
    /// memory may differ from the file, and copies must come from memory.
    var lentWritablePages = false

    public init(path: String) throws {
        self.path = path
        var info = stat()
        guard stat(path, &info) == 0 else { throw CheckpointError.unreadable(file: path, reason: String(cString: strerror(errno))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw CheckpointError.unreadable(file: path, reason: "not a regular file") }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw CheckpointError.unreadable(file: path, reason: String(cString: strerror(errno))) }
        descriptor = fd
        length = Int(info.st_size)
        if length == 0 {
            mapping = nil
            return
        }
        // Copy-on-write: a loaded parameter that training later updates in place gets private pages; the
        // file itself is never written.
        let p = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else {
            close(fd)
            throw CheckpointError.unreadable(file: path, reason: "cannot map: \(String(cString: strerror(errno)))")
        }
        mapping = p
    }

    deinit {
        if let mapping { munmap(mapping, length) }
        close(descriptor)
    }

    /// Where `buffer` starts in this file, when it is a window into this mapping whose memory still
    /// equals the file.
    func fileOffset(of buffer: ByteBuffer) -> Int? {
        guard !lentWritablePages, let mapping, buffer.owner === self else { return nil }
        let offset = buffer.base - UnsafeRawPointer(mapping)
        return offset >= 0 && offset + buffer.count <= length ? offset : nil
    }
}
