import Foundation
import Tensors

/// How an encoder turns its tokens into one feature vector per image.
public enum Pooling: String, CaseIterable, Sendable {
    /// Mean of the patch tokens (cls excluded), then `fc_norm` (FMAE fine-tuning).
    case average = "avg"
    /// `norm`, then the cls token.
    case token
    /// `norm`, all tokens kept (MAE pretraining).
    case none
}

/// What MAE masking keeps and how to undo the shuffle.
public struct MaskedEncoding {
    /// Encoded visible tokens with the cls token first: [B, 1 + K, D].
    public var latent: Tensor
    /// 1 where a patch was removed, 0 where kept, in patch order: [B, L].
    public var mask: Tensor
    /// For each patch position, its place in the shuffled order: [B, L].
    public var idsRestore: IndexTensor

    public init(latent: Tensor, mask: Tensor, idsRestore: IndexTensor) {
        self.latent = latent
        self.mask = mask
        self.idsRestore = idsRestore
    }
}

/// An image encoder: images [B, C, H, W] → one feature vector per image [B, D]. What heads, the identity
/// probe and `predict --features` need; a ViT, or the raw-pixel baseline.
public protocol VisionEncoder: Module {
    var embedDim: Int { get }
    var imageSize: Int { get }
    var inChannels: Int { get }
    /// Pooled features [B, D] (for `none` pooling, the normed cls token).
    func features(_ images: Tensor) -> Tensor
}

/// An encoder over a grid of patches that MAE can mask (ViT): what pretraining and reconstruction need
/// on top of `VisionEncoder`.
public protocol PatchEncoder: VisionEncoder {
    var patchSize: Int { get }
    /// Number of patches L.
    var patchCount: Int { get }
    var pooling: Pooling { get }
    /// Tokens after the encoder's final norm (or before `fc_norm` for average pooling): [B, 1 + L, D].
    func tokens(_ images: Tensor) -> Tensor
    /// MAE's encoder pass: add positions, keep the patches whose noise is smallest, encode.
    func encodeMasked(_ images: Tensor, noise: Tensor, maskRatio: Double) -> MaskedEncoding
    /// Replaces the position embedding by FMAE's fixed 2D sin-cos table and stops training it.
    func useFixedSinCosPositions()
}

/// An MAE decoder: encoded visible tokens → per-patch pixel predictions [B, L, p²·C].
public protocol MaskedDecoder: Module {
    func decode(_ latent: Tensor, idsRestore: IndexTensor) -> Tensor
}

/// What every model a family builds is: a module from images [B, C, H, W] to named outputs. What
/// `predict` on tensors, `bench`, weight loading and the trainer's checkpoints need, whatever the family.
public protocol ImageModel: Module {
    /// The image shape [C, H, W] the model takes.
    var inputShape: [Int] { get }
    /// The generator the layers draw from (initialisation, dropout, drop path, masking): its state is part
    /// of a training checkpoint.
    var generator: Generator { get }
    /// Optional inputs besides the images that `predict` reads from its input file when present, by
    /// name, with their shape for a batch of `batch` (MAE's masking `noise` [B, L]). None by default.
    func extraInputShapes(batch: Int) -> [(name: String, shape: [Int])]
    /// The model's outputs by name, in a fixed order (a classifier's features and logits per head).
    func outputs(_ images: Tensor, extra: [String: Tensor]) -> [(name: String, tensor: Tensor)]
}

extension ImageModel {
    public func extraInputShapes(batch: Int) -> [(name: String, shape: [Int])] { [] }
}

/// A model with an image encoder whose pooled features a probe or `predict --features` can use on its own
/// (a classifier's encoder, an MAE's encoder).
public protocol EncodingModel: ImageModel {
    var featureEncoder: any VisionEncoder { get }
}
