import Foundation

extension Tensor {
    /// Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1 − p).
    public func dropout(_ p: Float, generator: Generator) -> Tensor {
        precondition(p >= 0 && p < 1, "dropout probability \(p) outside [0, 1)")
        if p == 0 { return self }
        let keep = 1 - p
        let mask = Tensor(uninitializedShape: shape)
        let pm = mask.data
        // Batch-major: this process's elements are its share's contiguous run of the global batch's.
        let share = generator.batchShare, mine = share.index * count
        for j in 0..<(count * share.count) {
            let kept = generator.uniform() < Double(keep)
            if j >= mine && j < mine + count { pm[j - mine] = kept ? 1 / keep : 0 }
        }
        return self * mask
    }

    /// Stochastic depth (timm's drop_path): drops the whole residual branch of a sample with
    /// probability p, scaling kept samples by 1/(1 − p). The mask is per sample along dimension 0, and
    /// under data parallelism follows the sample's place in the global batch (`Generator.batchShare`).
    public func dropPath(_ p: Float, generator: Generator) -> Tensor {
        precondition(p >= 0 && p < 1, "drop-path probability \(p) outside [0, 1)")
        if p == 0 { return self }
        let keep = 1 - p
        var maskShape = [Int](repeating: 1, count: rank)
        maskShape[0] = shape[0]
        let mask = Tensor(uninitializedShape: maskShape)
        // One draw per sample of the global batch (Generator.batchShare); this process keeps its own.
        let n = shape[0], share = generator.batchShare, mine = share.index * n
        for j in 0..<(n * share.count) {
            let kept = generator.uniform() < Double(keep)
            if j >= mine && j < mine + n { mask.data[j - mine] = kept ? 1 / keep : 0 }
        }
        return self * mask
    }
}
