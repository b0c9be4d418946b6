import Foundation

/// How much of each pixel one shape covers (0…1), over the shape's clamped bounding box, row-major.
///
/// Shapes are rasterised to a mask first and painted second, so that a shape can be clipped by another
/// (an iris by the eye opening, teeth by the open mouth) by multiplying the two masks.
struct CoverageMask {
    var x0 = 0, y0 = 0, width = 0, height = 0
    var values: [Float] = []

    var isEmpty: Bool { width == 0 || height == 0 }

    /// Keeps only what `other` also covers: coverage outside `other`'s box becomes zero.
    mutating func intersect(_ other: CoverageMask) {
        guard !isEmpty else { return }
        let (w, h, ox0, oy0, ow, oh) = (width, height, other.x0 - x0, other.y0 - y0, other.width, other.height)
        values.withUnsafeMutableBufferPointer { v in
            other.values.withUnsafeBufferPointer { o in
                for y in 0..<h {
                    let oy = y - oy0
                    for x in 0..<w {
                        let ox = x - ox0
                        let c: Float = (oy >= 0 && oy < oh && ox >= 0 && ox < ow) ? o[oy * ow + ox] : 0
                        v[y * w + x] *= c
                    }
                }
            }
        }
    }
}

/// A small anti-aliased rasteriser over a float RGB image (values 0…1, HWC), in pixel coordinates with
/// pixel (x, y) covering [x, x+1) × [y, y+1).
///
/// Polygons get exact horizontal coverage on 8 sub-scanlines per row (4 from 128 pixels up); ellipses and strokes get analytic
/// coverage from a signed distance (coverage = clamp(0.5 − d, 0, 1)). Shapes thinner than one pixel are
/// drawn one pixel wide at proportionally lower opacity, so a hairline keeps its amount of ink instead of
/// flickering in and out between sizes.
struct FaceCanvas {
    let width: Int
    let height: Int
    var pixels: [Float]

    init(width: Int, height: Int, color: SIMD3<Float>) {
        self.width = width
        self.height = height
        pixels = [Float](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            pixels[3 * i] = color.x
            pixels[3 * i + 1] = color.y
            pixels[3 * i + 2] = color.z
        }
    }

    /// The integer pixel box holding [minX, maxX] × [minY, maxY], clamped to the canvas; nil when empty.
    private func box(_ minX: Float, _ minY: Float, _ maxX: Float, _ maxY: Float) -> (x0: Int, y0: Int, x1: Int, y1: Int)? {
        guard minX.isFinite, minY.isFinite, maxX.isFinite, maxY.isFinite else { return nil }
        let x0 = max(0, Int(minX.rounded(.down))), y0 = max(0, Int(minY.rounded(.down)))
        let x1 = min(width, Int(maxX.rounded(.up)) + 1), y1 = min(height, Int(maxY.rounded(.up)) + 1)
        return x0 < x1 && y0 < y1 ? (x0, y0, x1, y1) : nil
    }

    private func emptyMask(_ b: (x0: Int, y0: Int, x1: Int, y1: Int)) -> CoverageMask {
        CoverageMask(x0: b.x0, y0: b.y0, width: b.x1 - b.x0, height: b.y1 - b.y0,
                     values: [Float](repeating: 0, count: (b.x1 - b.x0) * (b.y1 - b.y0)))
    }

    // MARK: Polygons

    /// A closed polygon (even–odd rule), edges joining consecutive points and the last to the first.
    func polygonMask(_ points: [SIMD2<Float>]) -> CoverageMask {
        guard points.count >= 3 else { return CoverageMask() }
        var minX = Float.infinity, minY = Float.infinity, maxX = -Float.infinity, maxY = -Float.infinity
        for p in points {
            minX = min(minX, p.x); maxX = max(maxX, p.x); minY = min(minY, p.y); maxY = max(maxY, p.y)
        }
        guard let b = box(minX, minY, maxX, maxY) else { return CoverageMask() }
        var mask = emptyMask(b)
        // 8 sub-scanlines per row in small images, where an edge moving by a fraction of a pixel must
        // show; 4 are plenty once pixels are small.
        let subLines = height >= 128 ? 4 : 8
        let weight = 1 / Float(subLines)
        let n = points.count
        let left = Float(b.x0), right = Float(b.x1)
        var crossings: [Float] = []
        crossings.reserveCapacity(16)
        mask.values.withUnsafeMutableBufferPointer { v in
            points.withUnsafeBufferPointer { p in
                for row in b.y0..<b.y1 {
                    let rowBase = (row - b.y0) * mask.width
                    for s in 0..<subLines {
                        let ys = Float(row) + (Float(s) + 0.5) * weight
                        crossings.removeAll(keepingCapacity: true)
                        var j = n - 1
                        for i in 0..<n {
                            let a = p[j], c = p[i]
                            if (a.y <= ys) != (c.y <= ys) {
                                crossings.append(a.x + (ys - a.y) * (c.x - a.x) / (c.y - a.y))
                            }
                            j = i
                        }
                        if crossings.count < 2 { continue }
                        crossings.sort()
                        var k = 0
                        while k + 1 < crossings.count {
                            let xa = min(max(crossings[k], left), right), xb = min(max(crossings[k + 1], left), right)
                            k += 2
                            if xb <= xa { continue }
                            // Exact coverage of the span [xa, xb) on this sub-scanline.
                            let ia = Int(xa.rounded(.down)), ib = Int(xb.rounded(.down))
                            if ia == ib {
                                v[rowBase + ia - b.x0] += (xb - xa) * weight
                            } else {
                                v[rowBase + ia - b.x0] += (Float(ia + 1) - xa) * weight
                                if ia + 1 < ib { for x in (ia + 1)..<ib { v[rowBase + x - b.x0] += weight } }
                                if ib < b.x1 { v[rowBase + ib - b.x0] += (xb - Float(ib)) * weight }
                            }
                        }
                    }
                }
            }
        }
        return mask
    }

