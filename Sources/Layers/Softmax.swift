import Foundation
import Tensors
import Zoo

/// Softmax along one dimension (torch.nn.Softmax(dim), Keras Activation("softmax") on the last axis).
public final class Softmax: Module, UnaryLayer {
    public let dim: Int
    public init(dim: Int = -1) {
        self.dim = dim
        super.init()
    }
    public func callAsFunction(_ x: Tensor) -> Tensor { x.softmax(dim: dim) }
}

public enum SoftmaxPlugin: LayerPlugin {
    public static let name = "softmax"
    public static let summary = "softmax along a dimension (dim = -1; MTCNN's P-Net uses 1 on [N, 2, H, W])"

    public static let fields: [String]? = ["dim"]

    public static func build(_ spec: SpecObject, context: BuildContext) throws -> Module {
        Softmax(dim: try spec.dimension("dim", default: -1))
    }
}
