/// Resampling filters of Pillow's `Image.resize`.
public enum ResizeFilter: Sendable {
    /// Triangle filter, support 1 (`Image.BILINEAR`).
    case bilinear
    /// Keys cubic with a = −0.5, support 2 (`Image.BICUBIC`).
    case bicubic

    var support: Double {
        switch self {
        case .bilinear: return 1
        case .bicubic: return 2
        }
    }

    func weight(_ x: Double) -> Double {
        let x = abs(x)
        switch self {
        case .bilinear:
            return x < 1 ? 1 - x : 0
        case .bicubic:
            let a = -0.5
            if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
            if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
            return 0
        }
    }
}

// Geometry: computed exactly as Pillow does it (Resample.c), because torchvision's `Resize` on a PIL image is
// `Image.resize`, and the pretrained weights saw Pillow's pixels. Pillow resizes in two separable passes,
// horizontal first, rounding to bytes in between; when downscaling it widens the filter by the scale factor
// (antialiasing); weights are fixed point with 22 fractional bits. Every one of these details shows up in the
// output bytes, so all are kept.
public extension RGBImage {
    func resized(width newWidth: Int, height newHeight: Int, filter: ResizeFilter) -> RGBImage {
        precondition(newWidth > 0 && newHeight > 0, "cannot resize to \(newWidth)×\(newHeight)")
        var image = self
        if newWidth != width {
            image = image.resampledHorizontally(to: newWidth, ResamplingWeights(from: width, to: newWidth, filter: filter))
        }
        if newHeight != height {
            image = image.resampledVertically(to: newHeight, ResamplingWeights(from: height, to: newHeight, filter: filter))
        }
        return image
    }

    /// The `width`×`height` region whose top-left pixel is (x, y); it must lie inside the image.
    func cropped(x: Int, y: Int, width cropWidth: Int, height cropHeight: Int) -> RGBImage {
        precondition(x >= 0 && y >= 0 && cropWidth > 0 && cropHeight > 0 && x + cropWidth <= width && y + cropHeight <= height,
                     "crop \(cropWidth)×\(cropHeight) at (\(x), \(y)) is outside the \(width)×\(height) image")
        var out = [UInt8](repeating: 0, count: cropWidth * cropHeight * 3)
        pixels.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                for row in 0..<cropHeight {
                    let from = index(x: x, y: y + row)
                    (target.baseAddress! + row * cropWidth * 3).update(from: source.baseAddress! + from, count: cropWidth * 3)
                }
            }
        }
        return RGBImage(width: cropWidth, height: cropHeight, pixels: out)
    }

    func flippedHorizontally() -> RGBImage {
        var out = pixels
        pixels.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                for y in 0..<height {
                    for x in 0..<width {
                        let from = index(x: x, y: y), to = index(x: width - 1 - x, y: y)
                        target[to] = source[from]
                        target[to + 1] = source[from + 1]
                        target[to + 2] = source[from + 2]
                    }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }
}

/// For each output position along one axis: the first input position it reads and its fixed-point weights
/// (Pillow's `precompute_coeffs` and `normalize_coeffs_8bpc`).
struct ResamplingWeights {
    static let precisionBits = 22

    /// Weights per output position, `taps` slots each (unused slots are zero).
    let taps: Int
    let first: [Int]
    let count: [Int]
    let weights: [Int32]

