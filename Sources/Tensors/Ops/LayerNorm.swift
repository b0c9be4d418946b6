import Foundation

extension Tensor {
    /// Layer normalisation over the last dimension, fused forward and backward.
    /// x [..., D], weight/bias [D]: y = (x − mean) / sqrt(var + eps) · weight + bias, var biased (as PyTorch).
    public static func layerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float) -> Tensor {
        let d = x.shape.last ?? 1
        let rows = x.count / max(d, 1)
        let out = Tensor(uninitializedShape: x.shape)
        // Per-row mean and 1/std, saved for backward.
        let stats = Tensor(uninitializedShape: [rows, 2])
        let px = x.data, py = out.data, ps = stats.data
        let pw = weight?.data, pb = bias?.data
        Parallel.forEachChunk(rows, grain: max(1, 16384 / max(d, 1))) { r in
            for i in r {
                let row = px + i * d, dst = py + i * d
                // Reductions 8 lanes at a time (`VectorRows`): serial float sums cannot be vectorised.
                let mean = VectorRows.sum(row, d) / Float(d)
                let sq = VectorRows.sumOfSquares(row, centre: mean, d)
                let rstd = 1 / (sq / Float(d) + eps).squareRoot()
                ps[2 * i] = mean
                ps[2 * i + 1] = rstd
                if let pw, let pb {
                    for j in 0..<d { dst[j] = (row[j] - mean) * rstd * pw[j] + pb[j] }
                } else {
                    for j in 0..<d { dst[j] = (row[j] - mean) * rstd }
                }
            }
        }
        var inputs = [x]
        if let weight { inputs.append(weight) }
        if let bias { inputs.append(bias) }
        return out.recording("layer_norm", inputs) { g in
            // x̂ = (x − μ)·r;  dx = r · (g·w − mean(g·w) − x̂ · mean(g·w·x̂));  dw = Σ g·x̂;  db = Σ g.
            let gx = Tensor(uninitializedShape: x.shape)
            let pg = g.data, pgx = gx.data, ps = stats.data  // `stats` is kept alive by this closure
            let wantParams = weight?.requiresGrad == true || bias?.requiresGrad == true
            let ones = weight == nil ? Tensor(repeating: 1, shape: [d]) : nil
            let pwv = weight?.data ?? ones!.data
            let workers = min(Parallel.width, max(1, rows / 8))
            // Per-worker partial sums for dw and db, added at the end.
            let partial = Tensor(zeros: [workers, 2, d])
            let pp = partial.data
            Parallel.perform(workers) { w in
                let dwAcc = pp + w * 2 * d, dbAcc = dwAcc + d
                for i in (rows * w / workers)..<(rows * (w + 1) / workers) {
                    let row = px + i * d, grow = pg + i * d, dst = pgx + i * d
                    let mean = ps[2 * i], rstd = ps[2 * i + 1]
                    // 8 lanes at a time for the two row sums (serial float sums do not vectorise), then
                    // the scalar loop for the last d mod 8 columns.
                    typealias V = VectorMath.Vector
                    let mv = V(repeating: mean), rv = V(repeating: rstd)
                    var accG = V(), accGX = V(), j0 = 0
                    while j0 + 8 <= d {
                        let xhat = (VectorRows.load(row + j0) - mv) * rv
                        let gr = VectorRows.load(grow + j0)
                        let gw = gr * VectorRows.load(pwv + j0)
                        accG += gw
                        accGX += gw * xhat
                        if wantParams {
                            VectorRows.store(VectorRows.load(dwAcc + j0) + gr * xhat, dwAcc + j0)
                            VectorRows.store(VectorRows.load(dbAcc + j0) + gr, dbAcc + j0)
                        }
                        j0 += 8
                    }
                    var sumG = accG.sum(), sumGX = accGX.sum()
                    for j in j0..<d {
                        let xhat = (row[j] - mean) * rstd
                        let gw = grow[j] * pwv[j]
                        sumG += gw
                        sumGX += gw * xhat
                        if wantParams {
                            dwAcc[j] += grow[j] * xhat
                            dbAcc[j] += grow[j]
                        }
                    }
                    let meanG = sumG / Float(d), meanGX = sumGX / Float(d)
                    for j in 0..<d {
                        let xhat = (row[j] - mean) * rstd
                        dst[j] = rstd * (grow[j] * pwv[j] - meanG - xhat * meanGX)
                    }
                }
            }
            var grads: [Tensor?] = [x.requiresGrad ? gx : nil]
            if weight != nil || bias != nil {
                let sums = Tensor(uninitializedShape: [2, d])
                Kernels.sumRows(pp, rows: workers, cols: 2 * d, into: sums.data)
                if let weight { grads.append(weight.requiresGrad ? sums.sliced(dim: 0, 0..<1).reshaped([d]) : nil) }
                if let bias { grads.append(bias.requiresGrad ? sums.sliced(dim: 0, 1..<2).reshaped([d]) : nil) }
            }
            return grads
        }
    }
}
