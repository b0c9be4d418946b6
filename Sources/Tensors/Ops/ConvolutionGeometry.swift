import Foundation

/// How a 2D convolution or pooling window pads its input.
public enum Padding2D: Equatable, Sendable {
    /// Zeros (or −∞ for max pooling) on each side, in pixels: PyTorch's numbers, or Keras' asymmetric "same".
    case explicit(top: Int, bottom: Int, left: Int, right: Int)
    /// The output keeps ⌈input / stride⌉ pixels; the padding that needs goes half before and the odd
    /// pixel after (TensorFlow's rule, which Keras uses; with stride 1 it is PyTorch's padding="same").
    case same
    /// No padding.
    case valid

    /// The same padding on both sides of each axis (PyTorch's `padding=(h, w)`).
    public static func symmetric(_ h: Int, _ w: Int) -> Padding2D { .explicit(top: h, bottom: h, left: w, right: w) }
}

/// The sizes of one 2D window operation (convolution, max pooling) on one input, resolved: the padding
/// in pixels on each side and the output size. Computed once per call from the input's spatial size.
public struct WindowGeometry: Equatable, Sendable {
    public var inputHeight: Int, inputWidth: Int
    public var kernelHeight: Int, kernelWidth: Int
    public var strideHeight: Int, strideWidth: Int
    public var dilationHeight: Int, dilationWidth: Int
    public var padTop: Int, padBottom: Int, padLeft: Int, padRight: Int
    public var outputHeight: Int, outputWidth: Int

    /// Resolves `padding` for an input of `inputHeight` × `inputWidth`, or nil when the window does not fit
    /// (the output would have no pixel). `ceilMode` is PyTorch's pooling rule: the last window may start
    /// inside the input or the left padding but never in the right padding.
    public init?(inputHeight: Int, inputWidth: Int, kernel: (Int, Int), stride: (Int, Int), dilation: (Int, Int) = (1, 1),
                 padding: Padding2D, ceilMode: Bool = false) {
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
        (kernelHeight, kernelWidth) = kernel
        (strideHeight, strideWidth) = stride
        (dilationHeight, dilationWidth) = dilation
        let extentH = dilation.0 * (kernel.0 - 1) + 1, extentW = dilation.1 * (kernel.1 - 1) + 1
        switch padding {
        case let .explicit(top, bottom, left, right):
            (padTop, padBottom, padLeft, padRight) = (top, bottom, left, right)
        case .valid:
            (padTop, padBottom, padLeft, padRight) = (0, 0, 0, 0)
        case .same:
            func split(_ size: Int, _ stride: Int, _ extent: Int) -> (Int, Int) {
                let out = (size + stride - 1) / stride
                let total = max((out - 1) * stride + extent - size, 0)
                return (total / 2, total - total / 2)
            }
            (padTop, padBottom) = split(inputHeight, stride.0, extentH)
            (padLeft, padRight) = split(inputWidth, stride.1, extentW)
        }
        // PyTorch's pooling_output_shape, with the two sides' padding added separately.
        func outputSize(_ size: Int, _ before: Int, _ after: Int, _ stride: Int, _ extent: Int) -> Int {
            let span = size + before + after - extent
            guard span >= 0 else { return 0 }
            var out = (ceilMode ? span + stride - 1 : span) / stride + 1
            if ceilMode && (out - 1) * stride >= size + before { out -= 1 }
            return out
        }
        outputHeight = outputSize(inputHeight, padTop, padBottom, stride.0, extentH)
        outputWidth = outputSize(inputWidth, padLeft, padRight, stride.1, extentW)
        guard outputHeight > 0 && outputWidth > 0 else { return nil }
    }

    public var outputPixels: Int { outputHeight * outputWidth }
    public var inputPixels: Int { inputHeight * inputWidth }

    /// The output columns `ox` whose input column `ox·stride + offset` lies inside the input: the rest read
    /// padding. Lets the packing loops copy the inside and zero the edges without a test per pixel.
    @inline(__always)
    func insideRange(offset: Int, stride: Int, input: Int, output: Int) -> Range<Int> {
        // ox·stride + offset ≥ 0  ⇔  ox ≥ ⌈−offset / stride⌉;   ox·stride + offset ≤ input − 1.
        let low = offset >= 0 ? 0 : (-offset + stride - 1) / stride
        let lastInside = input - 1 - offset
        let high = lastInside < 0 ? 0 : min(output, lastInside / stride + 1)
        return low < high ? low..<high : 0..<0
    }
}
