import Foundation

extension Tensor {
    /// Batch normalisation over channel dimension 1, as torch.nn.functional.batch_norm: x [N, C, *].
    ///
    /// Evaluation (`training` false) normalises with the running statistics. Training normalises with the
    /// batch's mean and biased variance and, when running statistics are given, moves them towards the
    /// batch's: r ← (1 − momentum)·r + momentum·b, with the variance unbiased (n / (n − 1)) as PyTorch does
    /// (Keras moves its moving variance with the biased one: `unbiasedRunningVariance` false). The running
    /// tensors are replaced (`assign`), never written in place, so storage they share is left alone.
    /// Statistics are summed in double precision.
    public static func batchNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, runningMean: Tensor?, runningVariance: Tensor?,
                                 training: Bool, momentum: Float = 0.1, eps: Float = 1e-5,
                                 unbiasedRunningVariance: Bool = true) -> Tensor {
        precondition(x.rank >= 2, "batch_norm: input \(x.shape) has no channel dimension")
        let n = x.shape[0], c = x.shape[1]
        let spatial = x.count / max(n * c, 1), m = n * spatial
        for (name, t) in [("weight", weight), ("bias", bias), ("running_mean", runningMean), ("running_var", runningVariance)] {
            if let t { precondition(t.shape == [c], "batch_norm: \(name) \(t.shape) for \(c) channels") }
        }
        let px = x.data
        // Per channel: the mean subtracted and 1/√(var + ε).
        var mean = [Float](repeating: 0, count: c), inverseStd = [Float](repeating: 0, count: c)
        if training {
            precondition(m > 1, "batch_norm: training needs more than one value per channel, input \(x.shape)")
            var variance = [Float](repeating: 0, count: c)
            mean.withUnsafeMutableBufferPointer { pm in
                variance.withUnsafeMutableBufferPointer { pv in
                    Parallel.forEachChunk(c, grain: max(1, 32768 / max(m, 1))) { r in
                        for ch in r {
                            var s: Double = 0
                            for i in 0..<n { let row = px + (i * c + ch) * spatial; for j in 0..<spatial { s += Double(row[j]) } }
                            let mu = s / Double(m)
                            var q: Double = 0
                            for i in 0..<n {
                                let row = px + (i * c + ch) * spatial
                                for j in 0..<spatial { let d = Double(row[j]) - mu; q += d * d }
                            }
                            pm[ch] = Float(mu)
                            pv[ch] = Float(q / Double(m))
                        }
                    }
                }
            }
            for ch in 0..<c { inverseStd[ch] = 1 / (variance[ch] + eps).squareRoot() }
            if let runningMean, let runningVariance {
                let correction = unbiasedRunningVariance ? Float(m) / Float(m - 1) : 1
                let newMean = Tensor(uninitializedShape: [c]), newVariance = Tensor(uninitializedShape: [c])
                for ch in 0..<c {
                    newMean.data[ch] = (1 - momentum) * runningMean.data[ch] + momentum * mean[ch]
                    newVariance.data[ch] = (1 - momentum) * runningVariance.data[ch] + momentum * variance[ch] * correction
                }
                runningMean.assign(newMean)
                runningVariance.assign(newVariance)
            }
        } else {
            guard let runningMean, let runningVariance else { preconditionFailure("batch_norm: evaluation needs running statistics") }
            for ch in 0..<c {
                mean[ch] = runningMean.data[ch]
                inverseStd[ch] = 1 / (runningVariance.data[ch] + eps).squareRoot()
            }
        }
        // y = x·scale + shift per channel, scale = γ/σ, shift = β − μ·γ/σ.
        var scale = [Float](repeating: 0, count: c), shift = [Float](repeating: 0, count: c)
        for ch in 0..<c {
            scale[ch] = inverseStd[ch] * (weight?.data[ch] ?? 1)
            shift[ch] = (bias?.data[ch] ?? 0) - mean[ch] * scale[ch]
        }
        let out = Tensor(uninitializedShape: x.shape)
        let py = out.data
        Parallel.forEachChunk(n * c, grain: max(1, 16384 / max(spatial, 1))) { r in
            for row in r {
                let a = scale[row % c], b = shift[row % c]
                let src = px + row * spatial, dst = py + row * spatial
                for j in 0..<spatial { dst[j] = src[j] * a + b }
            }
        }
        var inputs = [x]
        if let weight { inputs.append(weight) }
        if let bias { inputs.append(bias) }
        return out.recording("batch_norm", inputs) { g in
            let pg = g.data
            // Per channel: Σ g and Σ g·x̂, x̂ = (x − μ)/σ.
            var sumG = [Float](repeating: 0, count: c), sumGX = [Float](repeating: 0, count: c)
            sumG.withUnsafeMutableBufferPointer { sg in
                sumGX.withUnsafeMutableBufferPointer { sgx in
                    Parallel.forEachChunk(c, grain: max(1, 32768 / max(m, 1))) { r in
                        for ch in r {
                            var s: Double = 0, sx: Double = 0
                            let mu = mean[ch], inv = inverseStd[ch]
                            for i in 0..<n {
                                let gr = pg + (i * c + ch) * spatial, xr = px + (i * c + ch) * spatial
                                for j in 0..<spatial {
                                    s += Double(gr[j])
                                    sx += Double(gr[j]) * Double((xr[j] - mu) * inv)
                                }
                            }
                            sg[ch] = Float(s)
                            sgx[ch] = Float(sx)
                        }
                    }
                }
            }
            var gx: Tensor?, gw: Tensor?, gb: Tensor?
            if x.requiresGrad {
                let t = Tensor(uninitializedShape: x.shape)
                let pgx = t.data
                Parallel.forEachChunk(n * c, grain: max(1, 16384 / max(spatial, 1))) { r in
                    for row in r {
                        let ch = row % c
                        let src = px + row * spatial, gr = pg + row * spatial, dst = pgx + row * spatial
                        if training {
                            // dx = γ/σ · (g − Σg/m − x̂·Σ(g·x̂)/m): the batch statistics depend on x too.
                            let mu = mean[ch], inv = inverseStd[ch], a = scale[ch]
                            let meanG = sumG[ch] / Float(m), meanGX = sumGX[ch] / Float(m)
                            for j in 0..<spatial { dst[j] = a * (gr[j] - meanG - (src[j] - mu) * inv * meanGX) }
                        } else {
                            let a = scale[ch]
                            for j in 0..<spatial { dst[j] = gr[j] * a }
                        }
                    }
                }
                gx = t
            }
            if let weight, weight.requiresGrad { gw = Tensor(sumGX, shape: [c]) }
            if let bias, bias.requiresGrad { gb = Tensor(sumG, shape: [c]) }
            var grads: [Tensor?] = [gx]
            if weight != nil { grads.append(gw) }
            if bias != nil { grads.append(gb) }
            return grads
        }
    }
}
