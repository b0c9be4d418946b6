import Foundation
import Tensors
import Zoo

/// Pre-norm transformer block (timm's Block): x + drop_path(attn(norm1(x))), then
/// x + drop_path(mlp(norm2(x))). Keys: norm1, attn, norm2, mlp.
public final class Block: Module, UnaryLayer {
    public let norm1: LayerNorm
    public let attn: Attention
    public let norm2: LayerNorm
    public let mlp: MLP
    /// Stochastic depth probability for this block (0 in evaluation).
    public let dropPath: Float
    let generator: Generator

    public init(dim: Int, heads: Int, mlpRatio: Double = 4, qkvBias: Bool = true, eps: Float = 1e-6, dropPath: Float = 0, generator: Generator) {
        norm1 = LayerNorm(dim, eps: eps)
        attn = Attention(dim: dim, heads: heads, qkvBias: qkvBias, generator: generator)
        norm2 = LayerNorm(dim, eps: eps)
        mlp = MLP(sizes: [dim, Int(Double(dim) * mlpRatio), dim], generator: generator)
        self.dropPath = dropPath
        self.generator = generator
        super.init()
        child("norm1", norm1)
        child("attn", attn)
        child("norm2", norm2)
        child("mlp", mlp)
    }

    /// x [B, N, D] → [B, N, D]
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let p = training ? dropPath : 0
        let h = x + attn(norm1(x)).dropPath(p, generator: generator)
        return h + mlp(norm2(h)).dropPath(p, generator: generator)
    }
}

public enum BlockPlugin: LayerPlugin {
    public static let name = "block"
    public static let summary = "pre-norm transformer block (dim, num_heads, mlp_ratio = 4, qkv_bias, norm_eps = 1e-6, drop_path = 0)"

    public static let fields: [String]? = ["dim", "num_heads", "mlp_ratio", "qkv_bias", "norm_eps", "drop_path"]

    public static func build(_ spec: SpecObject, context: BuildContext) throws -> Module {
        let dim = try context.requireInputDim(spec, key: "dim")
        let heads = try spec.headCount(dividing: dim)
        let (ratio, hidden) = try spec.mlpHidden(dim: dim)
        let qkvBias = try spec.bool("qkv_bias", default: true)
        let eps = try spec.normEps()
        let dropPath = Float(try spec.double("drop_path", default: 0, in: 0...0.99))
        try spec.finish()
        try context.budget.reserve(ParameterShapes.block(dim, hidden: hidden, qkvBias: qkvBias), path: spec.path)
        return Block(dim: dim, heads: heads, mlpRatio: ratio, qkvBias: qkvBias, eps: eps, dropPath: dropPath, generator: context.generator)
    }
}
