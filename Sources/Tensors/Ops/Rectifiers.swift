import Foundation

extension Tensor {
    /// max(x, 0), as torch.relu (the gradient at 0 is 0).
    public func relu() -> Tensor {
        let out = Tensor(uninitializedShape: shape)
        let px = data, py = out.data
        Parallel.forEachChunk(count, grain: 1 << 15) { r in
            for i in r { py[i] = px[i] > 0 ? px[i] : 0 }
        }
        return out.recording("relu", [self]) { g in
            let gx = Tensor(uninitializedShape: self.shape)
            let pg = g.data, pgx = gx.data
            Parallel.forEachChunk(self.count, grain: 1 << 15) { r in
                for i in r { pgx[i] = px[i] > 0 ? pg[i] : 0 }
            }
            return [gx]
        }
    }

    /// x where x > 0, else a·x, as torch.nn.functional.prelu: `weight` holds one slope for all
    /// channels ([1]) or one per channel ([C], channel dimension 1 of x [N, C, *]).
    public static func prelu(_ x: Tensor, weight: Tensor) -> Tensor {
        let channels = x.rank >= 2 ? x.shape[1] : 1
        precondition(weight.shape == [1] || (weight.shape == [channels] && x.rank >= 2),
                     "prelu: weight \(weight.shape) for input \(x.shape): expected [1] or [channels]")
        let shared = weight.count == 1
        // Runs of `inner` elements share one slope: x viewed as [outer, C, inner].
        let inner = x.rank >= 2 ? x.shape[2...].reduce(1, *) : 1
        let rows = x.count / max(inner, 1)
        let out = Tensor(uninitializedShape: x.shape)
        let px = x.data, pw = weight.data, py = out.data
        Parallel.forEachChunk(rows, grain: max(1, 16384 / max(inner, 1))) { r in
            for row in r {
                let a = pw[shared ? 0 : row % channels]
                let src = px + row * inner, dst = py + row * inner
                for j in 0..<inner { dst[j] = src[j] > 0 ? src[j] : a * src[j] }
            }
        }
        return out.recording("prelu", [x, weight]) { g in
            let pg = g.data
            var gx: Tensor?, gw: Tensor?
            if x.requiresGrad {
                let t = Tensor(uninitializedShape: x.shape)
                let pgx = t.data
                Parallel.forEachChunk(rows, grain: max(1, 16384 / max(inner, 1))) { r in
                    for row in r {
                        let a = pw[shared ? 0 : row % channels]
                        let src = px + row * inner, gr = pg + row * inner, dst = pgx + row * inner
                        for j in 0..<inner { dst[j] = src[j] > 0 ? gr[j] : a * gr[j] }
                    }
                }
                gx = t
            }
            if weight.requiresGrad {
                // d/da = Σ g·x over the elements at or below zero that share the slope.
                var sums = [Double](repeating: 0, count: weight.count)
                for row in 0..<rows {
                    let src = px + row * inner, gr = pg + row * inner
                    var s: Double = 0
                    for j in 0..<inner where !(src[j] > 0) { s += Double(gr[j]) * Double(src[j]) }
                    sums[shared ? 0 : row % channels] += s
                }
                gw = Tensor(sums.map { Float($0) }, shape: weight.shape)
            }
            return [gx, gw]
        }
    }
}
