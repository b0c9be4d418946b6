import Foundation
import Tensors

/// torchvision's RandomResizedCrop (as timm's RandomResizedCropAndInterpolation): a box of U(scale)·area
/// with a log-uniform aspect ratio (w/h) in `ratio`, 10 attempts, else the central crop nearest the ratio
/// range; the box is then resized to width×height with Pillow's antialiased filter.
public struct RandomResizedCrop: Sendable {
    /// A crop box in input pixels.
    public struct Box: Equatable, Sendable {
        public var x, y, width, height: Int

        public init(x: Int, y: Int, width: Int, height: Int) {
            (self.x, self.y, self.width, self.height) = (x, y, width, height)
        }
    }

    public var width: Int
    public var height: Int
    public var scale: ClosedRange<Double>
    public var ratio: ClosedRange<Double>
    public var filter: ResizeFilter

    public init(
        size: Int = 224, scale: ClosedRange<Double> = 0.08...1, ratio: ClosedRange<Double> = (3.0 / 4)...(4.0 / 3),
        filter: ResizeFilter = .bicubic
    ) {
        self.init(width: size, height: size, scale: scale, ratio: ratio, filter: filter)
    }

    public init(width: Int, height: Int, scale: ClosedRange<Double>, ratio: ClosedRange<Double>, filter: ResizeFilter) {
        precondition(width > 0 && height > 0 && scale.lowerBound > 0 && ratio.lowerBound > 0,
                     "RandomResizedCrop needs a positive size, scale and ratio")
        self.width = width
        self.height = height
        self.scale = scale
        self.ratio = ratio
        self.filter = filter
    }

    /// The crop box for an image of `imageWidth`×`imageHeight` (torchvision's `get_params`, Python rounding).
    public func box(imageWidth: Int, imageHeight: Int, generator: Generator) -> Box {
        let area = Double(imageWidth * imageHeight)
        let logLow = log(ratio.lowerBound), logHigh = log(ratio.upperBound)
        for _ in 0..<10 {
            let targetArea = area * (scale.lowerBound + (scale.upperBound - scale.lowerBound) * generator.uniform())
            let aspect = exp(logLow + (logHigh - logLow) * generator.uniform())
            let w = Int((targetArea * aspect).squareRoot().rounded(.toNearestOrEven))
            let h = Int((targetArea / aspect).squareRoot().rounded(.toNearestOrEven))
            if w > 0 && w <= imageWidth && h > 0 && h <= imageHeight {
                let top = generator.below(imageHeight - h + 1)
                let left = generator.below(imageWidth - w + 1)
                return Box(x: left, y: top, width: w, height: h)
            }
        }
        let inputRatio = Double(imageWidth) / Double(imageHeight)
        var w = imageWidth, h = imageHeight
        if inputRatio < ratio.lowerBound {
            h = Int((Double(w) / ratio.lowerBound).rounded(.toNearestOrEven))
        } else if inputRatio > ratio.upperBound {
            w = Int((Double(h) * ratio.upperBound).rounded(.toNearestOrEven))
        }
        return Box(x: (imageWidth - w) / 2, y: (imageHeight - h) / 2, width: w, height: h)
    }

    public func apply(_ image: RGBImage, generator: Generator) -> RGBImage {
        let b = box(imageWidth: image.width, imageHeight: image.height, generator: generator)
        return image.cropped(x: b.x, y: b.y, width: b.width, height: b.height)
            .resized(width: width, height: height, filter: filter)
    }
}
