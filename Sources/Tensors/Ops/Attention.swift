import Foundation

extension Tensor {
    /// Multi-head scaled dot-product attention read straight from a fused qkv projection, as timm's
    /// Attention: qkv [B, N, 3·D] is split as (3, heads, headDim) along its last axis (q, k, v; heads
    /// contiguous inside each). Output [B, N, D] has heads merged back (head h at columns h·headDim…).
    /// Strided GEMMs read each head in place, so there is no permute and no copy of q, k or v.
    /// Backward recomputes nothing: the softmax probabilities [B, H, N, N] are kept.
    public static func attention(qkv: Tensor, heads: Int, scale: Float? = nil) -> Tensor {
        precondition(qkv.rank == 3 && qkv.shape[2] % (3 * heads) == 0,
                     "attention: qkv \(qkv.shape) is not [B, N, 3·heads·headDim] for \(heads) heads")
        let b = qkv.shape[0], n = qkv.shape[1], dim = qkv.shape[2] / 3, hd = dim / heads
        let alpha = scale ?? 1 / Float(hd).squareRoot()
        let out = Tensor(uninitializedShape: [b, n, dim])
        let keep = needsGraph(qkv)
        let probabilities = keep ? Tensor(uninitializedShape: [b, heads, n, n]) : nil
        let pq = qkv.data, po = out.data
        Parallel.forEachItem(b * heads) { pair in
            let bi = pair / heads, h = pair % heads
            let q = pq + bi * n * 3 * dim + h * hd, k = q + dim, v = q + 2 * dim
            let scratch = probabilities == nil ? UnsafeMutablePointer<Float>.allocate(capacity: n * n) : nil
            defer { scratch?.deallocate() }
            let p = scratch ?? probabilities!.data + pair * n * n
            // S = α · Q Kᵀ  [n, n]
            Kernels.gemm(transA: false, transB: true, m: n, n: n, k: hd, alpha: alpha,
                         a: q, lda: 3 * dim, b: k, ldb: 3 * dim, c: p, ldc: n)
            for i in 0..<n { softmaxRow(p + i * n, p + i * n, n) }
            // O = P V  [n, hd] into this head's columns of out.
            Kernels.gemm(transA: false, transB: false, m: n, n: hd, k: n,
                         a: p, lda: n, b: v, ldb: 3 * dim, c: po + bi * n * dim + h * hd, ldc: dim)
        }
        guard let probabilities else { return out }
        return out.recording("attention", [qkv]) { g in
            let gqkv = Tensor(uninitializedShape: qkv.shape)
            let pg = g.data, pgq = gqkv.data
            Parallel.forEachItem(b * heads) { pair in
                let bi = pair / heads, h = pair % heads
                let q = pq + bi * n * 3 * dim + h * hd, k = q + dim, v = q + 2 * dim
                let dq = pgq + bi * n * 3 * dim + h * hd, dk = dq + dim, dv = dq + 2 * dim
                let go = pg + bi * n * dim + h * hd
                let p = probabilities.data + pair * n * n
                let ds = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
                defer { ds.deallocate() }
                // dV = Pᵀ dO
                Kernels.gemm(transA: true, transB: false, m: n, n: hd, k: n,
                             a: p, lda: n, b: go, ldb: dim, c: dv, ldc: 3 * dim)
                // dP = dO Vᵀ, then dS = P ∘ (dP − rowsum(dP ∘ P)) in place
                Kernels.gemm(transA: false, transB: true, m: n, n: n, k: hd,
                             a: go, lda: dim, b: v, ldb: 3 * dim, c: ds, ldc: n)
                for i in 0..<n { softmaxBackwardRow(p + i * n, ds + i * n, ds + i * n, n) }
                // dQ = α dS K;  dK = α dSᵀ Q
                Kernels.gemm(transA: false, transB: false, m: n, n: hd, k: n, alpha: alpha,
                             a: ds, lda: n, b: k, ldb: 3 * dim, c: dq, ldc: 3 * dim)
                Kernels.gemm(transA: true, transB: false, m: n, n: hd, k: n, alpha: alpha,
                             a: ds, lda: n, b: q, ldb: 3 * dim, c: dk, ldc: 3 * dim)
            }
            return [gqkv]
        }
    }
}
