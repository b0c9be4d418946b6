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
    @inline(__always)
    public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Sum over rows: out[j] = Σ_i x[i, j] for x [rows, cols] (bias gradients, broadcast reductions).
    public static func sumRows(_ x: UnsafePointer<Float>, rows: Int, cols: Int, into out: UnsafeMutablePointer<Float>) {
        let workers = min(Parallel.workers, max(1, rows * cols / (1 << 15)))
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
        DispatchQueue.concurrentPerform(iterations: workers) { w in
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