    // MARK: Ellipses

    /// A filled ellipse with semi-axes `radii`, its first axis turned by `angle` radians.
    func ellipseMask(center: SIMD2<Float>, radii: SIMD2<Float>, angle: Float) -> CoverageMask {
        ellipse(center: center, radii: radii, angle: angle) { d in 0.5 - d }
    }

    /// The outline of an ellipse, a band `halfWidth` either side of its edge.
    func ellipseOutlineMask(center: SIMD2<Float>, radii: SIMD2<Float>, angle: Float, halfWidth: Float) -> CoverageMask {
        let hw = max(halfWidth, 0.5)
        var mask = ellipse(center: center, radii: radii + hw, angle: angle) { d in 0.5 - (abs(d) - hw) }
        if hw > halfWidth { scale(&mask, by: halfWidth / hw) }
        return mask
    }

    /// A soft ellipse: full inside `1 − feather` of its radius, fading smoothly to nothing at its edge
    /// (feather 1 gives a radial gradient from the centre). For shading, blush and highlights.
    func softEllipseMask(center: SIMD2<Float>, radii: SIMD2<Float>, angle: Float, feather: Float) -> CoverageMask {
        guard radii.x > 0, radii.y > 0 else { return CoverageMask() }
        let inner = 1 - min(max(feather, 0.01), 1), inner2 = inner * inner, band = 1 / (1 - inner)
        return rotatedEllipse(center: center, a: radii.x, b: radii.y, angle: angle, margin: 0) { _, _, q in
            if q >= 1 { return 0 }
            if q <= inner2 { return 1 }
            let t = (q.squareRoot() - inner) * band
            return 1 - t * t * (3 - 2 * t)
        }
    }

    /// Shared ellipse loop: `coverage(d)` gets the approximate signed distance to the edge in pixels,
    /// f / |∇f| for f = u²/a² + v²/b² − 1 (exact on the edge, good within a pixel or two of it).
    private func ellipse(center: SIMD2<Float>, radii: SIMD2<Float>, angle: Float,
                         coverage: (Float) -> Float) -> CoverageMask {
        guard radii.x > 0, radii.y > 0 else { return CoverageMask() }
        let a = max(radii.x, 0.5), b = max(radii.y, 0.5)
        let thin = (radii.x * radii.y) / (a * b)
        let ia2 = 1 / (a * a), ib2 = 1 / (b * b)
        return rotatedEllipse(center: center, a: a, b: b, angle: angle, margin: 1) { u, w, q in
            let gx = 2 * u * ia2, gy = 2 * w * ib2
            let g = max((gx * gx + gy * gy).squareRoot(), 1e-6)
            return min(max(coverage((q - 1) / g), 0), 1) * thin
        }
    }

    /// The pixel loop both ellipse kinds share: over the ellipse's bounding box grown by `margin` pixels,
    /// `value(u, w, q)` gets the pixel centre in the ellipse's own axes (u along the first) and
    /// q = u²/a² + w²/b² (1 on the edge).
    private func rotatedEllipse(center: SIMD2<Float>, a: Float, b: Float, angle: Float, margin: Float,
                                value: (Float, Float, Float) -> Float) -> CoverageMask {
        let c = Float(Foundation.cos(Double(angle))), s = Float(Foundation.sin(Double(angle)))
        let ex = (a * a * c * c + b * b * s * s).squareRoot(), ey = (a * a * s * s + b * b * c * c).squareRoot()
        guard let bx = box(center.x - ex - margin, center.y - ey - margin, center.x + ex + margin, center.y + ey + margin) else {
            return CoverageMask()
        }
        var mask = emptyMask(bx)
        let ia2 = 1 / (a * a), ib2 = 1 / (b * b)
        mask.values.withUnsafeMutableBufferPointer { v in
            var i = 0
            for py in bx.y0..<bx.y1 {
                let dy = Float(py) + 0.5 - center.y
                for px in bx.x0..<bx.x1 {
                    let dx = Float(px) + 0.5 - center.x
                    let u = c * dx + s * dy, w = -s * dx + c * dy
                    v[i] = value(u, w, u * u * ia2 + w * w * ib2)
                    i += 1
                }
            }
        }
        return mask
    }

