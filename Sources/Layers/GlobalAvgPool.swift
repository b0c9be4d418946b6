import Foundation
import Tensors
import Zoo

/// Mean over the spatial dimensions: [N, C, H, W] → [N, C] (Keras GlobalAveragePooling2D), or
/// [N, C, 1, 1] with `keepdims` (torch's AdaptiveAvgPool2d(1)).
public final class GlobalAvgPool: Module, UnaryLayer {
    public let keepDims: Bool
    public init(keepDims: Bool = false) {
        self.keepDims = keepDims
        super.init()
    }
    public func callAsFunction(_ x: Tensor) -> Tensor { x.globalAveragePooled(keepDims: keepDims) }
}

public enum GlobalAvgPoolPlugin: LayerPlugin {
    public static let name = "global_avg_pool"
    public static let summary = "mean over the spatial dimensions, [N, C, H, W] → [N, C] (keepdims)"

    public static let fields: [String]? = ["keepdims"]

    public static func build(_ spec: SpecObject, context: BuildContext) throws -> Module {
        GlobalAvgPool(keepDims: try spec.bool("keepdims", default: false))
    }
}
