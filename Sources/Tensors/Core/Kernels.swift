import Foundation
import COpenBLAS

/// Flat loops over raw buffers shared by several ops. Plain loops the compiler vectorises; GEMMs go to
/// OpenBLAS.
public enum Kernels {
    /// dst += src
    @inline(__always)
    public static func addInPlace(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ n: Int) {
        Parallel.forEachChunk(n, grain: 1 << 16) { r in
            for i in r { dst[i] += src[i] }
        }
    }

    /// dst = src * scale
    @inline(__always)
    public static func scale(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ s: Float, _ n: Int) {
        Parallel.forEachChunk(n, grain: 1 << 16) { r in
            for i in r { dst[i] = src[i] * s }
        }
    }

    /// Row-major C[M,N] = alpha · op(A) · op(B) + beta · C, with leading dimensions given so that
    /// strided sub-matrices (one head's q inside a qkv row) need no copy.
    ///
    /// zoo keeps OpenBLAS single-threaded and splits large products into one band of C per worker
    /// itself: one thread pool for the whole engine, and no BLAS threads spinning (sched_yield) while
    /// the element-wise kernels run.
    @inline(__always)
    public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        BLASThreads.configureOnce
        let workers = Parallel.width
        if workers <= 1 || m * n * k < 1 << 21 {
            Denormals.flushOnThisThread()
            sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
            return
        }
        if m >= n {
            // Bands of rows of C: rows of op(A).
            Parallel.perform(workers) { w in
                let m0 = m * w / workers, m1 = m * (w + 1) / workers
                guard m1 > m0 else { return }
                Parallel.markWorker {
                    sgemm(transA, transB, m1 - m0, n, k, alpha, a + (transA ? m0 : m0 * lda), lda, b, ldb, beta, c + m0 * ldc, ldc)
                }
            }
        } else {
            // Bands of columns of C: columns of op(B).
            Parallel.perform(workers) { w in
                let n0 = n * w / workers, n1 = n * (w + 1) / workers
                guard n1 > n0 else { return }
                Parallel.markWorker {
                    sgemm(transA, transB, m, n1 - n0, k, alpha, a, lda, b + (transB ? n0 * ldb : n0), ldb, beta, c + n0, ldc)
                }
            }
        }
    }

    @inline(__always)
    private static func sgemm(
        _ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
        _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
        _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Sum over rows: out[j] = Σ_i x[i, j] for x [rows, cols] (bias gradients, broadcast reductions).
    public static func sumRows(_ x: UnsafePointer<Float>, rows: Int, cols: Int, into out: UnsafeMutablePointer<Float>) {
        let workers = min(Parallel.width, max(1, rows * cols / (1 << 15)))
        if workers <= 1 {
            out.update(repeating: 0, count: cols)
            for i in 0..<rows {
                let row = x + i * cols
                for j in 0..<cols { out[j] += row[j] }
            }
            return
        }
        // Each worker sums a band of rows into its own partial, then the partials are added.
        let partials = UnsafeMutablePointer<Float>.allocate(capacity: workers * cols)
        defer { partials.deallocate() }
        partials.initialize(repeating: 0, count: workers * cols)
        Parallel.perform(workers) { w in
            let part = partials + w * cols
            for i in (rows * w / workers)..<(rows * (w + 1) / workers) {
                let row = x + i * cols
                for j in 0..<cols { part[j] += row[j] }
            }
        }
        out.update(from: partials, count: cols)
        for w in 1..<workers {
            let part = partials + w * cols
            for j in 0..<cols { out[j] += part[j] }
        }
    }
}

/// OpenBLAS runs single-threaded: zoo's own workers split the work (see `Kernels.gemm`).
enum BLASThreads {
    static let configureOnce: Void = { openblas_set_num_threads(1) }()
}