    // MARK: Strokes

    /// A thick polyline: round-capped segments whose half width runs linearly from `halfWidths[i]` to
    /// `halfWidths[i + 1]` (one value for all points is allowed).
    func strokeMask(_ points: [SIMD2<Float>], halfWidths: [Float]) -> CoverageMask {
        guard points.count >= 2, !halfWidths.isEmpty else { return CoverageMask() }
        let raw = halfWidths.count == points.count ? halfWidths : [Float](repeating: halfWidths[0], count: points.count)
        let widths = raw.map { max($0, 0.5) }
        let thin = raw.reduce(0, +) / widths.reduce(0, +)
        let maxHalf = widths.max()!
        var minX = Float.infinity, minY = Float.infinity, maxX = -Float.infinity, maxY = -Float.infinity
        for p in points {
            minX = min(minX, p.x); maxX = max(maxX, p.x); minY = min(minY, p.y); maxY = max(maxY, p.y)
        }
        guard let bx = box(minX - maxHalf - 1, minY - maxHalf - 1, maxX + maxHalf + 1, maxY + maxHalf + 1) else {
            return CoverageMask()
        }
        var mask = emptyMask(bx)
        let segments = points.count - 1
        var inverseLength2 = [Float](repeating: 0, count: segments)
        for i in 0..<segments {
            let d = points[i + 1] - points[i]
            let l2 = d.x * d.x + d.y * d.y
            inverseLength2[i] = l2 > 1e-12 ? 1 / l2 : 0
        }
        mask.values.withUnsafeMutableBufferPointer { v in
            points.withUnsafeBufferPointer { p in
                widths.withUnsafeBufferPointer { h in
                    inverseLength2.withUnsafeBufferPointer { il in
                        var i = 0
                        for py in bx.y0..<bx.y1 {
                            let y = Float(py) + 0.5
                            for px in bx.x0..<bx.x1 {
                                let x = Float(px) + 0.5
                                var best = Float.infinity
                                for k in 0..<segments {
                                    let ax = p[k].x, ay = p[k].y
                                    let ux = p[k + 1].x - ax, uy = p[k + 1].y - ay
                                    let t = min(max(((x - ax) * ux + (y - ay) * uy) * il[k], 0), 1)
                                    let ex = x - ax - t * ux, ey = y - ay - t * uy
                                    let d = (ex * ex + ey * ey).squareRoot() - (h[k] + t * (h[k + 1] - h[k]))
                                    best = min(best, d)
                                }
                                v[i] = min(max(0.5 - best, 0), 1) * thin
                                i += 1
                            }
                        }
                    }
                }
            }
        }
        return mask
    }

    // MARK: Painting

    private func scale(_ mask: inout CoverageMask, by factor: Float) {
        mask.values.withUnsafeMutableBufferPointer { v in
            for i in v.indices { v[i] *= factor }
        }
    }

    /// Blends `color` over the canvas where the mask covers it: pixel += (color − pixel) · coverage · opacity.
    mutating func paint(_ mask: CoverageMask, color: SIMD3<Float>, opacity: Float = 1) {
        guard !mask.isEmpty, opacity > 0 else { return }
        let w = width
        let alpha = min(opacity, 1)
        pixels.withUnsafeMutableBufferPointer { p in
            mask.values.withUnsafeBufferPointer { v in
                var i = 0
                for y in 0..<mask.height {
                    var o = ((mask.y0 + y) * w + mask.x0) * 3
                    for _ in 0..<mask.width {
                        let a = v[i] * alpha
                        if a > 0 {
                            p[o] += (color.x - p[o]) * a
                            p[o + 1] += (color.y - p[o + 1]) * a
                            p[o + 2] += (color.z - p[o + 2]) * a
                        }
                        i += 1
                        o += 3
                    }
                }
            }
        }
    }
}

extension FaceCanvas {
    /// Points along the quadratic Bézier from `start` to `end` pulled towards `control`, both ends included.
    static func quadraticBezier(_ start: SIMD2<Float>, _ control: SIMD2<Float>, _ end: SIMD2<Float>, segments: Int = 10) -> [SIMD2<Float>] {
        (0...segments).map { i in
            let t = Float(i) / Float(segments), u = 1 - t
            return u * u * start + 2 * u * t * control + t * t * end
        }
    }

    /// The quadratic Bézier from `start` to `end` that passes through `middle` at t = ½.
    static func quadraticThrough(_ start: SIMD2<Float>, _ middle: SIMD2<Float>, _ end: SIMD2<Float>, segments: Int = 10) -> [SIMD2<Float>] {
        quadraticBezier(start, 2 * middle - 0.5 * (start + end), end, segments: segments)
    }
}
