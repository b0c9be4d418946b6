import Foundation
import Tensors

/// FMAE's fine-tuning transform, timm's `create_transform(is_training=True, auto_augment='rand-m9-mstd0.5-inc1',
/// re_prob=0.25, re_mode='pixel', re_count=1, interpolation='bicubic')`: RandomResizedCrop (bicubic) →
/// horizontal flip → RandAugment → ToTensor + Normalize → RandomErasing. Colour jitter is off, as timm turns
/// it off when auto-augment is on. Every random draw comes from the generator passed to `apply`, so a
/// generator derived from (seed, epoch, sample) gives the same tensor every time.
public struct TrainAugmentation: Sendable {
    public var size: Int { crop.width }
    public var crop: RandomResizedCrop
    public var flipProbability: Double
    /// nil skips RandAugment.
    public var randAugment: RandAugment?
    /// nil skips random erasing.
    public var erasing: RandomErasing?
    public var mean: [Float]
    public var std: [Float]

    public init(
        size: Int = 224, scale: ClosedRange<Double> = 0.08...1, ratio: ClosedRange<Double> = (3.0 / 4)...(4.0 / 3),
        interpolation: ResizeFilter = .bicubic, flipProbability: Double = 0.5,
        randAugment: RandAugment? = RandAugment(), erasing: RandomErasing? = RandomErasing(),
        mean: [Float] = imagenetMean, std: [Float] = imagenetStd
    ) {
        precondition(mean.count == 3 && std.count == 3, "mean and std need one value per channel")
        self.crop = RandomResizedCrop(size: size, scale: scale, ratio: ratio, filter: interpolation)
        self.flipProbability = flipProbability
        self.randAugment = randAugment
        self.erasing = erasing
        self.mean = mean
        self.std = std
    }

    /// The augmented image before normalisation (crop, flip, RandAugment), for looking at.
    public func augmentedImage(_ image: RGBImage, generator: Generator) -> RGBImage {
        var out = crop.apply(image, generator: generator)
        // torchvision's RandomHorizontalFlip: flip when rand < p.
        if generator.uniform() < flipProbability { out = out.flippedHorizontally() }
        if let randAugment { out = randAugment.apply(out, generator: generator) }
        return out
    }

    /// size×size×3 normalised floats, C×H×W.
    public func apply(_ image: RGBImage, generator: Generator) -> [Float] {
        var tensor = augmentedImage(image, generator: generator).tensorCHW(mean: mean, std: std)
        erasing?.apply(to: &tensor, channels: 3, height: size, width: size, generator: generator)
        return tensor
    }
}

/// FMAE's evaluation transform: resize to size×size (torchvision `Resize([size, size])`, bilinear with
/// Pillow's antialiasing), then ToTensor + Normalize. No randomness.
public struct EvalTransform: Sendable {
    public var size: Int
    public var filter: ResizeFilter
    public var mean: [Float]
    public var std: [Float]

    public init(size: Int = 224, filter: ResizeFilter = .bilinear, mean: [Float] = imagenetMean, std: [Float] = imagenetStd) {
        precondition(size > 0 && mean.count == 3 && std.count == 3, "eval transform needs a size and per-channel statistics")
        self.size = size
        self.filter = filter
        self.mean = mean
        self.std = std
    }

    public func apply(_ image: RGBImage) -> [Float] {
        image.resized(width: size, height: size, filter: filter).tensorCHW(mean: mean, std: std)
    }
}

/// FMAE's pretraining augmentation ("only resize to 224, horizontal flip"): torchvision
/// `Resize((size, size))` (bilinear), RandomHorizontalFlip(0.5), ToTensor + Normalize.
public struct PretrainAugmentation: Sendable {
    public var size: Int
    public var filter: ResizeFilter
    public var flipProbability: Double
    public var mean: [Float]
    public var std: [Float]

    public init(
        size: Int = 224, filter: ResizeFilter = .bilinear, flipProbability: Double = 0.5,
        mean: [Float] = imagenetMean, std: [Float] = imagenetStd
    ) {
        precondition(size > 0 && mean.count == 3 && std.count == 3, "pretrain augmentation needs a size and per-channel statistics")
        self.size = size
        self.filter = filter
        self.flipProbability = flipProbability
        self.mean = mean
        self.std = std
    }

    public func augmentedImage(_ image: RGBImage, generator: Generator) -> RGBImage {
        let resized = image.resized(width: size, height: size, filter: filter)
        return generator.uniform() < flipProbability ? resized.flippedHorizontally() : resized
    }

    public func apply(_ image: RGBImage, generator: Generator) -> [Float] {
        augmentedImage(image, generator: generator).tensorCHW(mean: mean, std: std)
    }
}
