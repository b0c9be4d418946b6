/// Drawing on a photo for people to look at (detections, labels): opaque pixels, clipped to the image.
public struct Colour: Sendable, Equatable {
    public var r, g, b: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { (self.r, self.g, self.b) = (r, g, b) }
}

public extension RGBImage {
    /// Fills the pixels x0..<x1, y0..<y1 (clipped to the image).
    mutating func fillRectangle(x0: Int, y0: Int, x1: Int, y1: Int, _ colour: Colour) {
        let left = max(x0, 0), right = min(x1, width), top = max(y0, 0), bottom = min(y1, height)
        guard left < right, top < bottom else { return }
        for y in top..<bottom {
            for x in left..<right {
                let i = index(x: x, y: y)
                pixels[i] = colour.r
                pixels[i + 1] = colour.g
                pixels[i + 2] = colour.b
            }
        }
    }

    /// The outline of the box from (x1, y1) to (x2, y2), `thickness` pixels wide, inside the box's edge.
    mutating func strokeRectangle(x1: Double, y1: Double, x2: Double, y2: Double, thickness: Int, _ colour: Colour) {
        // Coordinates are clamped to a range Int conversion accepts before rounding, so a wild box cannot trap.
        func pixel(_ v: Double) -> Int { Int(min(max(v.isFinite ? v : 0, -1e6), 1e6).rounded()) }
        let left = pixel(x1), top = pixel(y1), right = pixel(x2), bottom = pixel(y2)
        fillRectangle(x0: left, y0: top, x1: right, y1: top + thickness, colour)
        fillRectangle(x0: left, y0: bottom - thickness, x1: right, y1: bottom, colour)
        fillRectangle(x0: left, y0: top, x1: left + thickness, y1: bottom, colour)
        fillRectangle(x0: right - thickness, y0: top, x1: right, y1: bottom, colour)
    }

    /// A filled disc of `radius` pixels about (x, y).
    mutating func fillDot(x: Double, y: Double, radius: Int, _ colour: Colour) {
        guard x.isFinite, y.isFinite, abs(x) < 1e6, abs(y) < 1e6 else { return }
        let cx = Int(x.rounded(.down)), cy = Int(y.rounded(.down))
        for dy in -radius...radius {
            for dx in -radius...radius where dx * dx + dy * dy <= radius * radius {
                fillRectangle(x0: cx + dx, y0: cy + dy, x1: cx + dx + 1, y1: cy + dy + 1, colour)
            }
        }
    }
}
