import Foundation

/// A seeded random generator (xoshiro256**, seeded through splitmix64) that gives the same numbers on
/// every run and machine: all conversions to floats are done here, never by platform libraries.
public final class Generator: RandomNumberGenerator {
    public private(set) var state: (UInt64, UInt64, UInt64, UInt64)
    /// Under data parallelism (ranks, model replicas or both), the share of every global batch this
    /// generator's holder takes: `index` of `count` equal shares, in rank order. Per-sample draws (`dropPath`, `dropout`) are then made for the whole
    /// global batch, in the order one process taking it would make them, and this process keeps its own
    /// rows: a sample's mask does not depend on how many processes train, and every rank's generator stays
    /// in step with that one process. (0, 1) when training alone. Not part of the saved state.
    public var batchShare: (index: Int, count: Int) = (0, 1)

    public init(seed: UInt64) {
        var s = seed
        func splitmix() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    /// Restores a generator from `stateWords` (four words, as `stateWords` returns them).
    public init(stateWords: [UInt64]) {
        precondition(stateWords.count == 4 || stateWords.count == 5, "a generator state has four or five words")
        state = (stateWords[0], stateWords[1], stateWords[2], stateWords[3])
        if stateWords.count == 5 { spareNormal = Double(bitPattern: stateWords[4]) }
    }

    /// Puts this generator (and every layer sharing it) back into a saved state.
    public func restore(stateWords words: [UInt64]) {
        precondition(words.count == 4 || words.count == 5, "a generator state has four or five words")
        state = (words[0], words[1], words[2], words[3])
        spareNormal = words.count == 5 ? Double(bitPattern: words[4]) : nil
    }

    /// The full state (a fifth word holds a pending normal), to save with a checkpoint and restore.
    public var stateWords: [UInt64] {
        [state.0, state.1, state.2, state.3] + (spareNormal.map { [$0.bitPattern] } ?? [])
    }

    @inline(__always)
    public func next() -> UInt64 {
        let result = rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotl(state.3, 45)
        return result
    }

    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always)
    public func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// The second normal of the last Box–Muller pair, handed out by the next call.
    private var spareNormal: Double?

    /// Standard normal (Box–Muller in double precision; each pair of uniforms gives two normals).
    public func normal() -> Double {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        var u1 = uniform()
        while u1 <= 0 { u1 = uniform() }
        let u2 = uniform()
        let radius = (-2 * Foundation.log(u1)).squareRoot(), angle = 2 * Double.pi * u2
        spareNormal = radius * Foundation.sin(angle)
        return radius * Foundation.cos(angle)
    }

    /// Normal(mean, std) truncated to [lower, upper] by rejection, as timm's trunc_normal_ bounds it.
    public func truncatedNormal(mean: Double, std: Double, lower: Double, upper: Double) -> Double {
        while true {
            let v = mean + std * normal()
            if v >= lower && v <= upper { return v }
        }
    }

    /// An integer in 0..<bound.
    public func below(_ bound: Int) -> Int {
        precondition(bound > 0)
        return Int(next() % UInt64(bound))
    }
}
