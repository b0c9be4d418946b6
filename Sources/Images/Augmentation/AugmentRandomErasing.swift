import Foundation
import Tensors

/// timm's RandomErasing (`timm.data.random_erasing`), applied to a normalised C×H×W tensor: with
/// `probability`, `count` boxes (one by default), each found in up to 10 attempts with an area of
/// U(minArea, maxArea)·H·W / count and a log-uniform aspect ratio, filled per `mode`.
public struct RandomErasing: Sendable {
    /// What an erased box is filled with, in the normalised space.
    public enum Mode: String, Sendable {
        /// Zeros (the dataset mean after normalisation).
        case constant = "const"
        /// One normal(0, 1) value per channel.
        case random = "rand"
        /// Independent normal(0, 1) values per channel and pixel (FMAE's 'pixel').
        case pixel
    }

    /// A box that was erased: rows top..<top+height, columns left..<left+width, all channels.
    public struct Box: Equatable, Sendable {
        public var top, left, height, width: Int

        public init(top: Int, left: Int, height: Int, width: Int) {
            (self.top, self.left, self.height, self.width) = (top, left, height, width)
        }
    }

    public var probability: Double
    public var minArea: Double
    public var maxArea: Double
    public var logAspectRange: ClosedRange<Double>
    public var mode: Mode
    public var minCount: Int
    public var maxCount: Int

    /// FMAE's defaults: p 0.25, area 0.02…1/3, aspect 0.3…1/0.3, per-pixel noise, one box.
    public init(
        probability: Double = 0.25, minArea: Double = 0.02, maxArea: Double = 1.0 / 3, minAspect: Double = 0.3,
        maxAspect: Double? = nil, mode: Mode = .pixel, minCount: Int = 1, maxCount: Int? = nil
    ) {
        precondition(minAspect > 0 && minArea <= maxArea && minCount >= 1, "random erasing needs sensible bounds")
        self.probability = probability
        self.minArea = minArea
        self.maxArea = maxArea
        let upper = maxAspect ?? 1 / minAspect
        self.logAspectRange = log(minAspect)...log(upper)
        self.mode = mode
        self.minCount = minCount
        self.maxCount = maxCount ?? minCount
    }

    /// Erases in place; returns the boxes erased (empty when the coin said no or no attempt fitted).
    @discardableResult
    public func apply(
        to tensor: inout [Float], channels: Int, height: Int, width: Int, generator: Generator
    ) -> [Box] {
        precondition(tensor.count == channels * height * width, "tensor is not \(channels)×\(height)×\(width)")
        if generator.uniform() > probability { return [] }
        let area = Double(height * width)
        let count = minCount == maxCount ? minCount : minCount + generator.below(maxCount - minCount + 1)
        var boxes: [Box] = []
        for _ in 0..<count {
            for _ in 0..<10 {
                let targetArea = (minArea + (maxArea - minArea) * generator.uniform()) * area / Double(count)
                let logAspect = logAspectRange.lowerBound
                    + (logAspectRange.upperBound - logAspectRange.lowerBound) * generator.uniform()
                let aspect = exp(logAspect)
                let h = Int((targetArea * aspect).squareRoot().rounded(.toNearestOrEven))
                let w = Int((targetArea / aspect).squareRoot().rounded(.toNearestOrEven))
                // timm's strict bounds: a box never covers a full row or column.
                guard w < width && h < height else { continue }
                let top = generator.below(height - h + 1)
                let left = generator.below(width - w + 1)
                let box = Box(top: top, left: left, height: h, width: w)
                fill(box, in: &tensor, channels: channels, height: height, width: width, generator: generator)
                boxes.append(box)
                break
            }
        }
        return boxes
    }

    private func fill(
        _ box: Box, in tensor: inout [Float], channels: Int, height: Int, width: Int, generator: Generator
    ) {
        for c in 0..<channels {
            let channelValue: Float = mode == .random ? Float(generator.normal()) : 0
            for y in box.top..<(box.top + box.height) {
                let row = (c * height + y) * width
                for x in box.left..<(box.left + box.width) {
                    tensor[row + x] = mode == .pixel ? Float(generator.normal()) : channelValue
                }
            }
        }
    }
}
