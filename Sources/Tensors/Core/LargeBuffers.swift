import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where storages of 1 MiB and more come from: whole 2 MiB pages mapped once, asked to be backed by
/// transparent huge pages, and kept when freed for the next request of the same size.
///
/// Why not malloc: a training step allocates and frees the same few hundred activation and gradient
/// buffers every step. glibc hands much of that memory back to the kernel between steps and faults it in
/// again page by page on first touch (about 25,000 faults a ViT-B step at batch 8, each 5–10 µs on a
/// virtual machine), and its 4 KiB pages cost TLB misses in every pass over an activation. Here the second
/// step finds every buffer it needs already mapped, in 2 MiB pages.
///
/// The cache keeps at most `cacheLimit` bytes of freed buffers (`ZOO_BUFFER_CACHE_MB`; 0 turns the pool
/// off and sends every storage to malloc, for comparison). A request that finds no buffer of its size
/// maps a new one, first unmapping cached buffers of other sizes if the cache is over its limit.
public enum LargeBuffers {
    /// Requests from this size up come from the pool; smaller ones stay with malloc.
    public static let threshold = 1 << 20
    static let hugePage = 2 << 20

    /// Bytes of freed buffers kept for reuse.
    public static let cacheLimit: Int = {
        if let text = ProcessInfo.processInfo.environment["ZOO_BUFFER_CACHE_MB"], let mb = Int(text), mb >= 0 {
            return mb << 20
        }
        // A quarter of physical memory, at most 16 GiB: a step's whole working set is cached between
        // steps, and that is already resident at the step's peak.
        return min(Int(ProcessInfo.processInfo.physicalMemory / 4), 16 << 30)
    }()

    /// Whether requests of `bytes` come from here.
    @inline(__always)
    static func serves(_ bytes: Int) -> Bool { cacheLimit > 0 && bytes >= threshold }

    /// The mapped length of a request: whole huge pages.
    @inline(__always)
    static func mappedLength(_ bytes: Int) -> Int { (bytes + hugePage - 1) / hugePage * hugePage }

    /// A buffer of at least `bytes`, 2 MiB-aligned; nil when the system refuses the memory.
    static func take(_ bytes: Int) -> UnsafeMutableRawPointer? {
        let length = mappedLength(bytes)
        if let cached = state.withLock({ $0.take(length) }) { return cached }
        // A new size: make room for it to be kept when it is freed, by unmapping cached buffers of other
        // sizes (a run whose sizes change, evaluation after training, say, does not hold both sets).
        for (pointer, size) in state.withLock({ $0.evict(toFit: length) }) { munmap(pointer, size) }
        return mapAligned(length)
    }

    /// Returns a buffer from `take(bytes)`.
    static func give(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
        let length = mappedLength(bytes)
        let kept = state.withLock { $0.keep(pointer, length: length) }
        if !kept { munmap(pointer, length) }
    }

    /// Unmaps every cached buffer (tests, and callers about to need memory for something else).
    public static func releaseCached() {
        let blocks = state.withLock { $0.drain() }
        for (pointer, length) in blocks { munmap(pointer, length) }
    }

    /// Bytes of freed buffers held now.
    public static var cachedBytes: Int { state.withLock { $0.cachedBytes } }

    /// Maps `length` bytes (a multiple of 2 MiB) at a 2 MiB boundary, so that every page of it can be a
    /// huge page: maps 2 MiB more and unmaps the unaligned ends.
    private static func mapAligned(_ length: Int) -> UnsafeMutableRawPointer? {
        let span = length + hugePage
        guard let raw = mmap(nil, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              raw != MAP_FAILED else { return nil }
        let address = UInt(bitPattern: raw)
        let aligned = (address + UInt(hugePage - 1)) & ~UInt(hugePage - 1)
        let head = Int(aligned - address)
        if head > 0 { munmap(raw, head) }
        let tail = span - head - length
        let start = UnsafeMutableRawPointer(bitPattern: aligned)!
        if tail > 0 { munmap(start + length, tail) }
        #if os(Linux)
        _ = madvise(start, length, 14)  // MADV_HUGEPAGE; a kernel without THP ignores it
        #endif
        return start
    }

    private static let state = Locked(FreedBuffers(limit: cacheLimit))
}

/// The freed buffers kept for reuse, by mapped length, and the rule for how many: at most `limit` bytes.
/// Pure bookkeeping (it never maps or unmaps), so the rule is testable on its own.
public struct FreedBuffers {
    public let limit: Int
    public private(set) var cachedBytes = 0
    private var free: [Int: [UnsafeMutableRawPointer]] = [:]

    public init(limit: Int) { self.limit = limit }

    /// A kept buffer of exactly `length` bytes, if there is one.
    public mutating func take(_ length: Int) -> UnsafeMutableRawPointer? {
        guard let pointer = free[length]?.popLast() else { return nil }
        cachedBytes -= length
        return pointer
    }

    /// Keeps a freed buffer if it fits under the limit; false means the caller unmaps it.
    public mutating func keep(_ pointer: UnsafeMutableRawPointer, length: Int) -> Bool {
        guard cachedBytes + length <= limit else { return false }
        free[length, default: []].append(pointer)
        cachedBytes += length
        return true
    }

    /// Drops kept buffers, largest first, until `length` more bytes would fit under the limit; returns
    /// them for the caller to unmap.
    public mutating func evict(toFit length: Int) -> [(UnsafeMutableRawPointer, Int)] {
        var evicted: [(UnsafeMutableRawPointer, Int)] = []
        for size in free.keys.sorted(by: >) {
            while cachedBytes + length > limit, let pointer = free[size]?.popLast() {
                evicted.append((pointer, size))
                cachedBytes -= size
            }
        }
        free = free.filter { !$0.value.isEmpty }
        return evicted
    }

    /// Drops every kept buffer; returns them for the caller to unmap.
    public mutating func drain() -> [(UnsafeMutableRawPointer, Int)] {
        let all = free.flatMap { size, pointers in pointers.map { ($0, size) } }
        free = [:]
        cachedBytes = 0
        return all
    }
}

/// A value behind a mutex.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private var mutex = pthread_mutex_t()

    init(_ value: Value) {
        self.value = value
        pthread_mutex_init(&mutex, nil)
    }

    func withLock<R>(_ body: (inout Value) -> R) -> R {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body(&value)
    }
}
