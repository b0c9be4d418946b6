/// A row-major walk over the elements of `shape` that keeps the matching offset into a strided layout up
/// to date: one add per step, instead of recomputing Σ index·stride. Shared by strided copies, reductions
/// over arbitrary dimensions and checkpoint views.
public struct StridedCursor {
    public let shape: [Int]
    public let strides: [Int]
    /// Offset of the current element: Σ index[d] · strides[d] (plus the starting offset).
    public private(set) var offset: Int
    private var index: [Int]

    /// Starts at row-major position `position` (0 = the first element), `base` added to every offset.
    public init(shape: [Int], strides: [Int], position: Int = 0, base: Int = 0) {
        precondition(shape.count == strides.count, "shape \(shape) and strides \(strides) differ in rank")
        self.shape = shape
        self.strides = strides
        index = [Int](repeating: 0, count: shape.count)
        offset = base
        var rest = position
        for d in stride(from: shape.count - 1, through: 0, by: -1) where shape[d] > 0 {
            index[d] = rest % shape[d]
            rest /= shape[d]
            offset += index[d] * strides[d]
        }
    }

    /// Moves to the next element in row-major order (past the last one it wraps to the first).
    @inline(__always)
    public mutating func advance() {
        var d = shape.count - 1
        while d >= 0 {
            index[d] += 1
            offset += strides[d]
            if index[d] < shape[d] { return }
            offset -= strides[d] * shape[d]
            index[d] = 0
            d -= 1
        }
    }
}
