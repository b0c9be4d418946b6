import Foundation
import Tensors
import Zoo

/// Layer normalisation over the last dimension (torch.nn.LayerNorm), `weight` and `bias` [D].
public final class LayerNorm: Module, UnaryLayer {
    public let weight: Tensor
    public let bias: Tensor
    public let eps: Float

    public init(_ dim: Int, eps: Float = 1e-6) {
        weight = Tensor(repeating: 1, shape: [dim])
        bias = Tensor(zeros: [dim])
        self.eps = eps
        super.init()
        parameter("weight", weight)
        parameter("bias", bias)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { Tensor.layerNorm(x, weight: weight, bias: bias, eps: eps) }
}

public enum LayerNormPlugin: LayerPlugin {
    public static let name = "layer_norm"
    public static let summary = "layer normalisation over the last dimension (dim, eps = 1e-6)"

    public static let fields: [String]? = ["dim", "eps"]

    public static func build(_ spec: SpecObject, context: BuildContext) throws -> Module {
        let dim = try context.requireInputDim(spec, key: "dim")
        let eps = try spec.normEps("eps")
        try spec.finish()
        try context.budget.reserve(ParameterShapes.layerNorm(dim), path: spec.path)
        return LayerNorm(dim, eps: eps)
    }
}
