/// PyTorch's `interpolate(mode="area")` (adaptive average pooling), the resampling MTCNN's pyramid and
/// crops use: output pixel i averages input rows ⌊i·H/h⌋ ..< ⌈(i+1)·H/h⌉ (and likewise columns), summed
/// row by row in float, as PyTorch's CPU kernel does, so the values match it to the last bit or two.
enum AreaResample {
    /// `source` is planar [channels, height, width]; the result [channels, outHeight, outWidth].
    static func resample(_ source: UnsafeBufferPointer<Float>, channels: Int, height: Int, width: Int,
                         rows: Range<Int>? = nil, columns: Range<Int>? = nil, outHeight: Int, outWidth: Int) -> [Float] {
        // A window of the source (a crop) is resampled without copying it out first.
        let rowRange = rows ?? 0..<height, columnRange = columns ?? 0..<width
        let h = rowRange.count, w = columnRange.count
        precondition(h > 0 && w > 0 && outHeight > 0 && outWidth > 0, "area resampling of an empty image")
        var out = [Float](repeating: 0, count: channels * outHeight * outWidth)
        let rowStart = (0..<outHeight).map { ($0 * h) / outHeight }
        let rowEnd = (0..<outHeight).map { (($0 + 1) * h + outHeight - 1) / outHeight }
        let colStart = (0..<outWidth).map { ($0 * w) / outWidth }
        let colEnd = (0..<outWidth).map { (($0 + 1) * w + outWidth - 1) / outWidth }
        out.withUnsafeMutableBufferPointer { dst in
            for c in 0..<channels {
                let plane = c * height * width
                for oy in 0..<outHeight {
                    for ox in 0..<outWidth {
                        var sum: Float = 0
                        for iy in rowStart[oy]..<rowEnd[oy] {
                            let row = plane + (rowRange.lowerBound + iy) * width + columnRange.lowerBound
                            for ix in colStart[ox]..<colEnd[ox] { sum += source[row + ix] }
                        }
                        let count = Float((rowEnd[oy] - rowStart[oy]) * (colEnd[ox] - colStart[ox]))
                        dst[(c * outHeight + oy) * outWidth + ox] = sum / count
                    }
                }
            }
        }
        return out
    }
}
