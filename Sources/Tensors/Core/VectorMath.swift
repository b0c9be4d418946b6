/// exp and erf on 8 floats at a time, for the element-wise kernels (GELU) that libm's scalar `expf` and
/// `erff` would otherwise dominate: those calls cannot be vectorised, and GELU runs over the widest
/// activation of every transformer block.
///
/// Both are accurate to a few float ulps (tests compare them with libm over their whole useful range):
/// - exp: x = n·ln 2 + r with |r| ≤ ln 2 / 2, e^r by its degree-7 Taylor polynomial (truncation error
///   below 2e-9 relative), times 2^n built in the exponent bits;
/// - erf: for |x| ≥ 0.5 Abramowitz & Stegun 7.1.26, erf|x| = 1 − t·P(t)·e^(−x²) with
///   t = 1 / (1 + p·|x|) (absolute error 1.5e-7, the formula PyTorch's vectorised CPU erf uses), below
///   0.5 the Maclaurin series; odd in x.
public enum VectorMath {
    public typealias Vector = SIMD8<Float>

    // Both are always inlined: called out of line (and with the generic pointwiseMin/Max, which the
    // compiler emitted as calls too), their call overhead per 8 lanes was about a third of GELU's time.
    @inline(__always)
    public static func exp(_ x: Vector) -> Vector {
        // Below −87.3 the result underflows to 0; above 88.7 it overflows: clamp, then fix the ends.
        // (Swift's generic SIMD rounding and Int conversion go lane by lane, so both are done with the
        // 1.5·2²³ trick: adding it rounds to an integer and leaves that integer in the low mantissa bits.)
        // The clamp is two blends (vblendvps), NaN passing through unchanged.
        var clamped = x
        clamped.replace(with: 88.7, where: x .> 88.7)
        clamped.replace(with: -87.3, where: x .< -87.3)
        let shifted = clamped * 1.44269504088896341 + 12582912
        let n = shifted - 12582912
        // r = x − n·ln 2 with ln 2 split in two so that n·ln2_hi is exact.
        var r = clamped - n * 0.693145751953125
        r = r - n * 1.428606765330187045e-06
        var p = Vector(repeating: 1.0 / 5040)
        p = p * r + 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
        let scale = unsafeBitCast((integer &+ 127) &<< 23, to: Vector.self)
        var result = p * scale
        result.replace(with: 0, where: x .< -87.3)
        result.replace(with: .infinity, where: x .> 88.7)
        return result
    }

    @inline(__always)
    public static func erf(_ x: Vector) -> Vector {
        let a = x.replacing(with: -x, where: x .< 0)
        let t = 1 / (1 + 0.3275911 * a)
        var p = Vector(repeating: 1.061405429)
        p = p * t - 1.453152027
        p = p * t + 1.421413741
        p = p * t - 0.284496736
        p = p * t + 0.254829592
        var magnitude = 1 - t * p * VectorMath.exp(-(a * a))
        // Near 0 the formula cancels (1 − almost 1): the Maclaurin series keeps the relative error at an ulp
        // there (its first left-out term, x¹³/9360, is below 1e-8 of erf at |x| = 0.5).
        let a2 = a * a
        var series = Vector(repeating: 1.0 / 1320)
        series = series * -a2 + 1.0 / 216
        series = series * a2 - 1.0 / 42
        series = series * a2 + 1.0 / 10
        series = series * a2 - 1.0 / 3
        series = series * a2 + 1
        magnitude.replace(with: 1.1283791670955126 * a * series, where: a .< 0.5)
        var result = magnitude
        result.replace(with: -magnitude, where: x .< 0)
        return result
    }

    /// Applies `f` to `count` floats from `source` into `destination` (which may be the same), 8 at a time;
    /// the last partial block is padded with zeros.
    @inline(__always)
    public static func map(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>, count: Int,
                           _ f: (Vector) -> Vector) {
        var i = 0
        while i + 8 <= count {
            let x = UnsafeRawPointer(source + i).loadUnaligned(as: Vector.self)
            UnsafeMutableRawPointer(destination + i).storeBytes(of: f(x), as: Vector.self)
            i += 8
        }
        if i < count {
            var x = Vector()
            for k in 0..<(count - i) { x[k] = source[i + k] }
            let y = f(x)
            for k in 0..<(count - i) { destination[i + k] = y[k] }
        }
    }

    /// Like `map` over two inputs of `count` floats each.
    @inline(__always)
    public static func map(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>, count: Int,
                           _ f: (Vector, Vector) -> Vector) {
        var i = 0
        while i + 8 <= count {
            let x = UnsafeRawPointer(a + i).loadUnaligned(as: Vector.self)
            let y = UnsafeRawPointer(b + i).loadUnaligned(as: Vector.self)
            UnsafeMutableRawPointer(destination + i).storeBytes(of: f(x, y), as: Vector.self)
            i += 8
        }
        if i < count {
            var x = Vector(), y = Vector()
            for k in 0..<(count - i) { x[k] = a[i + k]; y[k] = b[i + k] }
            let z = f(x, y)
            for k in 0..<(count - i) { destination[i + k] = z[k] }
        }
    }
}
