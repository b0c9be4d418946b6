import Foundation
import Tensors
import Zoo

/// Merges dimensions start_dim…end_dim into one (torch.nn.Flatten): [N, C, H, W] → [N, C·H·W] by default.
public final class Flatten: Module, UnaryLayer {
    public let startDim: Int, endDim: Int
    public init(startDim: Int = 1, endDim: Int = -1) {
        self.startDim = startDim
        self.endDim = endDim
        super.init()
    }
    public func callAsFunction(_ x: Tensor) -> Tensor { x.flattened(startDim: startDim, endDim: endDim) }
}

public enum FlattenPlugin: LayerPlugin {
    public static let name = "flatten"
    public static let summary = "merge dimensions start_dim = 1 … end_dim = -1 into one"

    public static let fields: [String]? = ["start_dim", "end_dim"]

    public static func build(_ spec: SpecObject, context: BuildContext) throws -> Module {
        Flatten(startDim: try spec.dimension("start_dim", default: 1), endDim: try spec.dimension("end_dim", default: -1))
    }
}
