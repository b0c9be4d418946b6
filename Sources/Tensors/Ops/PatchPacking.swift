import Foundation

/// im2col and its adjoint col2im: the packing that turns a convolution into one GEMM.
///
/// For one image's `channels` planes [C, H, W], the packed matrix is [C·kh·kw, Ho·Wo]: row (c, i, j)
/// holds, for every output pixel, the input pixel under kernel tap (i, j) of channel c, or 0 where the
/// tap falls in the padding. The row order is the weight's (c, i, j) order, so W [O, C·kh·kw] · packed
/// is the convolution.
enum PatchPacking {
    /// x [channels, H, W] → columns [channels·kh·kw, Ho·Wo].
    static func pack(_ x: UnsafePointer<Float>, channels: Int, _ g: WindowGeometry, into columns: UnsafeMutablePointer<Float>) {
        let taps = g.kernelHeight * g.kernelWidth, length = g.outputPixels
        forEachChannel(channels, work: taps * length) { c in
            let plane = x + c * g.inputPixels
            for i in 0..<g.kernelHeight {
                let rowOffset = i * g.dilationHeight - g.padTop
                let rows = g.insideRange(offset: rowOffset, stride: g.strideHeight, input: g.inputHeight, output: g.outputHeight)
                for j in 0..<g.kernelWidth {
                    let colOffset = j * g.dilationWidth - g.padLeft
                    let cols = g.insideRange(offset: colOffset, stride: g.strideWidth, input: g.inputWidth, output: g.outputWidth)
                    let row = columns + ((c * g.kernelHeight + i) * g.kernelWidth + j) * length
                    for oy in 0..<g.outputHeight {
                        let out = row + oy * g.outputWidth
                        guard rows.contains(oy), !cols.isEmpty else {
                            out.update(repeating: 0, count: g.outputWidth)
                            continue
                        }
                        out.update(repeating: 0, count: cols.lowerBound)
                        let source = plane + (oy * g.strideHeight + rowOffset) * g.inputWidth + colOffset
                        if g.strideWidth == 1 {
                            (out + cols.lowerBound).update(from: source + cols.lowerBound, count: cols.count)
                        } else {
                            for ox in cols { out[ox] = source[ox * g.strideWidth] }
                        }
                        (out + cols.upperBound).update(repeating: 0, count: g.outputWidth - cols.upperBound)
                    }
                }
            }
        }
    }

    /// The adjoint of `pack`: dx [channels, H, W] += columns [channels·kh·kw, Ho·Wo] scattered back
    /// (each input pixel receives the sum over the taps that read it).
    static func unpackAdding(_ columns: UnsafePointer<Float>, channels: Int, _ g: WindowGeometry, into dx: UnsafeMutablePointer<Float>) {
        let taps = g.kernelHeight * g.kernelWidth, length = g.outputPixels
        // Each channel's rows write only that channel's plane: channels can run side by side.
        forEachChannel(channels, work: taps * length) { c in
            let plane = dx + c * g.inputPixels
            for i in 0..<g.kernelHeight {
                let rowOffset = i * g.dilationHeight - g.padTop
                let rows = g.insideRange(offset: rowOffset, stride: g.strideHeight, input: g.inputHeight, output: g.outputHeight)
                for j in 0..<g.kernelWidth {
                    let colOffset = j * g.dilationWidth - g.padLeft
                    let cols = g.insideRange(offset: colOffset, stride: g.strideWidth, input: g.inputWidth, output: g.outputWidth)
                    let row = columns + ((c * g.kernelHeight + i) * g.kernelWidth + j) * length
                    for oy in rows where !cols.isEmpty {
                        let from = row + oy * g.outputWidth
                        let target = plane + (oy * g.strideHeight + rowOffset) * g.inputWidth + colOffset
                        for ox in cols { target[ox * g.strideWidth] += from[ox] }
                    }
                }
            }
        }
    }

    /// Channels in parallel when the packing is large and this thread is not already a worker of an
    /// outer parallel loop (a convolution runs its groups or images side by side when it has many).
    private static func forEachChannel(_ channels: Int, work: Int, _ body: (Int) -> Void) {
        if Parallel.isInsideWorker || channels * work < 1 << 15 {
            for c in 0..<channels { body(c) }
        } else {
            Parallel.forEachChunk(channels, grain: max(1, (1 << 15) / max(work, 1))) { r in
                for c in r { body(c) }
            }
        }
    }
}
