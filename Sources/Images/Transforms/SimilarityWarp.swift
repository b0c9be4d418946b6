/// A rotation, uniform scale and shift of the plane: (x, y) ↦ (a·x − b·y + tx, b·x + a·y + ty), with
/// a = s·cos θ, b = s·sin θ. Coordinates in pixels from the image's top-left corner (pixel i spans i…i+1).
public struct SimilarityTransform: Equatable, Sendable {
    public var a, b, tx, ty: Double

    public init(a: Double, b: Double, tx: Double, ty: Double) {
        (self.a, self.b, self.tx, self.ty) = (a, b, tx, ty)
    }

    public func apply(_ x: Double, _ y: Double) -> (x: Double, y: Double) {
        (a * x - b * y + tx, b * x + a * y + ty)
    }

    /// s² = a² + b²; nil for a degenerate (zero-scale) transform, which maps everything to one point.
    public var inverse: SimilarityTransform? {
        let s2 = a * a + b * b
        guard s2 > 1e-12, s2.isFinite else { return nil }
        let ia = a / s2, ib = -b / s2
        return SimilarityTransform(a: ia, b: ib, tx: -(ia * tx - ib * ty), ty: -(ib * tx + ia * ty))
    }

    /// The least-squares similarity taking `source` points onto `target` points (Umeyama 1991, which in
    /// two dimensions has this closed form; a reflection is never chosen). Nil when the source points all
    /// coincide.
    public static func fit(from source: [(x: Double, y: Double)], to target: [(x: Double, y: Double)]) -> SimilarityTransform? {
        precondition(source.count == target.count && !source.isEmpty, "a similarity fit needs matching, non-empty point lists")
        let n = Double(source.count)
        let sx = source.map(\.x).reduce(0, +) / n, sy = source.map(\.y).reduce(0, +) / n
        let dx = target.map(\.x).reduce(0, +) / n, dy = target.map(\.y).reduce(0, +) / n
        var dot = 0.0, cross = 0.0, variance = 0.0
        for (p, q) in zip(source, target) {
            let px = p.x - sx, py = p.y - sy, qx = q.x - dx, qy = q.y - dy
            dot += px * qx + py * qy
            cross += px * qy - py * qx
            variance += px * px + py * py
        }
        guard variance > 1e-12 else { return nil }
        let a = dot / variance, b = cross / variance
        return SimilarityTransform(a: a, b: b, tx: dx - (a * sx - b * sy), ty: dy - (b * sx + a * sy))
    }
}

public extension RGBImage {
    /// A `width`×`height` image whose pixel centred at (u + ½, v + ½) shows this image at
    /// `toSource`(u + ½, v + ½), bilinearly interpolated (edge pixels repeated within the image) and rounded;
    /// points outside the image are black.
    func warped(width outWidth: Int, height outHeight: Int, toSource m: SimilarityTransform) -> RGBImage {
        precondition(outWidth > 0 && outHeight > 0, "cannot warp to \(outWidth)×\(outHeight)")
        var out = [UInt8](repeating: 0, count: outWidth * outHeight * 3)
        let w = width, h = height
        for v in 0..<outHeight {
            for u in 0..<outWidth {
                let p = m.apply(Double(u) + 0.5, Double(v) + 0.5)
                guard p.x >= 0, p.x < Double(w), p.y >= 0, p.y < Double(h) else { continue }
                // Index space: pixel centres at whole numbers.
                let xs = p.x - 0.5, ys = p.y - 0.5
                let x0 = Int(xs.rounded(.down)), y0 = Int(ys.rounded(.down))
                let fx = xs - Double(x0), fy = ys - Double(y0)
                let xa = min(max(x0, 0), w - 1), xb = min(max(x0 + 1, 0), w - 1)
                let ya = min(max(y0, 0), h - 1), yb = min(max(y0 + 1, 0), h - 1)
                for c in 0..<3 {
                    let top = Double(pixels[index(x: xa, y: ya) + c]) * (1 - fx) + Double(pixels[index(x: xb, y: ya) + c]) * fx
                    let bottom = Double(pixels[index(x: xa, y: yb) + c]) * (1 - fx) + Double(pixels[index(x: xb, y: yb) + c]) * fx
                    out[(v * outWidth + u) * 3 + c] = UInt8(min(max((top * (1 - fy) + bottom * fy).rounded(), 0), 255))
                }
            }
        }
        return RGBImage(width: outWidth, height: outHeight, pixels: out)
    }
}
