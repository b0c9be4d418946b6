import Foundation

/// Row-parallel loops for the element-wise kernels. GEMMs get their threads from OpenBLAS instead.
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
        Denormals.flushOnThisThread()
        if chunks <= 1 {
            body(0..<count)
            return
        }
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            Denormals.flushOnThisThread()
            let start = count * chunk / chunks
            let end = count * (chunk + 1) / chunks
            if start < end { body(start..<end) }
        }
    }

    /// Runs `body(i)` for every `i` in `0..<count` on the workers; GEMMs called inside stay on the
    /// calling worker (many small products side by side, one per attention head).
    public static func forEachItem(_ count: Int, _ body: (Int) -> Void) {
        let chunks = min(workers, count)
        Denormals.flushOnThisThread()
        if chunks <= 1 || isInsideWorker {
            for i in 0..<count { body(i) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            Denormals.flushOnThisThread()
            markWorker {
                for i in (count * chunk / chunks)..<(count * (chunk + 1) / chunks) { body(i) }
            }
        }
    }

    /// Whether the current thread is already one of a parallel loop's workers (nested loops run serially).
    public static var isInsideWorker: Bool { Thread.current.threadDictionary[workerKey] != nil }

    static func markWorker(_ body: () -> Void) {
        Denormals.flushOnThisThread()
        let dictionary = Thread.current.threadDictionary
        if dictionary[workerKey] != nil { return body() }
        dictionary[workerKey] = true
        defer { dictionary.removeObject(forKey: workerKey) }
        body()
    }

    private static let workerKey = "zoo.parallel.worker"
}
