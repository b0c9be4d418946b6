/// Reductions along one contiguous row, 8 lanes at a time.
///
/// A scalar `s += x[j]` loop is one dependent add per element: the compiler may not reorder float adds,
/// so it cannot vectorise it, and the row costs one add latency (3–4 cycles) per element. Softmax and
/// layer norm reduce every row of every attention map and activation this way; summing in 8 lanes
/// (then the lanes) changes the order of the additions, so results differ from the serial loop by
/// rounding only (a few ulps of the sum).
public enum VectorRows {
    public typealias Vector = VectorMath.Vector

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> Vector { UnsafeRawPointer(p).loadUnaligned(as: Vector.self) }

    @inline(__always)
    static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self) }

    /// Σ x[j]
    @inline(__always)
    public static func sum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = Vector(), i = 0
        while i + 8 <= n { acc += load(x + i); i += 8 }
        var s = acc.sum()
        while i < n { s += x[i]; i += 1 }
        return s
    }

    /// Σ (x[j] − c)²
    @inline(__always)
    public static func sumOfSquares(_ x: UnsafePointer<Float>, centre c: Float, _ n: Int) -> Float {
        var acc = Vector(), i = 0
        let cv = Vector(repeating: c)
        while i + 8 <= n { let d = load(x + i) - cv; acc += d * d; i += 8 }
        var s = acc.sum()
        while i < n { let d = x[i] - c; s += d * d; i += 1 }
        return s
    }

    /// Σ a[j] · b[j]
    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = Vector(), i = 0
        while i + 8 <= n { acc += load(a + i) * load(b + i); i += 8 }
        var s = acc.sum()
        while i < n { s += a[i] * b[i]; i += 1 }
        return s
    }

    /// max x[j] (−∞ for an empty row; a NaN lane is skipped, as the scalar `max` loop it replaces did
    /// whenever the NaN was not first).
    @inline(__always)
    public static func maximum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = Vector(repeating: -.infinity), i = 0
        while i + 8 <= n { let v = load(x + i); acc.replace(with: v, where: v .> acc); i += 8 }
        var m = -Float.infinity
        for k in 0..<8 where acc[k] > m { m = acc[k] }
        while i < n { if x[i] > m { m = x[i] }; i += 1 }
        return m
    }
}
