import Foundation
import COpenBLAS

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
        if chunks <= 1 {
            body(0..<count)
            return
        }
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let start = count * chunk / chunks
            let end = count * (chunk + 1) / chunks
            if start < end { body(start..<end) }
        }
    }

    /// Runs `body(i)` for every `i` in `0..<count` on the workers, with OpenBLAS kept to one thread
    /// inside so that many small GEMMs (one per attention head) run side by side instead of each
    /// waking the BLAS thread pool.
    public static func forEachWithSerialBLAS(_ count: Int, _ body: (Int) -> Void) {
        let chunks = min(workers, count)
        if chunks <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        let previous = openblas_get_num_threads()
        openblas_set_num_threads(1)
        defer { openblas_set_num_threads(previous) }
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let start = count * chunk / chunks
            let end = count * (chunk + 1) / chunks
            for i in start..<end { body(i) }
        }
    }
}
