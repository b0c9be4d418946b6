import Foundation
import Tensors
import Zoo

/// timm's multi-head self-attention: `qkv` Linear(D, 3D), fused scaled dot-product attention, `proj`.
public final class Attention: Module, UnaryLayer {
    public let qkv: Linear
    public let proj: Linear
    public let heads: Int

    public init(dim: Int, heads: Int, qkvBias: Bool = true, generator: Generator) {
        precondition(dim % heads == 0, "attention width \(dim) is not a multiple of \(heads) heads")
        self.heads = heads
        qkv = Linear(dim, 3 * dim, bias: qkvBias, generator: generator)
        proj = Linear(dim, dim, generator: generator)
        super.init()
        child("qkv", qkv)
        child("proj", proj)
    }

    /// x [B, N, D] → [B, N, D]
    public func callAsFunction(_ x: Tensor) -> Tensor {
        proj(Tensor.attention(qkv: qkv(x), heads: heads))
    }
}

public enum AttentionPlugin: LayerPlugin {
    public static let name = "attention"
    public static let summary = "multi-head self-attention, fused qkv (dim, num_heads, qkv_bias = true)"

    public static let fields: [String]? = ["dim", "num_heads", "qkv_bias"]

    public static func build(_ spec: SpecObject, context: BuildContext) throws -> Module {
        let dim = try context.requireInputDim(spec, key: "dim")
        let heads = try spec.headCount(dividing: dim)
        let qkvBias = try spec.bool("qkv_bias", default: true)
        try spec.finish()
        try context.budget.reserve(ParameterShapes.attention(dim, qkvBias: qkvBias), path: spec.path)
        return Attention(dim: dim, heads: heads, qkvBias: qkvBias, generator: context.generator)
    }
}
