import Foundation
import Tensors
import Zoo

/// Gradient reversal layer: identity forward, −λ·gradient backward (IAT's identity branch).
public final class GradientReversal: Module, UnaryLayer {
    public let lambda: Float
    public init(lambda: Float) {
        self.lambda = lambda
        super.init()
    }
    public func callAsFunction(_ x: Tensor) -> Tensor { x.gradientReversed(lambda: lambda) }
}

public enum GradientReversalPlugin: LayerPlugin {
    public static let name = "grad_reverse"
    public static let summary = "gradient reversal: identity forward, −λ·grad backward (lambda)"

    public static let fields: [String]? = ["lambda"]

    public static func build(_ spec: SpecObject, context: BuildContext) throws -> Module {
        GradientReversal(lambda: Float(try spec.double("lambda", in: SpecLimits.gradientReversal)))
    }
}
