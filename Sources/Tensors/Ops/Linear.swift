import Foundation

extension Tensor {
    /// y = x · Wᵀ + b, as torch.nn.functional.linear.
    /// x [..., in], weight [out, in], bias [out] → y [..., out]; one GEMM over all leading dims.
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        let inFeatures = weight.shape[1], outFeatures = weight.shape[0]
        precondition(weight.rank == 2 && x.shape.last == inFeatures,
                     "linear: input \(x.shape) does not match weight \(weight.shape)")
        let rows = x.count / max(inFeatures, 1)
        let out = Tensor(uninitializedShape: Array(x.shape.dropLast()) + [outFeatures])
        var beta: Float = 0
        if let bias {
            precondition(bias.shape == [outFeatures], "linear: bias \(bias.shape) for \(outFeatures) outputs")
            // Start from the bias rows and let the GEMM add onto them (beta 1): one pass over y.
            let o = out.data, b = bias.data
            Parallel.forEachChunk(rows, grain: max(1, 32768 / max(outFeatures, 1))) { r in
                for i in r { (o + i * outFeatures).update(from: b, count: outFeatures) }
            }
            beta = 1
        }
        Kernels.gemm(transA: false, transB: true, m: rows, n: outFeatures, k: inFeatures,
                     a: x.data, lda: inFeatures, b: weight.data, ldb: inFeatures, beta: beta, c: out.data, ldc: outFeatures)
        var inputs = [x, weight]
        if let bias { inputs.append(bias) }
        return out.recording("linear", inputs) { g in
            // dx = g · W [rows, in]; dW = gᵀ · x [out, in]; db = Σ_rows g.
            var gx: Tensor?, gw: Tensor?, gb: Tensor?
            if x.requiresGrad {
                let t = Tensor(uninitializedShape: x.shape)
                Kernels.gemm(transA: false, transB: false, m: rows, n: inFeatures, k: outFeatures,
                             a: g.data, lda: outFeatures, b: weight.data, ldb: inFeatures, c: t.data, ldc: inFeatures)
                gx = t
            }
            if weight.requiresGrad {
                let t = Tensor(uninitializedShape: weight.shape)
                Kernels.gemm(transA: true, transB: false, m: outFeatures, n: inFeatures, k: rows,
                             a: g.data, lda: outFeatures, b: x.data, ldb: inFeatures, c: t.data, ldc: inFeatures)
                gw = t
            }
            if let bias, bias.requiresGrad {
                let t = Tensor(uninitializedShape: [outFeatures])
                Kernels.sumRows(g.data, rows: rows, cols: outFeatures, into: t.data)
                gb = t
            }
            return bias == nil ? [gx, gw] : [gx, gw, gb]
        }
    }

    /// Batched matrix product: a [..., M, K] · b [..., K, N] → [..., M, N]; b may also be a plain [K, N].
    public static func matmul(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.rank >= 2 && b.rank >= 2, "matmul needs matrices, got \(a.shape) and \(b.shape)")
        let m = a.shape[a.rank - 2], k = a.shape[a.rank - 1]
        let n = b.shape[b.rank - 1]
        precondition(b.shape[b.rank - 2] == k, "matmul: \(a.shape) · \(b.shape) inner dimensions differ")
        let batch = a.count / max(m * k, 1)
        let sharedB = b.rank == 2
        precondition(sharedB || (b.count / max(k * n, 1) == batch && Array(b.shape.dropLast(2)) == Array(a.shape.dropLast(2))),
                     "matmul: batch dimensions of \(a.shape) and \(b.shape) differ")
        let out = Tensor(uninitializedShape: Array(a.shape.dropLast(2)) + [m, n])
        if sharedB {
            Kernels.gemm(transA: false, transB: false, m: batch * m, n: n, k: k,
                         a: a.data, lda: k, b: b.data, ldb: n, c: out.data, ldc: n)
        } else {
            for i in 0..<batch {
                Kernels.gemm(transA: false, transB: false, m: m, n: n, k: k, a: a.data + i * m * k, lda: k,
                             b: b.data + i * k * n, ldb: n, c: out.data + i * m * n, ldc: n)
            }
        }
        return out.recording("matmul", [a, b]) { g in
            var ga: Tensor?, gb: Tensor?
            if a.requiresGrad {  // dA = dC · Bᵀ
                let t = Tensor(uninitializedShape: a.shape)
                if sharedB {
                    Kernels.gemm(transA: false, transB: true, m: batch * m, n: k, k: n,
                                 a: g.data, lda: n, b: b.data, ldb: n, c: t.data, ldc: k)
                } else {
                    for i in 0..<batch {
                        Kernels.gemm(transA: false, transB: true, m: m, n: k, k: n, a: g.data + i * m * n, lda: n,
                                     b: b.data + i * k * n, ldb: n, c: t.data + i * m * k, ldc: k)
                    }
                }
                ga = t
            }
            if b.requiresGrad {  // dB = Aᵀ · dC (summed over the batch when B is shared)
                let t = Tensor(uninitializedShape: b.shape)
                if sharedB {
                    Kernels.gemm(transA: true, transB: false, m: k, n: n, k: batch * m,
                                 a: a.data, lda: k, b: g.data, ldb: n, c: t.data, ldc: n)
                } else {
                    for i in 0..<batch {
                        Kernels.gemm(transA: true, transB: false, m: k, n: n, k: m, a: a.data + i * m * k, lda: k,
                                     b: g.data + i * m * n, ldb: n, c: t.data + i * k * n, ldc: n)
                    }
                }
                gb = t
            }
            return [ga, gb]
        }
    }
}
