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

    /// How many threads an op called on this thread may split over: `workers`, 1 on a thread that is
    /// itself one of a parallel loop's workers (nested loops run serially), or a model copy's share of
    /// the cores inside `independently`.
    public static var width: Int {
        let stored = Int(bitPattern: pthread_getspecific(widthKey))
        return stored > 0 ? stored : workers
    }

    /// Runs `body` over contiguous chunks of `0..<count`. `grain` is the least work worth a thread,
    /// in units of `count`; small loops stay on the calling thread.
    @inline(__always)
    public static func forEachChunk(_ count: Int, grain: Int = 4096, _ body: (Range<Int>) -> Void) {
        let chunks = min(width, max(1, count / max(grain, 1)))
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
        let chunks = min(width, count)
        if chunks <= 1 {
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

    /// Whether ops on the current thread run serially (it is one of a parallel loop's workers).
    public static var isInsideWorker: Bool { width <= 1 }

    /// `body(0)` … `body(iterations − 1)` on the workers, each thread set up for kernels (flush-to-zero):
    /// every parallel kernel goes through here. Called from a worker, it runs them one after another on
    /// that thread: nested loops stay serial. Called from a model copy that has several cores
    /// (`independently`), Dispatch runs them on that copy's share of its threads (a nested
    /// `concurrentPerform` gets the pool's width divided by the outer loop's iterations).
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

    /// Runs `body(r)` for r in 0..<count side by side, each on its own thread with an equal share of the
    /// cores for the ops inside (`width` ÷ count, at least 1: with one core each, every kernel runs
    /// single-threaded). For independent pieces of work (replicas of a model on slices of a batch)
    /// instead of splitting every op over all the cores.
    public static func independently(_ count: Int, _ body: (Int) -> Void) {
        let share = max(1, width / max(count, 1))
        perform(count) { r in withWidth(share) { body(r) } }
    }

    /// Runs `body` with ops on this thread serial (the thread is one of a parallel loop's workers).
    static func markWorker(_ body: () -> Void) { withWidth(1, body) }

    /// Runs `body` with ops on this thread split over at most `threads` threads; never widens.
    static func withWidth(_ threads: Int, _ body: () -> Void) {
        let previous = pthread_getspecific(widthKey)
        let stored = Int(bitPattern: previous)
        if stored > 0 && stored <= threads { return body() }
        pthread_setspecific(widthKey, UnsafeRawPointer(bitPattern: max(threads, 1)))
        defer { pthread_setspecific(widthKey, previous) }
        body()
    }

    /// The thread's width, stored as the pointer's bits (0, unset: `workers`).
    private static let widthKey: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "no thread-specific key left for Parallel.width")
        return key
    }()
}
