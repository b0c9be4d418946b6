import Foundation
import Tensors
import Zoo

/// Parametric ReLU (torch.nn.PReLU): x where x > 0, else a·x, with `weight` [num_parameters], one slope
/// shared by all channels or one per channel (dimension 1), as MTCNN uses after every convolution.
public final class PReLU: Module, UnaryLayer {
    public let weight: Tensor

    public init(parameters: Int = 1, initialSlope: Float = 0.25) {
        weight = Tensor(repeating: initialSlope, shape: [parameters])
        super.init()
        parameter("weight", weight)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { Tensor.prelu(x, weight: weight) }
}

public enum PReLUPlugin: LayerPlugin {
    public static let name = "prelu"
    public static let summary = "parametric ReLU, one slope or one per channel (num_parameters = 1, init = 0.25)"

    public static let fields: [String]? = ["num_parameters", "init"]

    public static func build(_ spec: SpecObject, context: BuildContext) throws -> Module {
        let count = try spec.positiveInt("num_parameters", default: 1)
        let initial = Float(try spec.double("init", default: 0.25, in: -1e4...1e4))
        try spec.finish()
        try context.budget.reserve([[count]], path: spec.path)
        return PReLU(parameters: count, initialSlope: initial)
    }
}
