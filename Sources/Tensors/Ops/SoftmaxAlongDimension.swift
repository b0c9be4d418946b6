import Foundation

extension Tensor {
    /// Softmax along `dim`, as torch.softmax(x, dim) (max-subtracted). The last dimension is the row-wise
    /// `softmax()`; any other is done on the [outer, d, inner] view a whole inner row at a time, so the
    /// loops stay contiguous (MTCNN's P-Net takes it over the channels of [N, 2, H, W]).
    public func softmax(dim: Int) -> Tensor {
        let d = axis(dim)
        if d == rank - 1 || count == 0 { return softmax() }
        let size = shape[d]
        let inner = shape[(d + 1)...].reduce(1, *), outer = shape[..<d].reduce(1, *)
        let out = Tensor(uninitializedShape: shape)
        let px = data, py = out.data
        Parallel.forEachChunk(outer, grain: max(1, 8192 / max(size * inner, 1))) { r in
            let total = UnsafeMutablePointer<Float>.allocate(capacity: max(inner, 1))
            defer { total.deallocate() }
            for o in r {
                let src = px + o * size * inner, dst = py + o * size * inner
                // Column maxima, then e^(x − max) and its column sums, then the division.
                total.update(from: src, count: inner)
                for k in 1..<max(size, 1) { let row = src + k * inner; for j in 0..<inner { total[j] = max(total[j], row[j]) } }
                for k in 0..<size {
                    let row = src + k * inner, y = dst + k * inner
                    for j in 0..<inner { y[j] = expf(row[j] - total[j]) }
                }
                total.update(from: dst, count: inner)
                for k in 1..<max(size, 1) { let y = dst + k * inner; for j in 0..<inner { total[j] += y[j] } }
                for j in 0..<inner { total[j] = 1 / total[j] }
                for k in 0..<size { let y = dst + k * inner; for j in 0..<inner { y[j] *= total[j] } }
            }
        }
        let y = out.detached()
        return out.recording("softmax", [self]) { g in
            // dx = y ∘ (g − Σ_d g∘y), the sum along `dim`.
            let gx = Tensor(uninitializedShape: y.shape)
            let pg = g.data, pgx = gx.data, py = y.data
            Parallel.forEachChunk(outer, grain: max(1, 8192 / max(size * inner, 1))) { r in
                let dot = UnsafeMutablePointer<Float>.allocate(capacity: max(inner, 1))
                defer { dot.deallocate() }
                for o in r {
                    let base = o * size * inner
                    dot.update(repeating: 0, count: inner)
                    for k in 0..<size {
                        let gr = pg + base + k * inner, yr = py + base + k * inner
                        for j in 0..<inner { dot[j] += gr[j] * yr[j] }
                    }
                    for k in 0..<size {
                        let gr = pg + base + k * inner, yr = py + base + k * inner, dx = pgx + base + k * inner
                        for j in 0..<inner { dx[j] = yr[j] * (gr[j] - dot[j]) }
                    }
                }
            }
            return [gx]
        }
    }
}