    init(from inSize: Int, to outSize: Int, filter: ResizeFilter) {
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(scale, 1)  // downscaling widens the filter: antialiasing
        let support = filter.support * filterScale
        let inverseFilterScale = 1 / filterScale  // multiplied, not divided, as Pillow does: the last bit matters
        taps = Int(support.rounded(.up)) * 2 + 1
        var first = [Int](repeating: 0, count: outSize), count = [Int](repeating: 0, count: outSize)
        var weights = [Int32](repeating: 0, count: outSize * taps)
        var k = [Double](repeating: 0, count: taps)
        for out in 0..<outSize {
            let center = (Double(out) + 0.5) * scale
            // Pillow rounds with C's truncating casts: (int)(v + 0.5).
            let lo = max(Int(center - support + 0.5), 0)
            let hi = min(Int(center + support + 0.5), inSize)
            var total = 0.0
            for i in 0..<(hi - lo) {
                k[i] = filter.weight((Double(i + lo) - center + 0.5) * inverseFilterScale)
                total += k[i]
            }
            for i in 0..<(hi - lo) {
                let w = total != 0 ? k[i] / total : k[i]
                // Round half away from zero, as Pillow's (int)(±0.5 + w · 2²²).
                let fixed = w * Double(1 << Self.precisionBits)
                weights[out * taps + i] = Int32(fixed < 0 ? fixed - 0.5 : fixed + 0.5)
            }
            first[out] = lo
            count[out] = hi - lo
        }
        self.first = first
        self.count = count
        self.weights = weights
    }
}

// The sums are Int32 with wrapping operators, as Pillow's C `int`s: the weights are normalised, so a sum stays
// below 255 · 1.2 · 2²² < 2³¹ and never wraps, and without overflow traps the inner loops vectorise.

/// Pillow's clip8: the fixed-point sum (with its rounding half already added) to a byte, clamped.
@inline(__always) private func clip8(_ sum: Int32) -> UInt8 {
    let v = sum >> Int32(ResamplingWeights.precisionBits)
    return v < 0 ? 0 : (v > 255 ? 255 : UInt8(truncatingIfNeeded: v))
}

private extension RGBImage {
    func resampledHorizontally(to newWidth: Int, _ w: ResamplingWeights) -> RGBImage {
        var out = [UInt8](repeating: 0, count: newWidth * height * 3)
        let half = Int32(1 << (ResamplingWeights.precisionBits - 1))
        pixels.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                w.weights.withUnsafeBufferPointer { weights in
                    for y in 0..<height {
                        let row = source.baseAddress! + y * width * 3
                        var o = target.baseAddress! + y * newWidth * 3
                        for x in 0..<newWidth {
                            var r = half, g = half, b = half
                            let k = weights.baseAddress! + x * w.taps
                            var p = row + w.first[x] * 3
                            for i in 0..<w.count[x] {
                                let c = k[i]
                                r = r &+ Int32(p[0]) &* c
                                g = g &+ Int32(p[1]) &* c
                                b = b &+ Int32(p[2]) &* c
                                p += 3
                            }
                            o[0] = clip8(r)
                            o[1] = clip8(g)
                            o[2] = clip8(b)
                            o += 3
                        }
                    }
                }
            }
        }
        return RGBImage(width: newWidth, height: height, pixels: out)
    }

    func resampledVertically(to newHeight: Int, _ w: ResamplingWeights) -> RGBImage {
        var out = [UInt8](repeating: 0, count: width * newHeight * 3)
        let half = Int32(1 << (ResamplingWeights.precisionBits - 1))
        let rowBytes = width * 3
        pixels.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                w.weights.withUnsafeBufferPointer { weights in
                    let sums = UnsafeMutablePointer<Int32>.allocate(capacity: rowBytes)
                    defer { sums.deallocate() }
                    for y in 0..<newHeight {
                        // Accumulate whole input rows (contiguous bytes) into the output row.
                        sums.initialize(repeating: half, count: rowBytes)
                        let k = weights.baseAddress! + y * w.taps
                        for i in 0..<w.count[y] {
                            let c = k[i]
                            let input = source.baseAddress! + (w.first[y] + i) * rowBytes
                            for j in 0..<rowBytes { sums[j] = sums[j] &+ Int32(input[j]) &* c }
                        }
                        let o = target.baseAddress! + y * rowBytes
                        for j in 0..<rowBytes { o[j] = clip8(sums[j]) }
                    }
                }
            }
        }
        return RGBImage(width: width, height: newHeight, pixels: out)
    }
}
