import Foundation

/// NumPy broadcasting: shapes align on the right; a dimension of 1 (or a missing one) stretches.
public enum Broadcast {
    public static func shape(_ a: [Int], _ b: [Int]) -> [Int] {
        let rank = max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            precondition(da == db || da == 1 || db == 1, "shapes \(a) and \(b) do not broadcast")
            out[i] = da == 1 ? db : da
        }
        return out
    }

    /// Strides that read a tensor of `shape` as if it had `target`'s shape (0 where it is stretched).
    static func strides(of shape: [Int], broadcastTo target: [Int]) -> [Int] {
        let own = Tensor.contiguousStrides(shape)
        let pad = target.count - shape.count
        return (0..<target.count).map { i in
            i < pad || shape[i - pad] == 1 ? 0 : own[i - pad]
        }
    }

    /// How `small` repeats inside `big` when it is a trailing block: big = outer × small.count with
    /// small's shape equal to big's last dims (after dropping small's leading 1s). nil otherwise.
    static func trailingRepeat(_ small: [Int], in big: [Int]) -> Int? {
        var s = small[...]
        while let first = s.first, first == 1, s.count > 0 { s = s.dropFirst() }
        guard s.count <= big.count, Array(big.suffix(s.count)) == Array(s) else { return nil }
        return big.dropLast(s.count).reduce(1, *)
    }
}

extension Tensor {
    /// Sums a broadcast gradient back to `shape` (the inverse of broadcasting).
    public func sumToShape(_ target: [Int]) -> Tensor {
        if shape == target { return self }
        let pad = rank - target.count
        precondition(pad >= 0, "cannot reduce \(shape) to \(target)")
        var dims: [Int] = Array(0..<pad)
        for i in 0..<target.count where target[i] == 1 && shape[i + pad] != 1 { dims.append(i + pad) }
        let reduced = sum(dims: dims, keepDims: true)
        return reduced.reshaped(target)
    }

    /// This tensor stretched to `target` (PyTorch's expand, materialised).
    public func expanded(to target: [Int]) -> Tensor {
        if shape == target { return self }
        precondition(Broadcast.shape(shape, target) == target, "cannot expand \(shape) to \(target)")
        let out = Tensor(uninitializedShape: target)
        Tensor.stridedCopy(from: data, strides: Broadcast.strides(of: shape, broadcastTo: target),
                           to: out.data, shape: target)
        let sourceShape = shape
        return out.recording("expand", [self]) { g in [g.sumToShape(sourceShape)] }
    }

    /// Writes `shape`'s elements in row-major order, reading the source through `strides`.
    static func stridedCopy(from src: UnsafePointer<Float>, strides: [Int], to dst: UnsafeMutablePointer<Float>, shape: [Int]) {
        let rank = shape.count
        let total = shape.reduce(1, *)
        if total == 0 { return }
        if rank == 0 { dst[0] = src[0]; return }
        let inner = shape[rank - 1], innerStride = strides[rank - 1]
        let outerCount = total / max(inner, 1)
        // Each outer index is independent: split them across workers.
        Parallel.forEachChunk(outerCount, grain: max(1, 32768 / max(inner, 1))) { range in
            var cursor = StridedCursor(shape: Array(shape.dropLast()), strides: Array(strides.dropLast()), position: range.lowerBound)
            for outer in range {
                let base = cursor.offset
                let out = dst + outer * inner
                if innerStride == 1 {
                    out.update(from: src + base, count: inner)
                } else {
                    for j in 0..<inner { out[j] = src[base + j * innerStride] }
                }
                cursor.advance()
            }
        }
    }
}
