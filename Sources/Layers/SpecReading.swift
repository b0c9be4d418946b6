import Zoo

extension SpecObject {
    /// A head count that divides `dim` (attention splits the width evenly over its heads).
    func headCount(_ key: String = "num_heads", dividing dim: Int, dimName: String = "dim", default d: Int? = nil) throws -> Int {
        let heads = try positiveInt(key, default: d)
        guard dim % heads == 0 else {
            throw SpecError.invalid(path: childPath(key), message: "\(dimName) \(dim) is not divisible by \(heads) heads")
        }
        return heads
    }
}

extension SpecObject {
    /// `mlp_ratio` in (0, 64], and the hidden width it gives `dim` (at least 1).
    func mlpHidden(_ key: String = "mlp_ratio", dim: Int) throws -> (ratio: Double, hidden: Int) {
        let ratio = try double(key, default: 4)
        guard ratio > 0 && ratio <= SpecLimits.maximumMLPRatio else {
            throw SpecError.invalid(path: childPath(key), message: "expected a number in (0, \(SpecLimits.maximumMLPRatio)], got \(ratio)")
        }
        let hidden = Int(Double(dim) * ratio)  // dim ≤ 2^20 and ratio ≤ 64: far inside Int
        guard hidden >= 1 else {
            throw SpecError.invalid(path: childPath(key), message: "\(ratio) × width \(dim) leaves an MLP without hidden units")
        }
        return (ratio, hidden)
    }

    /// LayerNorm's ε in SpecLimits.normEps.
    func normEps(_ key: String = "norm_eps") throws -> Float {
        Float(try double(key, default: 1e-6, in: SpecLimits.normEps))
    }
}

/// The parameter shapes of layers, reserved in the build's budget before they are allocated.
enum ParameterShapes {
    static func linear(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true) -> [[Int]] {
        bias ? [[outFeatures, inFeatures], [outFeatures]] : [[outFeatures, inFeatures]]
    }

    static func layerNorm(_ dim: Int) -> [[Int]] { [[dim], [dim]] }

    static func attention(_ dim: Int, qkvBias: Bool) -> [[Int]] {
        linear(dim, 3 * dim, bias: qkvBias) + linear(dim, dim)
    }

    static func mlp(_ sizes: [Int]) -> [[Int]] {
        zip(sizes, sizes.dropFirst()).flatMap { linear($0, $1) }
    }

    static func block(_ dim: Int, hidden: Int, qkvBias: Bool) -> [[Int]] {
        layerNorm(dim) + attention(dim, qkvBias: qkvBias) + layerNorm(dim) + mlp([dim, hidden, dim])
    }

    /// `depth` blocks, reserved as one layer: the shapes of one repeated, with the count checked.
    static func blocks(_ depth: Int, dim: Int, hidden: Int, qkvBias: Bool) -> [[Int]] {
        Array(repeating: block(dim, hidden: hidden, qkvBias: qkvBias), count: depth).flatMap { $0 }
    }
}
