import Foundation

extension Tensor {
    /// Mean softmax cross-entropy of logits [B, C] against class indices, with label smoothing ε
    /// (target (1 − ε)·onehot + ε/C, as torch.nn.CrossEntropyLoss(label_smoothing=ε)).
    public static func crossEntropy(logits: Tensor, targets: [Int], labelSmoothing: Float = 0) -> Tensor {
        precondition(logits.rank == 2 && logits.shape[0] == targets.count,
                     "cross-entropy: logits \(logits.shape) for \(targets.count) targets")
        let b = logits.shape[0], c = logits.shape[1]
        for t in targets { precondition(t >= 0 && t < c, "cross-entropy: class \(t) out of range 0..<\(c)") }
        let probs = Tensor(uninitializedShape: logits.shape)
        softmaxRows(logits.data, into: probs.data, rows: b, cols: c)
        var total: Double = 0
        let pl = logits.data
        for i in 0..<b {
            let row = pl + i * c
            var m = -Float.infinity
            for j in 0..<c { m = max(m, row[j]) }
            var s: Double = 0
            for j in 0..<c { s += Double(expf(row[j] - m)) }
            let logSum = Double(m) + Foundation.log(s)
            // −Σ q_j log p_j with q = (1−ε)·onehot + ε/C
            var rowLoss = (1 - Double(labelSmoothing)) * (logSum - Double(row[targets[i]]))
            if labelSmoothing > 0 {
                var meanLogP: Double = 0
                for j in 0..<c { meanLogP += Double(row[j]) - logSum }
                rowLoss -= Double(labelSmoothing) * meanLogP / Double(c)
            }
            total += rowLoss
        }
        let out = Tensor(scalar: Float(total / Double(b)))
        return out.recording("cross_entropy", [logits]) { g in
            // d/dlogits = (p − q) / B
            let gx = Tensor(uninitializedShape: logits.shape)
            let scale = g.item / Float(b)
            let pp = probs.data, pgx = gx.data
            for i in 0..<b {
                for j in 0..<c {
                    let q = (j == targets[i] ? 1 - labelSmoothing : 0) + labelSmoothing / Float(c)
                    pgx[i * c + j] = (pp[i * c + j] - q) * scale
                }
            }
            return [gx]
        }
    }

    /// Mean binary cross-entropy on logits, element-wise against targets in [0, 1] of the same shape,
    /// computed stably as max(x, 0) − x·t + log(1 + e^(−|x|)) (torch.nn.BCEWithLogitsLoss).
    public static func binaryCrossEntropyWithLogits(logits: Tensor, targets: Tensor) -> Tensor {
        precondition(logits.shape == targets.shape, "BCE: logits \(logits.shape) vs targets \(targets.shape)")
        let n = logits.count
        let px = logits.data, pt = targets.data
        var total: Double = 0
        for i in 0..<n {
            let x = px[i], t = pt[i]
            total += Double(max(x, 0) - x * t + log1pf(expf(-abs(x))))
        }
        let out = Tensor(scalar: Float(total / Double(max(n, 1))))
        return out.recording("bce_with_logits", [logits, targets]) { g in
            let scale = g.item / Float(n)
            var gl: Tensor?, gt: Tensor?
            if logits.requiresGrad {  // (σ(x) − t) / n
                let t = Tensor(uninitializedShape: logits.shape)
                for i in 0..<n { t.data[i] = (1 / (1 + expf(-px[i])) - pt[i]) * scale }
                gl = t
            }
            if targets.requiresGrad {  // −x / n
                let t = Tensor(uninitializedShape: targets.shape)
                for i in 0..<n { t.data[i] = -px[i] * scale }
                gt = t
            }
            return [gl, gt]
        }
    }

    /// Mean squared error over all elements.
    public static func meanSquaredError(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "MSE: shapes \(a.shape) and \(b.shape) differ")
        return (a - b).squared().mean()
    }
}
