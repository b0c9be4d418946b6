import Foundation
import Tensors
import Zoo

/// 2D max pooling in NCHW (torch.nn.MaxPool2d, Keras MaxPooling2D with padding "same" or "valid").
public final class MaxPool2D: Module, UnaryLayer {
    public let kernel: (Int, Int)
    public let stride: (Int, Int)
    public let padding: Padding2D
    public let ceilMode: Bool

    public init(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: Padding2D = .valid, ceilMode: Bool = false) {
        self.kernel = kernel
        self.stride = stride ?? kernel
        self.padding = padding
        self.ceilMode = ceilMode
        super.init()
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        Tensor.maxPool2d(x, kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode)
    }
}

public enum MaxPool2DPlugin: LayerPlugin {
    public static let name = "max_pool2d"
    public static let summary = "2D max pooling (kernel_size, stride = kernel_size, padding: n | [h, w] | [t, b, l, r] | \"same\" | \"valid\", ceil_mode)"

    public static let fields: [String]? = ["kernel_size", "stride", "padding", "ceil_mode"]

    public static func build(_ spec: SpecObject, context: BuildContext) throws -> Module {
        let kernel = try spec.intPair("kernel_size", in: WindowLimits.kernel)
        let stride = try spec.intPair("stride", default: kernel, in: WindowLimits.stride)
        let padding = try spec.padding2D("padding", default: .valid)
        // PyTorch's rule: a side pads at most half the window, so every window holds an input pixel.
        if case let .explicit(top, bottom, left, right) = padding,
           max(top, bottom) > kernel.0 / 2 || max(left, right) > kernel.1 / 2 {
            throw SpecError.invalid(path: spec.childPath("padding"), message:
                "padding \([top, bottom, left, right]) exceeds half the \(kernel.0)×\(kernel.1) window")
        }
        let ceilMode = try spec.bool("ceil_mode", default: false)
        try spec.finish()
        return MaxPool2D(kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode)
    }
}
