import Foundation
import Tensors
import Zoo

/// Keras' SeparableConv2D: a depthwise convolution (each input channel with `depth_multiplier` kernels of
/// its own, no bias) followed by a pointwise 1×1 convolution that carries the bias. Keys `depthwise.weight`
/// [C·multiplier, 1, kh, kw] and `pointwise.weight` [O, C·multiplier, 1, 1], `pointwise.bias` [O].
/// Keras' depthwise_kernel [kh, kw, C, multiplier] maps to depthwise channel c·multiplier + m, the order
/// of PyTorch's grouped convolution.
public final class SeparableConv2D: Module, UnaryLayer {
    public let depthwise: Conv2D
    public let pointwise: Conv2D

    public init(inChannels: Int, outChannels: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1), padding: Padding2D = .valid,
                dilation: (Int, Int) = (1, 1), depthMultiplier: Int = 1, bias: Bool = true, generator: Generator) {
        let mid = inChannels * depthMultiplier
        depthwise = Conv2D(inChannels: inChannels, outChannels: mid, kernel: kernel, stride: stride, padding: padding,
                           dilation: dilation, groups: inChannels, bias: false, generator: generator)
        pointwise = Conv2D(inChannels: mid, outChannels: outChannels, kernel: (1, 1), bias: bias, generator: generator)
        super.init()
        child("depthwise", depthwise)
        child("pointwise", pointwise)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { pointwise(depthwise(x)) }
}

public enum SeparableConv2DPlugin: LayerPlugin {
    public static let name = "separable_conv2d"
    public static let summary = "depthwise then pointwise 1×1 convolution, Keras SeparableConv2D (in_channels, out_channels, kernel_size, depth_multiplier, stride, padding, dilation, bias)"

    public static let fields: [String]? = ["in_channels", "out_channels", "depth_multiplier", "bias"] + ConvolutionOptions.fields

    public static func build(_ spec: SpecObject, context: BuildContext) throws -> Module {
        let inChannels = try spec.positiveInt("in_channels")
        let outChannels = try spec.positiveInt("out_channels")
        let options = try ConvolutionOptions(spec)
        let multiplier = try spec.positiveInt("depth_multiplier", default: 1, in: 1...1024)
        let bias = try spec.bool("bias", default: true)
        try spec.finish()
        // in_channels ≤ 2^20 and the multiplier ≤ 2^10: the product fits, and the budget bounds it.
        let mid = inChannels * multiplier
        var shapes = [[mid, 1, options.kernel.0, options.kernel.1], [outChannels, mid, 1, 1]]
        if bias { shapes.append([outChannels]) }
        try context.budget.reserve(shapes, path: spec.path)
        return SeparableConv2D(inChannels: inChannels, outChannels: outChannels, kernel: options.kernel, stride: options.stride,
                               padding: options.padding, dilation: options.dilation, depthMultiplier: multiplier, bias: bias,
                               generator: context.generator)
    }
}
