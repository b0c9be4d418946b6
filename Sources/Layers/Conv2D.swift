import Foundation
import Tensors
import Zoo

/// 2D convolution in NCHW (torch.nn.Conv2d): `weight` [O, C/groups, kh, kw], `bias` [O]. Groups equal to
/// the input channels make it depthwise.
public final class Conv2D: Module, UnaryLayer {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: (Int, Int)
    public let padding: Padding2D
    public let dilation: (Int, Int)
    public let groups: Int

    public init(inChannels: Int, outChannels: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1), padding: Padding2D = .valid,
                dilation: (Int, Int) = (1, 1), groups: Int = 1, bias: Bool = true, generator: Generator) {
        precondition(inChannels % groups == 0 && outChannels % groups == 0, "conv2d: \(inChannels) → \(outChannels) channels in \(groups) groups")
        weight = Tensor(uninitializedShape: [outChannels, inChannels / groups, kernel.0, kernel.1])
        let fanIn = inChannels / groups * kernel.0 * kernel.1
        fillPyTorchDefault(weight, fanIn: fanIn, generator: generator)
        self.bias = bias ? Tensor(uninitializedShape: [outChannels]) : nil
        if let b = self.bias { fillPyTorchDefault(b, fanIn: fanIn, generator: generator) }
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        super.init()
        parameter("weight", weight)
        if let b = self.bias { parameter("bias", b) }
    }

    public var inChannels: Int { weight.shape[1] * groups }
    public var outChannels: Int { weight.shape[0] }

    /// x [N, C, H, W] → [N, O, Ho, Wo].
    public func callAsFunction(_ x: Tensor) -> Tensor {
        Tensor.conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
}

/// The numbers of one convolution read from a spec, shared by `conv2d` and `separable_conv2d`.
struct ConvolutionOptions {
    var kernel: (Int, Int)
    var stride: (Int, Int)
    var padding: Padding2D
    var dilation: (Int, Int)

    static let fields = ["kernel_size", "stride", "padding", "dilation"]

    init(_ spec: SpecObject) throws {
        kernel = try spec.intPair("kernel_size", in: WindowLimits.kernel)
        stride = try spec.intPair("stride", default: (1, 1), in: WindowLimits.stride)
        padding = try spec.padding2D("padding", default: .valid)
        dilation = try spec.intPair("dilation", default: (1, 1), in: WindowLimits.dilation)
    }
}

public enum Conv2DPlugin: LayerPlugin {
    public static let name = "conv2d"
    public static let summary = "2D convolution, NCHW (in_channels, out_channels, kernel_size, stride, padding: n | [h, w] | [t, b, l, r] | \"same\" | \"valid\", dilation, groups, bias)"

    public static let fields: [String]? = ["in_channels", "out_channels", "groups", "bias"] + ConvolutionOptions.fields

    public static func build(_ spec: SpecObject, context: BuildContext) throws -> Module {
        let inChannels = try spec.positiveInt("in_channels")
        let outChannels = try spec.positiveInt("out_channels")
        let options = try ConvolutionOptions(spec)
        let groups = try spec.positiveInt("groups", default: 1)
        guard inChannels % groups == 0, outChannels % groups == 0 else {
            throw SpecError.invalid(path: spec.childPath("groups"), message:
                "\(groups) groups must divide in_channels \(inChannels) and out_channels \(outChannels)")
        }
        let bias = try spec.bool("bias", default: true)
        try spec.finish()
        let weightShape = [outChannels, inChannels / groups, options.kernel.0, options.kernel.1]
        try context.budget.reserve(bias ? [weightShape, [outChannels]] : [weightShape], path: spec.path)
        return Conv2D(inChannels: inChannels, outChannels: outChannels, kernel: options.kernel, stride: options.stride,
                      padding: options.padding, dilation: options.dilation, groups: groups, bias: bias, generator: context.generator)
    }
}
