import Tensors

extension Generator {
    /// Fisher–Yates in place, the one shuffle the tasks use (the same order for the same generator state).
    public func shuffle<T>(_ values: inout [T]) {
        for i in stride(from: values.count - 1, to: 0, by: -1) { values.swapAt(i, below(i + 1)) }
    }
}
