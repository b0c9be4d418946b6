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
        let length = g.outputPixels
        forEachTap(channels: channels, g) { c, t, tap in
            let plane = x + c * g.inputPixels
            let row = columns + t * length
            for oy in 0..<g.outputHeight {
                let out = row + oy * g.outputWidth
                guard tap.rows.contains(oy), !tap.cols.isEmpty else {
                    out.update(repeating: 0, count: g.outputWidth)
                    continue
                }
                let cols = tap.cols
                out.update(repeating: 0, count: cols.lowerBound)
                let source = plane + (oy * g.strideHeight + tap.rowOffset) * g.inputWidth + tap.colOffset
                if g.strideWidth == 1 {
                    (out + cols.lowerBound).update(from: source + cols.lowerBound, count: cols.count)
                } else {
                    for ox in cols { out[ox] = source[ox * g.strideWidth] }
                }
                (out + cols.upperBound).update(repeating: 0, count: g.outputWidth - cols.upperBound)
            }
        }
    }

    /// The adjoint of `pack`: dx [channels, H, W] += columns [channels·kh·kw, Ho·Wo] scattered back
    /// (each input pixel receives the sum over the taps that read it).
    static func unpackAdding(_ columns: UnsafePointer<Float>, channels: Int, _ g: WindowGeometry, into dx: UnsafeMutablePointer<Float>) {
        let length = g.outputPixels
        // Each channel's rows write only that channel's plane: channels can run side by side.
        forEachTap(channels: channels, g) { c, t, tap in
            guard !tap.cols.isEmpty else { return }
            let plane = dx + c * g.inputPixels
            let row = columns + t * length
            for oy in tap.rows {
                let from = row + oy * g.outputWidth
                let target = plane + (oy * g.strideHeight + tap.rowOffset) * g.inputWidth + tap.colOffset
                for ox in tap.cols { target[ox * g.strideWidth] += from[ox] }
            }
        }
    }

    /// One kernel tap (i, j): where it reads relative to an output pixel's window corner, and which output
    /// rows and columns read inside the input (the others read padding).
    private struct Tap {
        var rowOffset: Int, colOffset: Int
        var rows: Range<Int>, cols: Range<Int>
    }

    /// `body(channel, packed row index, tap)` for every channel and tap in the weight's (c, i, j) order;
    /// the taps are worked out once, and channels run in parallel when the packing is large.
    private static func forEachTap(channels: Int, _ g: WindowGeometry, _ body: (Int, Int, Tap) -> Void) {
        var taps: [Tap] = []
        taps.reserveCapacity(g.kernelHeight * g.kernelWidth)
        for i in 0..<g.kernelHeight {
            let rowOffset = i * g.dilationHeight - g.padTop
            let rows = g.insideRange(offset: rowOffset, stride: g.strideHeight, input: g.inputHeight, output: g.outputHeight)
            for j in 0..<g.kernelWidth {
                let colOffset = j * g.dilationWidth - g.padLeft
                let cols = g.insideRange(offset: colOffset, stride: g.strideWidth, input: g.inputWidth, output: g.outputWidth)
                taps.append(Tap(rowOffset: rowOffset, colOffset: colOffset, rows: rows, cols: cols))
            }
        }
        taps.withUnsafeBufferPointer { taps in
            forEachChannel(channels, work: taps.count * g.outputPixels) { c in
                for (t, tap) in taps.enumerated() { body(c, c * taps.count + t, tap) }
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
