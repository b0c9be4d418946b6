import Foundation
import Tensors
import Zoo

/// max(x, 0) (torch.nn.ReLU, Keras Activation("relu")).
public final class ReLU: Module, UnaryLayer {
    public override init() { super.init() }
    public func callAsFunction(_ x: Tensor) -> Tensor { x.relu() }
}

public enum ReLUPlugin: LayerPlugin {
    public static let name = "relu"
    public static let summary = "rectified linear unit max(x, 0)"

    public static let fields: [String]? = []

    public static func build(_ spec: SpecObject, context: BuildContext) throws -> Module { ReLU() }
}
