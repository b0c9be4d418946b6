import CKernels
import Foundation

extension Tensor {
    /// Exact GELU: x · Φ(x) = 0.5 · x · (1 + erf(x / √2)), as torch.nn.GELU() (approximate='none'), with
    /// erf and exp evaluated 8 lanes at a time (`VectorMath`, a few ulps from libm).
    public func gelu() -> Tensor {
        let out = Tensor(uninitializedShape: shape)
        let px = data, py = out.data
        let native = NativeKernels.avx2
        Parallel.forEachChunk(count, grain: 8192) { r in
            if native { return zoo_gelu_avx2(px + r.lowerBound, py + r.lowerBound, r.count) }
            VectorMath.map(px + r.lowerBound, py + r.lowerBound, count: r.count) { x in
                0.5 * x * (1 + VectorMath.erf(x * 0.70710678118654752))
            }
        }
        return out.recording("gelu", [self]) { g in
            // d/dx = Φ(x) + x · φ(x), φ the standard normal density.
            let gx = Tensor(uninitializedShape: self.shape)
            let pg = g.data, pgx = gx.data, px = self.data
            let native = NativeKernels.avx2
            Parallel.forEachChunk(self.count, grain: 8192) { r in
                if native { return zoo_gelu_backward_avx2(px + r.lowerBound, pg + r.lowerBound, pgx + r.lowerBound, r.count) }
                VectorMath.map(px + r.lowerBound, pg + r.lowerBound, pgx + r.lowerBound, count: r.count) { x, g in
                    let cdf = 0.5 * (1 + VectorMath.erf(x * 0.70710678118654752))
                    let pdf = 0.39894228040143268 * VectorMath.exp(-0.5 * x * x)
                    return g * (cdf + x * pdf)
                }
            }
            return [gx]
        }
    }

    /// Softmax over the last dimension (max-subtracted for stability).
    public func softmax() -> Tensor {
        let d = shape.last ?? 1
        let rows = count / max(d, 1)
        let out = Tensor(uninitializedShape: shape)
        Tensor.softmaxRows(data, into: out.data, rows: rows, cols: d)
        let y = out.detached()
        return out.recording("softmax", [self]) { g in
            let gx = Tensor(uninitializedShape: y.shape)
            Tensor.softmaxBackwardRows(y: y.data, g: g.data, into: gx.data, rows: rows, cols: d)
            return [gx]
        }
    }

    static func softmaxRows(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
        Parallel.forEachChunk(rows, grain: max(1, 8192 / max(cols, 1))) { r in
            for i in r { softmaxRow(x + i * cols, y + i * cols, cols) }
        }
    }

    /// One row of softmax, 8 lanes at a time (max, exp and sum, scale): with libm's scalar `expf` and
    /// serial sums this was about 6 % of a ViT-B forward pass (every row of every attention map).
    @inline(__always)
    static func softmaxRow(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        if NativeKernels.avx2 { return zoo_softmax_row_avx2(x, y, n) }
        let m = VectorRows.maximum(x, n)
        let mv = VectorMath.Vector(repeating: m)
        var acc = VectorMath.Vector(), i = 0
        while i + 8 <= n {
            let e = VectorMath.exp(VectorRows.load(x + i) - mv)
            VectorRows.store(e, y + i)
            acc += e
            i += 8
        }
        var s = acc.sum()
        while i < n { let e = expf(x[i] - m); y[i] = e; s += e; i += 1 }
        let inv = 1 / s
        let iv = VectorMath.Vector(repeating: inv)
        i = 0
        while i + 8 <= n { VectorRows.store(VectorRows.load(y + i) * iv, y + i); i += 8 }
        while i < n { y[i] *= inv; i += 1 }
    }

    /// dx = y ∘ (g − Σ g∘y), row by row.
    static func softmaxBackwardRows(y: UnsafePointer<Float>, g: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
        Parallel.forEachChunk(rows, grain: max(1, 8192 / max(cols, 1))) { r in
            for i in r { softmaxBackwardRow(y + i * cols, g + i * cols, dx + i * cols, cols) }
        }
    }

    @inline(__always)
    static func softmaxBackwardRow(_ y: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ n: Int) {
        if NativeKernels.avx2 { return zoo_softmax_backward_row_avx2(y, g, dx, n) }
        let dot = VectorRows.dot(g, y, n)
        let dv = VectorMath.Vector(repeating: dot)
        var i = 0
        while i + 8 <= n { VectorRows.store(VectorRows.load(y + i) * (VectorRows.load(g + i) - dv), dx + i); i += 8 }
        while i < n { dx[i] = y[i] * (g[i] - dot); i += 1 }
    }

    /// Forward: identity. Backward: the gradient times −λ (the gradient reversal layer of DANN, used by
    /// IAT so the encoder unlearns what the identity head learns).
    public func gradientReversed(lambda: Float) -> Tensor {
        let out = Tensor(storage: storage, offset: offset, shape: shape)
        return out.recording("grad_reverse", [self]) { g in [g * (-lambda)] }
    }
}
