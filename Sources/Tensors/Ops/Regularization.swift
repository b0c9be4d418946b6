import Foundation

extension Tensor {
    /// Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1 − p).
    public func dropout(_ p: Float, generator: Generator) -> Tensor {
        precondition(p >= 0 && p < 1, "dropout probability \(p) outside [0, 1)")
        if p == 0 { return self }
        let keep = 1 - p
        let mask = Tensor(uninitializedShape: shape)
        let pm = mask.data
        for i in 0..<count { pm[i] = generator.uniform() < Double(keep) ? 1 / keep : 0 }
        return self * mask
    }

    /// Stochastic depth (timm's drop_path): drops the whole residual branch of a sample with
    /// probability p, scaling kept samples by 1/(1 − p). The mask is per sample along dimension 0.
    public func dropPath(_ p: Float, generator: Generator) -> Tensor {
        precondition(p >= 0 && p < 1, "drop-path probability \(p) outside [0, 1)")
        if p == 0 { return self }
        let keep = 1 - p
        var maskShape = [Int](repeating: 1, count: rank)
        maskShape[0] = shape[0]
        let mask = Tensor(uninitializedShape: maskShape)
        for i in 0..<shape[0] { mask.data[i] = generator.uniform() < Double(keep) ? 1 / keep : 0 }
        return self * mask
    }
}
