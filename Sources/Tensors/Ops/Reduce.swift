import Foundation

extension Tensor {
    /// Sum over `dims` (all when empty), keeping them as size 1 when `keepDims`.
    public func sum(dims: [Int] = [], keepDims: Bool = false) -> Tensor {
        let reduce = Set(dims.isEmpty ? Array(0..<rank) : dims.map(axis))
        var keptShape = shape
        for d in reduce { keptShape[d] = 1 }
        let out = Tensor(zeros: keptShape)
        Tensor.sumKernel(data, shape: shape, reduce: reduce, into: out.data)
        let finalShape = keepDims ? keptShape : shape.enumerated().filter { !reduce.contains($0.offset) }.map(\.element)
        let source = shape
        return Tensor(storage: out.storage, shape: finalShape)
            .recording("sum", [self]) { g in [g.reshaped(keptShape).expanded(to: source)] }
    }

    public func mean(dims: [Int] = [], keepDims: Bool = false) -> Tensor {
        let reduce = dims.isEmpty ? Array(0..<rank) : dims.map(axis)
        let n = Set(reduce).map { shape[$0] }.reduce(1, *)
        return sum(dims: reduce, keepDims: keepDims) * (1 / Float(max(n, 1)))
    }

    /// Adds `src` (of `shape`) into `out` (zeroed, `shape` with the reduced dims at 1). Runs of adjacent
    /// reduced and kept dimensions are merged first, so the common cases are flat loops.
    static func sumKernel(_ src: UnsafePointer<Float>, shape: [Int], reduce: Set<Int>, into out: UnsafeMutablePointer<Float>) {
        // Merge adjacent dims of the same kind: [(size, reduced)].
        var groups: [(size: Int, reduced: Bool)] = []
        for (d, size) in shape.enumerated() where size != 1 {
            let r = reduce.contains(d)
            if let last = groups.last, last.reduced == r { groups[groups.count - 1].size *= size } else { groups.append((size, r)) }
        }
        let total = shape.reduce(1, *)
        if total == 0 { return }
        switch groups.count {
        case 0:
            out[0] = src[0]
        case 1 where groups[0].reduced:
            var acc: Double = 0
            for i in 0..<total { acc += Double(src[i]) }
            out[0] = Float(acc)
        case 1:
            out.update(from: src, count: total)
        case 2 where groups[0].reduced:  // [R, K]: sum of rows
            Kernels.sumRows(src, rows: groups[0].size, cols: groups[1].size, into: out)
        case 2:  // [K, R]: sum within each row
            let rows = groups[0].size, cols = groups[1].size
            Parallel.forEachChunk(rows, grain: max(1, 16384 / cols)) { r in
                for i in r {
                    var acc: Float = 0
                    let row = src + i * cols
                    for j in 0..<cols { acc += row[j] }
                    out[i] = acc
                }
            }
        case 3 where !groups[0].reduced:  // [K, R, K2]
            let outer = groups[0].size, mid = groups[1].size, inner = groups[2].size
            Parallel.forEachChunk(outer, grain: 1) { r in
                for o in r {
                    let dst = out + o * inner
                    for m in 0..<mid {
                        let row = src + (o * mid + m) * inner
                        for j in 0..<inner { dst[j] += row[j] }
                    }
                }
            }
        default:
            // Odometer over the input; out index from strides that are 0 on reduced dims.
            var outStrides = [Int](repeating: 0, count: shape.count)
            var s = 1
            for d in stride(from: shape.count - 1, through: 0, by: -1) where !reduce.contains(d) {
                outStrides[d] = s
                s *= shape[d]
            }
            var cursor = StridedCursor(shape: shape, strides: outStrides)
            for i in 0..<total {
                out[cursor.offset] += src[i]
                cursor.advance()
            }
        }
    }
}
