import Foundation

/// The one thread pool of the engine: row-parallel loops for the element-wise kernels, and the bands of
/// C that `Kernels.gemm` splits large products into (OpenBLAS itself runs single-threaded, see BLASThreads).
public enum Parallel {
    /// Worker count: the cores this process may use (ZOO_NUM_THREADS overrides).
    public static let workers: Int = {
        if let text = ProcessInfo.processInfo.environment["ZOO_NUM_THREADS"], let n = Int(text), n > 0 {
            return n
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Runs `body` over contiguous chunks of `0..<count`. `grain` is the least work worth a thread,
    /// in units of `count`; small loops stay on the calling thread.
    @inline(__always)
    public static func forEachChunk(_ count: Int, grain: Int = 4096, _ body: (Range<Int>) -> Void) {
        let chunks = min(workers, max(1, count / max(grain, 1)))
        if chunks <= 1 {
            Denormals.flushOnThisThread()
            body(0..<count)
            return
        }
        perform(chunks) { chunk in
            let start = count * chunk / chunks
            let end = count * (chunk + 1) / chunks
            if start < end { body(start..<end) }
        }
    }

    /// Runs `body(i)` for every `i` in `0..<count` on the workers; GEMMs called inside stay on the
    /// calling worker (many small products side by side, one per attention head).
    public static func forEachItem(_ count: Int, _ body: (Int) -> Void) {
        let chunks = min(workers, count)
        if chunks <= 1 || isInsideWorker {
            Denormals.flushOnThisThread()
            for i in 0..<count { body(i) }
            return
        }
        perform(chunks) { chunk in
            markWorker {
                for i in (count * chunk / chunks)..<(count * (chunk + 1) / chunks) { body(i) }
            }
        }
    }

    /// Whether the current thread is already one of a parallel loop's workers (nested loops run serially).
    public static var isInsideWorker: Bool { Thread.current.threadDictionary[workerKey] != nil }

    /// `body(0)` … `body(iterations − 1)` on the workers, each thread set up for kernels (flush-to-zero):
    /// every parallel kernel goes through here. Called from a worker, it runs them one after another on
    /// that thread: nested loops stay serial.
    public static func perform(_ iterations: Int, _ body: (Int) -> Void) {
        if isInsideWorker {
            Denormals.flushOnThisThread()
            for i in 0..<iterations { body(i) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: iterations) { i in
            Denormals.flushOnThisThread()
            body(i)
        }
    }

    /// Runs `body(r)` for r in 0..<count, one per worker thread, each thread a worker throughout: every
    /// kernel inside runs single-threaded on it. For independent pieces of work that each fill a core
    /// (replicas of a model on slices of a batch) instead of splitting every op over the cores.
    public static func independently(_ count: Int, _ body: (Int) -> Void) {
        perform(count) { r in markWorker { body(r) } }
    }

    static func markWorker(_ body: () -> Void) {
        let dictionary = Thread.current.threadDictionary
        if dictionary[workerKey] != nil { return body() }
        dictionary[workerKey] = true
        defer { dictionary.removeObject(forKey: workerKey) }
        body()
    }

    private static let workerKey = "zoo.parallel.worker"
}
