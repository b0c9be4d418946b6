import Foundation

extension Tensor {
    /// Dimensions `startDim…endDim` merged into one, as torch.flatten (a view; negative dims count from
    /// the end). nn.Flatten's defaults, 1 and −1, turn [N, C, H, W] into [N, C·H·W].
    public func flattened(startDim: Int = 1, endDim: Int = -1) -> Tensor {
        let start = axis(startDim), end = axis(endDim)
        precondition(start <= end, "flatten: start dimension \(startDim) is after end dimension \(endDim) for shape \(shape)")
        let merged = shape[start...end].reduce(1, *)
        return reshaped(Array(shape[..<start]) + [merged] + Array(shape[(end + 1)...]))
    }
}
