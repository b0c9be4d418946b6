import Foundation

/// How an affine warp samples between pixels, as Pillow's `Image.transform` does it: no antialiasing, edge
/// pixels repeated inside the image, and Pillow's a = −1 cubic (not the a = −0.5 one its resize uses).
public enum AffineResampling: String, Sendable, CaseIterable {
    case bilinear
    case bicubic
}

/// The six coefficients (a, b, c, d, e, f) of Pillow's AFFINE transform: the output pixel centred at (x, y)
/// samples the input at (a·x + b·y + c, d·x + e·y + f), coordinates in pixels from the top-left corner.
public struct AffineCoefficients: Equatable, Sendable {
    public var a, b, c, d, e, f: Double

    public init(_ a: Double, _ b: Double, _ c: Double, _ d: Double, _ e: Double, _ f: Double) {
        (self.a, self.b, self.c, self.d, self.e, self.f) = (a, b, c, d, e, f)
    }

    public static let identity = AffineCoefficients(1, 0, 0, 0, 1, 0)
}

extension RGBImage {
    /// Pillow's `Image.transform(size, AFFINE, coefficients, resample, fillcolor)` at the same size: output
    /// pixels whose sample point falls outside the input are `fill`, the others are interpolated (8-bit,
    /// truncated as Pillow does).
    public func affineWarped(
        _ m: AffineCoefficients, resampling: AffineResampling, fill: (r: UInt8, g: UInt8, b: UInt8)
    ) -> RGBImage {
        var out = RGBImage(width: width, height: height, fill: fill).pixels
        let w = width, h = height
        pixels.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                let p = source.baseAddress!, o = target.baseAddress!
                for y in 0..<h {
                    let yc = Double(y) + 0.5
                    for x in 0..<w {
                        let xc = Double(x) + 0.5
                        let xin = m.a * xc + m.b * yc + m.c
                        let yin = m.d * xc + m.e * yc + m.f
                        guard xin >= 0, xin < Double(w), yin >= 0, yin < Double(h) else { continue }
                        let t = o + (y * w + x) * 3
                        switch resampling {
                        case .bilinear: sampleBilinear(p, w, h, xin - 0.5, yin - 0.5, into: t)
                        case .bicubic: sampleBicubic(p, w, h, xin - 0.5, yin - 0.5, into: t)
                        }
                    }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }

    /// Pillow's `Image.rotate(degrees, resample, fillcolor)` (counter-clockwise about the centre, same size):
    /// multiples of 180° (and of 90° on a square image) are exact pixel moves, as Pillow takes them.
    public func rotated(
        degrees: Double, resampling: AffineResampling, fill: (r: UInt8, g: UInt8, b: UInt8)
    ) -> RGBImage {
        var angle = degrees.truncatingRemainder(dividingBy: 360)
        if angle < 0 { angle += 360 }
        if angle == 0 { return self }
        if angle == 180 || ((angle == 90 || angle == 270) && width == height) {
            return quarterTurned(Int(angle / 90))
        }
        // Pillow builds the output→input matrix from cos/sin rounded to 15 decimals, about (w/2, h/2).
        func round15(_ v: Double) -> Double { (v * 1e15).rounded() / 1e15 }
        let radians = -(angle * (Double.pi / 180))  // math.radians, then negated
        let a = round15(cos(radians)), b = round15(sin(radians))
        let d = round15(-sin(radians)), e = round15(cos(radians))
        let cx = Double(width) / 2, cy = Double(height) / 2
        let c = a * -cx + b * -cy + 0 + cx
        let f = d * -cx + e * -cy + 0 + cy
        return affineWarped(AffineCoefficients(a, b, c, d, e, f), resampling: resampling, fill: fill)
    }

    /// Counter-clockwise quarter turns (Pillow's ROTATE_90/180/270 transposes); 1 and 3 need a square image.
    func quarterTurned(_ turns: Int) -> RGBImage {
        let k = ((turns % 4) + 4) % 4
        precondition(k % 2 == 0 || width == height, "quarter turns keep the size only on a square image")
        if k == 0 { return self }
        var out = pixels
        let w = width, h = height
        for y in 0..<h {
            for x in 0..<w {
                let (sx, sy): (Int, Int)
                switch k {
                case 1: (sx, sy) = (w - 1 - y, x)
                case 2: (sx, sy) = (w - 1 - x, h - 1 - y)
                default: (sx, sy) = (y, h - 1 - x)
                }
                let s = index(x: sx, y: sy), t = index(x: x, y: y)
                out[t] = pixels[s]
                out[t + 1] = pixels[s + 1]
                out[t + 2] = pixels[s + 2]
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }

    /// timm's `shear_x`: input x = x + factor·y (rows slide right as y grows, for negative factors).
    public func shearedX(_ factor: Double, resampling: AffineResampling, fill: (r: UInt8, g: UInt8, b: UInt8)) -> RGBImage {
        affineWarped(AffineCoefficients(1, factor, 0, 0, 1, 0), resampling: resampling, fill: fill)
    }

    /// timm's `shear_y`: input y = factor·x + y.
    public func shearedY(_ factor: Double, resampling: AffineResampling, fill: (r: UInt8, g: UInt8, b: UInt8)) -> RGBImage {
        affineWarped(AffineCoefficients(1, 0, 0, factor, 1, 0), resampling: resampling, fill: fill)
    }

    /// timm's `translate_x_rel`: the content moves left by fraction·width pixels (right when negative).
    public func translatedX(fraction: Double, resampling: AffineResampling, fill: (r: UInt8, g: UInt8, b: UInt8)) -> RGBImage {
        affineWarped(AffineCoefficients(1, 0, fraction * Double(width), 0, 1, 0), resampling: resampling, fill: fill)
    }

    /// timm's `translate_y_rel`: the content moves up by fraction·height pixels (down when negative).
    public func translatedY(fraction: Double, resampling: AffineResampling, fill: (r: UInt8, g: UInt8, b: UInt8)) -> RGBImage {
        affineWarped(AffineCoefficients(1, 0, 0, 0, 1, fraction * Double(height)), resampling: resampling, fill: fill)
    }
}

// Pillow's transform filters (Geometry.c), at a sample point already shifted by −½ to pixel-index units.
// Pillow clamps columns; for rows it clamps the first and repeats the previous row past either edge, which for
// the sample points that pass its bounds check is the same as clamping every row, as done here.

@inline(__always)
private func clampedOffset(_ i: Int, _ size: Int, _ scale: Int) -> Int { min(max(i, 0), size - 1) * scale }

/// Bilinear: result truncated to a byte.
@inline(__always)
private func sampleBilinear(
    _ p: UnsafePointer<UInt8>, _ w: Int, _ h: Int, _ xs: Double, _ ys: Double, into o: UnsafeMutablePointer<UInt8>
) {
    let x = Int(xs.rounded(.down)), y = Int(ys.rounded(.down))
    let dx = xs - Double(x), dy = ys - Double(y)
    let x0 = clampedOffset(x, w, 3), x1 = clampedOffset(x + 1, w, 3)
    let row0 = p + clampedOffset(y, h, w * 3), row1 = p + clampedOffset(y + 1, h, w * 3)
    for c in 0..<3 {
        let a0 = Double(row0[x0 + c]), a1 = Double(row0[x1 + c])
        let b0 = Double(row1[x0 + c]), b1 = Double(row1[x1 + c])
        let v1 = a0 + (a1 - a0) * dx
        let v2 = b0 + (b1 - b0) * dx
        o[c] = UInt8(v1 + (v2 - v1) * dy)
    }
}

/// Pillow's cubic through four taps (a = −1), evaluated in its nested form.
@inline(__always)
private func cubic(_ v1: Double, _ v2: Double, _ v3: Double, _ v4: Double, _ d: Double) -> Double {
    let p2 = -v1 + v3
    let p3 = 2 * (v1 - v2) + v3 - v4
    let p4 = -v1 + v2 - v3 + v4
    return v2 + d * (p2 + d * (p3 + d * p4))
}

/// Bicubic: result clamped to 0…255, then truncated.
@inline(__always)
private func sampleBicubic(
    _ p: UnsafePointer<UInt8>, _ w: Int, _ h: Int, _ xs: Double, _ ys: Double, into o: UnsafeMutablePointer<UInt8>
) {
    let fx = Int(xs.rounded(.down)), fy = Int(ys.rounded(.down))
    let dx = xs - Double(fx), dy = ys - Double(fy)
    let c0 = clampedOffset(fx - 1, w, 3), c1 = clampedOffset(fx, w, 3)
    let c2 = clampedOffset(fx + 1, w, 3), c3 = clampedOffset(fx + 2, w, 3)
    let stride = w * 3
    let r0 = p + clampedOffset(fy - 1, h, stride), r1 = p + clampedOffset(fy, h, stride)
    let r2 = p + clampedOffset(fy + 1, h, stride), r3 = p + clampedOffset(fy + 2, h, stride)
    for c in 0..<3 {
        let v1 = cubic(Double(r0[c0 + c]), Double(r0[c1 + c]), Double(r0[c2 + c]), Double(r0[c3 + c]), dx)
        let v2 = cubic(Double(r1[c0 + c]), Double(r1[c1 + c]), Double(r1[c2 + c]), Double(r1[c3 + c]), dx)
        let v3 = cubic(Double(r2[c0 + c]), Double(r2[c1 + c]), Double(r2[c2 + c]), Double(r2[c3 + c]), dx)
        let v4 = cubic(Double(r3[c0 + c]), Double(r3[c1 + c]), Double(r3[c2 + c]), Double(r3[c3 + c]), dx)
        let v = cubic(v1, v2, v3, v4, dy)
        o[c] = v <= 0 ? 0 : v >= 255 ? 255 : UInt8(v)
    }
}
