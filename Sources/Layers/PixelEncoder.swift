import Foundation
import Tensors
import Zoo

/// The raw-pixel baseline: an "encoder" whose feature is the normalised image itself, flattened
/// (channel, row, column order). With a linear head it is a linear classifier on pixels, trained by the
/// same tasks, data, loss and metrics as a ViT, which is what makes it a fair floor to beat.
///
///     images [B, C, H, W] → features [B, C·H·W]
public final class PixelEncoder: Module, VisionEncoder {
    public let imageSize: Int
    public let inChannels: Int
    public var embedDim: Int { inChannels * imageSize * imageSize }

    public init(imageSize: Int, inChannels: Int) {
        self.imageSize = imageSize
        self.inChannels = inChannels
        super.init()
    }

    public func features(_ images: Tensor) -> Tensor {
        precondition(images.shape.count == 4 && Array(images.shape.dropFirst()) == [inChannels, imageSize, imageSize],
                     "pixels encoder expects [B, \(inChannels), \(imageSize), \(imageSize)], got \(images.shape)")
        return images.reshaped([images.shape[0], embedDim])
    }
}

public enum PixelEncoderPlugin: LayerPlugin {
    public static let name = "pixels"
    public static let summary = "raw-pixel baseline encoder: the normalised image flattened to C·H·W features (img_size, in_chans)"

    public static let fields: [String]? = ["img_size", "in_chans"]

    /// Large enough for 224 × 224 RGB (150,528 features); a bigger image would make the head's weight alone
    /// outgrow memory for a baseline that gains nothing from it.
    static let maximumFeatures = 3 * 256 * 256

    public static func build(_ spec: SpecObject, context: BuildContext) throws -> Module {
        let size = try spec.positiveInt("img_size", default: 224, in: SpecLimits.imageSize)
        let channels = try spec.positiveInt("in_chans", default: 3, in: SpecLimits.channels)
        guard channels * size * size <= maximumFeatures else {
            throw SpecError.invalid(path: spec.childPath("img_size"),
                                    message: "\(channels) × \(size) × \(size) pixel features is more than the \(maximumFeatures) a pixels encoder allows")
        }
        return PixelEncoder(imageSize: size, inChannels: channels)
    }
}
