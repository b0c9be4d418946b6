import Foundation

extension Tensor {
    /// Same elements, new shape (a view: storage is shared). One dimension may be -1.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var resolved = newShape
        if let hole = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != hole }.map(\.element).reduce(1, *)
            precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
            resolved[hole] = count / known
        }
        precondition(resolved.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        if resolved == shape { return self }
        let out = Tensor(storage: storage, offset: offset, shape: resolved)
        let source = shape
        return out.recording("reshape", [self]) { g in [g.reshaped(source)] }
    }

    /// Dimensions reordered: output dim i is input dim `order[i]` (a copy).
    public func permuted(_ order: [Int]) -> Tensor {
        precondition(order.sorted() == Array(0..<rank), "permutation \(order) for rank \(rank)")
        if order == Array(0..<rank) { return self }
        let outShape = order.map { shape[$0] }
        let inStrides = strides
        let out = Tensor(uninitializedShape: outShape)
        Tensor.stridedCopy(from: data, strides: order.map { inStrides[$0] }, to: out.data, shape: outShape)
        var inverse = [Int](repeating: 0, count: rank)
        for (i, o) in order.enumerated() { inverse[o] = i }
        return out.recording("permute", [self]) { g in [g.permuted(inverse)] }
    }

    public func transposed(_ d0: Int, _ d1: Int) -> Tensor {
        var order = Array(0..<rank)
        order.swapAt(axis(d0), axis(d1))
        return permuted(order)
    }

    /// Joins tensors along `dim`; all other dimensions must agree.
    public static func concat(_ tensors: [Tensor], dim: Int) -> Tensor {
        precondition(!tensors.isEmpty, "concat of no tensors")
        let first = tensors[0]
        let d = first.axis(dim)
        for t in tensors {
            precondition(t.rank == first.rank && (0..<first.rank).allSatisfy { $0 == d || t.shape[$0] == first.shape[$0] },
                         "concat along \(dim): shapes \(tensors.map(\.shape)) differ off that dimension")
        }
        var outShape = first.shape
        outShape[d] = tensors.map { $0.shape[d] }.reduce(0, +)
        let outer = first.shape[..<d].reduce(1, *)
        let inner = first.shape[(d + 1)...].reduce(1, *)
        let out = Tensor(uninitializedShape: outShape)
        let rowLength = outShape[d] * inner
        var start = 0
        for t in tensors {
            let block = t.shape[d] * inner
            let src = t.data
            for o in 0..<outer {
                (out.data + o * rowLength + start).update(from: src + o * block, count: block)
            }
            start += block
        }
        let sizes = tensors.map { $0.shape[d] }
        return out.recording("concat", tensors) { g in
            var offset = 0
            return sizes.map { size in
                defer { offset += size }
                return g.sliced(dim: d, offset..<(offset + size))
            }
        }
    }

    /// Elements `range` along `dim` (a copy).
    public func sliced(dim: Int, _ range: Range<Int>) -> Tensor {
        let d = axis(dim)
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[d], "slice \(range) of dimension \(d) (size \(shape[d]))")
        var outShape = shape
        outShape[d] = range.count
        let outer = shape[..<d].reduce(1, *)
        let inner = shape[(d + 1)...].reduce(1, *)
        let out = Tensor(uninitializedShape: outShape)
        let block = range.count * inner, rowLength = shape[d] * inner
        for o in 0..<outer {
            (out.data + o * block).update(from: data + o * rowLength + range.lowerBound * inner, count: block)
        }
        let source = shape
        return out.recording("slice", [self]) { g in
            let gx = Tensor(zeros: source)
            for o in 0..<outer {
                (gx.data + o * rowLength + range.lowerBound * inner).update(from: g.data + o * block, count: block)
            }
            return [gx]
        }
    }

    /// Picks entries along `dim` by index, as torch.gather with the index repeated over the trailing
    /// dimensions: `indices` has shape `shape[..<dim] + [K]`, the result `shape[..<dim] + [K] + shape[(dim+1)...]`.
    /// (MAE keeps tokens with this, and unshuffles them with it.)
    public func gathered(dim: Int, indices: IndexTensor) -> Tensor {
        let d = axis(dim)
        precondition(indices.shape.count == d + 1 && Array(indices.shape[..<d]) == Array(shape[..<d]),
                     "gather along \(d): indices shape \(indices.shape) does not fit tensor shape \(shape)")
        let k = indices.shape[d]
        let outer = shape[..<d].reduce(1, *)
        let inner = shape[(d + 1)...].reduce(1, *)
        let size = shape[d]
        for i in indices.values { precondition(i >= 0 && i < size, "gather index \(i) out of range 0..<\(size)") }
        var outShape = shape
        outShape[d] = k
        let out = Tensor(uninitializedShape: outShape)
        let src = data, dst = out.data
        indices.values.withUnsafeBufferPointer { idx in
            Parallel.forEachChunk(outer * k, grain: max(1, 8192 / max(inner, 1))) { r in
                for ok in r {
                    let o = ok / k
                    (dst + ok * inner).update(from: src + (o * size + idx[ok]) * inner, count: inner)
                }
            }
        }
        let source = shape
        return out.recording("gather", [self]) { g in
            // Scatter-add: an index that appears twice receives both gradients.
            let gx = Tensor(zeros: source)
            let gs = g.data, gd = gx.data
            indices.values.withUnsafeBufferPointer { idx in
                for ok in 0..<(outer * k) {
                    let o = ok / k
                    let target = gd + (o * size + idx[ok]) * inner, from = gs + ok * inner
                    for j in 0..<inner { target[j] += from[j] }
                }
            }
            return [gx]
        }
    }
}
