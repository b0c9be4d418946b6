/// bfloat16: float32's sign and 8-bit exponent with 7 bits of mantissa, the top half of a float's bits.
/// Checkpoints store it (`--dtype bf16`) and data-parallel training can send gradients in it
/// (`--allreduce-dtype bf16`), halving the bytes of every all-reduce.
public enum BFloat16 {
    /// Rounds a float's bits to bfloat16 (nearest, ties to even; NaN stays NaN, infinities stay).
    @inline(__always)
    public static func bits(fromFloatBits bits: UInt32) -> UInt16 {
        if (bits & 0x7FFF_FFFF) > 0x7F80_0000 { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
        let rounding = 0x7FFF + ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ rounding) >> 16)
    }

    @inline(__always)
    public static func float(fromBits bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

    /// dst[i] = bfloat16(src[i]).
    public static func round(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<UInt16>, count: Int) {
        Parallel.forEachChunk(count, grain: 1 << 16) { range in
            let s = UnsafeRawPointer(src).assumingMemoryBound(to: UInt32.self)
            for i in range { dst[i] = bits(fromFloatBits: s[i]) }
        }
    }

    /// dst[i] = float(src[i]) · scale.
    public static func widen(_ src: UnsafePointer<UInt16>, into dst: UnsafeMutablePointer<Float>, count: Int, scale: Float = 1) {
        Parallel.forEachChunk(count, grain: 1 << 16) { range in
            for i in range { dst[i] = float(fromBits: src[i]) * scale }
        }
    }
}
