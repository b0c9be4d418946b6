import Foundation

extension Tensor {
    /// 2D max pooling, as torch.nn.functional.max_pool2d: x [N, C, H, W] → [N, C, Ho, Wo]. Padding counts as
    /// −∞ (never chosen); `ceilMode` is PyTorch's (MTCNN pools with it). Ties keep the first maximum in
    /// scan order and NaN wins, as PyTorch's CPU kernel. Backward routes each gradient to the input
    /// element chosen in the forward pass (its index is kept).
    public static func maxPool2d(_ x: Tensor, kernel: (Int, Int), stride: (Int, Int)? = nil, padding: Padding2D = .valid,
                                 ceilMode: Bool = false) -> Tensor {
        precondition(x.rank == 4, "max_pool2d: input \(x.shape) is not [N, C, H, W]")
        guard let g = WindowGeometry(inputHeight: x.shape[2], inputWidth: x.shape[3], kernel: kernel, stride: stride ?? kernel,
                                     padding: padding, ceilMode: ceilMode) else {
            preconditionFailure("max_pool2d: a \(kernel.0)×\(kernel.1) window with padding \(padding) does not fit input \(x.shape)")
        }
        let planes = x.shape[0] * x.shape[1]
        let out = Tensor(uninitializedShape: [x.shape[0], x.shape[1], g.outputHeight, g.outputWidth])
        let keep = needsGraph(x)
        // The flat index inside its plane of each output's maximum (−1: a window of padding only).
        let chosen = keep ? UnsafeMutablePointer<Int32>.allocate(capacity: max(out.count, 1)) : nil
        let px = x.data, py = out.data
        Parallel.forEachChunk(planes, grain: max(1, 8192 / max(g.outputPixels * g.kernelHeight * g.kernelWidth, 1))) { r in
            for plane in r {
                let src = px + plane * g.inputPixels, dst = py + plane * g.outputPixels
                for oy in 0..<g.outputHeight {
                    let y0 = oy * g.strideHeight - g.padTop
                    let yRange = max(y0, 0)..<min(y0 + g.kernelHeight, g.inputHeight)
                    for ox in 0..<g.outputWidth {
                        let x0 = ox * g.strideWidth - g.padLeft
                        let xRange = max(x0, 0)..<min(x0 + g.kernelWidth, g.inputWidth)
                        // PyTorch starts from −∞ at the window's first pixel, so an all −∞ window picks it.
                        var best = -Float.infinity
                        var index = yRange.isEmpty || xRange.isEmpty ? -1 : yRange.lowerBound * g.inputWidth + xRange.lowerBound
                        for iy in yRange {
                            for ix in xRange {
                                let v = src[iy * g.inputWidth + ix]
                                if v > best || v.isNaN {
                                    best = v
                                    index = iy * g.inputWidth + ix
                                }
                            }
                        }
                        dst[oy * g.outputWidth + ox] = best
                        chosen?[plane * g.outputPixels + oy * g.outputWidth + ox] = Int32(truncatingIfNeeded: index)
                    }
                }
            }
        }
        guard let chosen else { return out }
        let indices = IndexBuffer(chosen)
        let source = x.shape
        return out.recording("max_pool2d", [x]) { grad in
            let gx = Tensor(zeros: source)
            let pg = grad.data, pgx = gx.data, idx = indices.pointer
            // Windows overlap, so two outputs may pick the same input: planes run in parallel, a plane's
            // outputs one after the other.
            Parallel.forEachChunk(planes, grain: max(1, 8192 / max(g.outputPixels, 1))) { r in
                for plane in r {
                    for k in 0..<g.outputPixels {
                        let i = Int(idx[plane * g.outputPixels + k])
                        if i >= 0 { pgx[plane * g.inputPixels + i] += pg[plane * g.outputPixels + k] }
                    }
                }
            }
            return [gx]
        }
    }

    /// Mean over every dimension after the first two: [N, C, *] → [N, C] (Keras GlobalAveragePooling2D),
    /// or [N, C, 1, …, 1] with `keepDims` (torch's adaptive_avg_pool2d(x, 1)).
    public func globalAveragePooled(keepDims: Bool = false) -> Tensor {
        precondition(rank >= 3, "global average pooling: input \(shape) has no spatial dimensions")
        return mean(dims: Array(2..<rank), keepDims: keepDims)
    }
}

/// Owns the argmax indices a max-pooling backward needs, and frees them with the graph.
final class IndexBuffer {
    let pointer: UnsafeMutablePointer<Int32>
    init(_ pointer: UnsafeMutablePointer<Int32>) { self.pointer = pointer }
    deinit { pointer.deallocate() }
}
