import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A 64-byte-aligned float buffer. Tensors share storages (reshape is a view), so the storage is a class
/// and frees its memory when the last tensor that refers to it goes away.
public final class Storage {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int
    /// Keeps alive whatever owns memory this storage borrows (a memory-mapped file, say); nil when owned.
    private let owner: AnyObject?

    /// Uninitialised storage of `count` floats.
    public init(count: Int) {
        Storage.configureAllocatorOnce
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        var raw: UnsafeMutableRawPointer?
        if LargeBuffers.serves(bytes) {
            raw = LargeBuffers.take(bytes)
        } else if posix_memalign(&raw, 64, bytes) != 0 {
            raw = nil
        }
        guard let raw else { fatalError("out of memory allocating \(bytes) bytes") }
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        self.count = count
        owner = nil
    }

    /// Borrows memory owned by `owner` (which must keep it valid and unchanged while this storage lives).
    public init(borrowing pointer: UnsafeMutablePointer<Float>, count: Int, owner: AnyObject) {
        self.pointer = pointer
        self.count = count
        self.owner = owner
    }

    public convenience init(zeros count: Int) {
        self.init(count: count)
        pointer.initialize(repeating: 0, count: count)
    }

    deinit {
        guard owner == nil else { return }
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        if LargeBuffers.serves(bytes) {
            LargeBuffers.give(UnsafeMutableRawPointer(pointer), bytes: bytes)
        } else {
            free(pointer)
        }
    }

    /// What malloc still serves: storages under 1 MiB, and every storage when the large-buffer cache is off
    /// (`ZOO_BUFFER_CACHE_MB=0`). glibc returns blocks above its mmap threshold to the kernel, and every
    /// new one then costs page faults on first touch; raising the threshold keeps them in the heap for
    /// reuse. (With the cache on, buffers of 1 MiB and more never reach malloc: `LargeBuffers`.)
    private static let configureAllocatorOnce: Void = {
        #if os(Linux)
        // glibc caps the mmap threshold at 32 MiB on 64-bit systems; larger values are ignored. With the
        // cache off, a ViT-B step at batch 8 frees about 2.7 GB of activations by the end of backward:
        // with the top of the heap trimmed beyond 256 MB the next forward faulted about 20,000 pages back
        // in, beyond 1 GB about 13,000 (`perf stat -e page-faults`, 6 steps against 2).
        _ = glibcMallopt(glibcMmapThreshold, 32 << 20)
        _ = glibcMallopt(glibcTrimThreshold, 1 << 30)
        #endif
    }()
}

#if os(Linux)
// <malloc.h> is not part of the Glibc module; these are its stable ABI values.
@_silgen_name("mallopt") private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
private let glibcTrimThreshold: Int32 = -1
private let glibcMmapThreshold: Int32 = -3
#endif
