import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A shard file mapped read-only, unmapped when the last reference goes. The reader holds one per file,
/// and nothing in the mapping refers back to it, so opening and dropping a reader frees both the mapping
/// and the descriptor: a loader that opens shards again and again (or a fuzzer, millions of times) must
/// not run out of file descriptors or address space.
final class ShardMapping: @unchecked Sendable {
    /// The file's bytes; valid while this object lives.
    let bytes: UnsafeRawBufferPointer
    private let mapping: UnsafeMutableRawPointer?
    private let length: Int

    /// Maps `path`; the error is the OS's reason, for `ShardError.unreadable`.
    init(path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw ShardError.unreadable(file: path, reason: String(cString: strerror(errno))) }
        // The mapping keeps the file's pages; the descriptor is not needed once it exists.
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ShardError.unreadable(file: path, reason: String(cString: strerror(errno))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw ShardError.unreadable(file: path, reason: "not a regular file") }
        length = Int(info.st_size)
        guard length > 0 else {
            mapping = nil
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let p = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else { throw ShardError.unreadable(file: path, reason: "cannot map: \(String(cString: strerror(errno)))") }
        mapping = p
        bytes = UnsafeRawBufferPointer(start: p, count: length)
    }

    deinit {
        if let mapping { munmap(mapping, length) }
    }

    func loadLittleEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        precondition(offset >= 0 && offset <= bytes.count - MemoryLayout<T>.size, "read of \(T.self) at \(offset) outside \(bytes.count) bytes")
        return T(littleEndian: bytes.baseAddress!.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
