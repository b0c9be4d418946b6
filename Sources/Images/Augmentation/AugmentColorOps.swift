import Foundation

// Pillow's ImageOps and ImageEnhance on 8-bit RGB, computed as Pillow computes them (same integer tables, the
// same float32 blend and smoothing arithmetic, the same truncations), so RandAugment's colour ops give
// Pillow's bytes. Pillow is the reference because timm's RandAugment runs on PIL images.

extension RGBImage {
    // MARK: Tables and histograms

    /// Each channel through its own 256-entry table (PIL `Image.point` with a 768-entry list).
    public func mapped(red: [UInt8], green: [UInt8], blue: [UInt8]) -> RGBImage {
        precondition(red.count == 256 && green.count == 256 && blue.count == 256, "a channel table has 256 entries")
        var out = pixels
        red.withUnsafeBufferPointer { r in
            green.withUnsafeBufferPointer { g in
                blue.withUnsafeBufferPointer { b in
                    out.withUnsafeMutableBufferPointer { p in
                        var i = 0
                        while i < p.count {
                            p[i] = r[Int(p[i])]
                            p[i + 1] = g[Int(p[i + 1])]
                            p[i + 2] = b[Int(p[i + 2])]
                            i += 3
                        }
                    }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }

    /// All three channels through one 256-entry table.
    public func mapped(_ table: [UInt8]) -> RGBImage { mapped(red: table, green: table, blue: table) }

    /// Per-channel histograms (PIL `Image.histogram`): [red, green, blue], 256 counts each.
    public func channelHistograms() -> [[Int]] {
        var counts = [Int](repeating: 0, count: 768)
        pixels.withUnsafeBufferPointer { p in
            var i = 0
            while i < p.count {
                counts[Int(p[i])] += 1
                counts[256 + Int(p[i + 1])] += 1
                counts[512 + Int(p[i + 2])] += 1
                i += 3
            }
        }
        return [Array(counts[0..<256]), Array(counts[256..<512]), Array(counts[512..<768])]
    }

    /// A table from Python-style integers, clamped to 0…255 as Pillow clamps `point` tables.
    static func clampedTable(_ values: [Int]) -> [UInt8] { values.map { UInt8(clamping: $0) } }

    // MARK: ImageOps

    /// `ImageOps.invert`: 255 − v.
    public func inverted() -> RGBImage { mapped((0..<256).map { UInt8(255 - $0) }) }

    /// `ImageOps.posterize`: keeps the `bits` most significant bits (0 keeps none: black). 8 or more is the
    /// identity, as timm skips the call.
    public func posterized(bits: Int) -> RGBImage {
        if bits >= 8 { return self }
        let mask = ~((1 << (8 - max(bits, 0))) - 1)
        return mapped((0..<256).map { UInt8($0 & mask & 0xFF) })
    }

    /// `ImageOps.solarize`: values at or above `threshold` are inverted (256 leaves the image alone).
    public func solarized(threshold: Int) -> RGBImage {
        mapped((0..<256).map { $0 < threshold ? UInt8($0) : UInt8(255 - $0) })
    }

    /// timm's `solarize_add`: values below `threshold` get `addition` added, capped at 255.
    public func solarizedAdding(_ addition: Int, threshold: Int = 128) -> RGBImage {
        mapped(RGBImage.clampedTable((0..<256).map { $0 < threshold ? min(255, $0 + addition) : $0 }))
    }

    /// `ImageOps.autocontrast` (no cutoff): each channel stretched so its darkest value becomes 0 and its
    /// brightest 255; a channel with a single value is left alone.
    public func autocontrasted() -> RGBImage {
        let tables = channelHistograms().map { histogram -> [UInt8] in
            guard let low = histogram.firstIndex(where: { $0 != 0 }),
                  let high = histogram.lastIndex(where: { $0 != 0 }), high > low
            else { return (0..<256).map { UInt8($0) } }
            let scale = 255.0 / Double(high - low)
            let offset = -Double(low) * scale
            return RGBImage.clampedTable((0..<256).map { Int((Double($0) * scale + offset).rounded(.towardZero)) })
        }
        return mapped(red: tables[0], green: tables[1], blue: tables[2])
    }

    /// `ImageOps.equalize`: per-channel histogram equalisation with Pillow's integer steps.
    public func equalized() -> RGBImage {
        let tables = channelHistograms().map { histogram -> [UInt8] in
            let used = histogram.filter { $0 != 0 }
            let identity = (0..<256).map { UInt8($0) }
            guard used.count > 1 else { return identity }
            let step = (used.reduce(0, +) - used[used.count - 1]) / 255
            guard step > 0 else { return identity }
            var n = step / 2
            var table = [Int]()
            table.reserveCapacity(256)
            for count in histogram {
                table.append(n / step)
                n += count
            }
            return RGBImage.clampedTable(table)
        }
        return mapped(red: tables[0], green: tables[1], blue: tables[2])
    }

    // MARK: ImageEnhance

    /// Luma as Pillow converts RGB to "L": (R·19595 + G·38470 + B·7471 + 2¹⁵) >> 16, i.e. the ITU-R 601
    /// weights 0.299/0.587/0.114 rounded to nearest in 16-bit fixed point.
    public func luma() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: width * height)
        pixels.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                for i in 0..<o.count {
                    let value = Int(p[3 * i]) * 19595 + Int(p[3 * i + 1]) * 38470 + Int(p[3 * i + 2]) * 7471 + 0x8000
                    o[i] = UInt8(truncatingIfNeeded: value >> 16)
                }
            }
        }
        return out
    }

    /// `ImageEnhance.Color`: blends the grey version (luma in all three channels) toward the image;
    /// 0 gives grey, 1 the image, above 1 more saturated.
    public func colorAdjusted(_ factor: Double) -> RGBImage {
        let grey = luma()
        var degenerate = [UInt8](repeating: 0, count: pixels.count)
        for i in 0..<grey.count {
            degenerate[3 * i] = grey[i]
            degenerate[3 * i + 1] = grey[i]
            degenerate[3 * i + 2] = grey[i]
        }
        return blended(from: degenerate, factor: factor)
    }

    /// `ImageEnhance.Contrast`: blends a flat grey at the mean luma (rounded half up) toward the image.
    public func contrastAdjusted(_ factor: Double) -> RGBImage {
        let grey = luma()
        let mean = Double(grey.reduce(0) { $0 + Int($1) }) / Double(grey.count)
        let level = UInt8(clamping: Int((mean + 0.5).rounded(.towardZero)))
        return blended(from: [UInt8](repeating: level, count: pixels.count), factor: factor)
    }

    /// `ImageEnhance.Brightness`: blends black toward the image.
    public func brightnessAdjusted(_ factor: Double) -> RGBImage {
        blended(from: [UInt8](repeating: 0, count: pixels.count), factor: factor)
    }

    /// `ImageEnhance.Sharpness`: blends the `smoothed()` image toward the image; above 1 sharpens.
    public func sharpnessAdjusted(_ factor: Double) -> RGBImage {
        blended(from: smoothed().pixels, factor: factor)
    }

    /// `ImageFilter.SMOOTH`: the 3×3 kernel [[1,1,1],[1,5,1],[1,1,1]] / 13, rounded to nearest, the one-pixel
    /// border copied unchanged (images under 3×3 are returned as they are), in Pillow's float32 order.
    public func smoothed() -> RGBImage {
        guard width >= 3 && height >= 3 else { return self }
        let edge = Float(1) / Float(13), centre = Float(5) / Float(13)
        var out = pixels
        let stride = width * 3
        pixels.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                for y in 1..<(height - 1) {
                    let above = (y - 1) * stride, row = y * stride, below = (y + 1) * stride
                    for x in 1..<(width - 1) {
                        for c in 0..<3 {
                            let i = 3 * x + c
                            // Pillow sums the row below first (its kernel is flipped; SMOOTH is symmetric).
                            var sum = Float(0.5)
                            sum += Float(p[below + i - 3]) * edge + Float(p[below + i]) * edge + Float(p[below + i + 3]) * edge
                            sum += Float(p[row + i - 3]) * edge + Float(p[row + i]) * centre + Float(p[row + i + 3]) * edge
                            sum += Float(p[above + i - 3]) * edge + Float(p[above + i]) * edge + Float(p[above + i + 3]) * edge
                            o[row + i] = sum <= 0 ? 0 : sum >= 255 ? 255 : UInt8(sum)
                        }
                    }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }

    /// `Image.blend(degenerate, self, factor)`: degenerate + factor·(self − degenerate) in float32, truncated,
    /// clamped to 0…255 when extrapolating (factor outside [0, 1]).
    func blended(from degenerate: [UInt8], factor: Double) -> RGBImage {
        precondition(degenerate.count == pixels.count)
        let alpha = Float(factor)
        if alpha == 0 { return RGBImage(width: width, height: height, pixels: degenerate) }
        if alpha == 1 { return self }
        var out = [UInt8](repeating: 0, count: pixels.count)
        degenerate.withUnsafeBufferPointer { d in
            pixels.withUnsafeBufferPointer { p in
                out.withUnsafeMutableBufferPointer { o in
                    for i in 0..<o.count {
                        // Inside [0, 1] the value cannot leave 0…255, so one clamped truncation serves both
                        // of Pillow's branches.
                        let value = Float(Int(d[i])) + alpha * Float(Int(p[i]) - Int(d[i]))
                        o[i] = value <= 0 ? 0 : value >= 255 ? 255 : UInt8(value)
                    }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }
}
