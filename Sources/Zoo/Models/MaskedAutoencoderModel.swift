import Foundation
import Tensors

/// FMAE's masked autoencoder: a ViT encoder sees a random 25 % of the patches, a light decoder predicts
/// the pixels of all of them, and the loss counts only the removed ones. Encoder and decoder keys share
/// the root, as in FMAE's checkpoints (`blocks.*`, `decoder_blocks.*`, `mask_token`).
public final class MaskedAutoencoderModel: Module, EncodingModel {
    public let encoder: any PatchEncoder
    public let decoder: any MaskedDecoder
    public let maskRatio: Double
    public let normPixelLoss: Bool
    /// The generator the layers draw from (initialisation, drop-path) and the masking noise when none
    /// is given: its state is part of a training checkpoint.
    public let generator: Generator

    public init(encoder: any PatchEncoder, decoder: any MaskedDecoder, maskRatio: Double, normPixelLoss: Bool, generator: Generator) {
        self.encoder = encoder
        self.decoder = decoder
        self.maskRatio = maskRatio
        self.normPixelLoss = normPixelLoss
        self.generator = generator
        super.init()
        child("", encoder)
        child("", decoder)
    }

    public struct Output {
        /// Mean over removed patches of the per-patch MSE: a scalar.
        public var loss: Tensor
        /// Predicted patches [B, L, p²·C] (normalised pixels when norm-pix loss is on).
        public var prediction: Tensor
        /// 1 for removed patches: [B, L].
        public var mask: Tensor
    }

    /// `noise` [B, L] decides the masking (ascending order = kept first); drawn uniform when nil.
    public func callAsFunction(_ images: Tensor, noise: Tensor? = nil) -> Output {
        let b = images.shape[0], l = encoder.patchCount
        let noise = noise ?? Tensor.rand([b, l], generator: generator)
        precondition(noise.shape == [b, l], "MAE noise must be [\(b), \(l)], got \(noise.shape)")
        let encoded = encoder.encodeMasked(images, noise: noise, maskRatio: maskRatio)
        let prediction = decoder.decode(encoded.latent, idsRestore: encoded.idsRestore)
        // The target is data, not a function of the model: no gradient flows into it.
        let target = withNoGrad { MaskedAutoencoderModel.patchify(images, patchSize: encoder.patchSize) }
        let loss = MaskedAutoencoderModel.reconstructionLoss(
            prediction: prediction, target: normPixelLoss ? MaskedAutoencoderModel.normalizePatches(target) : target,
            mask: encoded.mask)
        return Output(loss: loss, prediction: prediction, mask: encoded.mask)
    }

    public var featureEncoder: any VisionEncoder { encoder }
    public var inputShape: [Int] { [encoder.inChannels, encoder.imageSize, encoder.imageSize] }

    /// The masking noise [B, L]: with it, a prediction repeats PyTorch's exactly.
    public func extraInputShapes(batch: Int) -> [(name: String, shape: [Int])] { [("noise", [batch, encoder.patchCount])] }

    /// `loss`, `pred` and `mask`; `extra["noise"]` decides the masking when given.
    public func outputs(_ images: Tensor, extra: [String: Tensor]) -> [(name: String, tensor: Tensor)] {
        let out = self(images, noise: extra["noise"])
        return [("loss", out.loss), ("pred", out.prediction), ("mask", out.mask)]
    }

    /// images [B, C, H, W] → patches [B, L, p·p·C], channel last within a patch ((p, q, c) order).
    public static func patchify(_ images: Tensor, patchSize p: Int) -> Tensor {
        let b = images.shape[0], c = images.shape[1], h = images.shape[2] / p, w = images.shape[3] / p
        return images.reshaped([b, c, h, p, w, p]).permuted([0, 2, 4, 3, 5, 1]).reshaped([b, h * w, p * p * c])
    }

    /// patches [B, L, p·p·C] → images [B, C, H, W] (square grid), the inverse of `patchify`.
    public static func unpatchify(_ patches: Tensor, patchSize p: Int, channels c: Int) -> Tensor {
        let b = patches.shape[0], l = patches.shape[1]
        let h = Int(Double(l).squareRoot().rounded())
        precondition(h * h == l && patches.shape[2] == p * p * c, "unpatchify: \(patches.shape) is not a square grid of \(p)×\(p)×\(c) patches")
        return patches.reshaped([b, h, h, p, p, c]).permuted([0, 5, 1, 3, 2, 4]).reshaped([b, c, h * p, h * p])
    }

    /// Per patch (x − mean) / sqrt(var + 1e-6), var unbiased (torch's default), as FMAE's norm_pix_loss.
    public static func normalizePatches(_ patches: Tensor) -> Tensor {
        mapPatches(patches, like: patches) { x, mean, spread in (x - mean) / spread }
    }

    /// The inverse of norm-pix for a prediction: each patch takes the mean and spread of the matching
    /// patch of `target` (what MAE's visualisation does).
    public static func denormalizePatches(_ prediction: Tensor, like target: Tensor) -> Tensor {
        mapPatches(prediction, like: target) { x, mean, spread in x * spread + mean }
    }

    /// Applies `f(value, mean, sqrt(unbiased var + 1e-6))` to each patch of `values`, with the statistics
    /// of the same patch of `reference`.
    static func mapPatches(_ values: Tensor, like reference: Tensor, _ f: (Double, Double, Double) -> Double) -> Tensor {
        precondition(values.shape == reference.shape, "patch shapes \(values.shape) and \(reference.shape) differ")
        let d = reference.shape.last!
        let out = Tensor(uninitializedShape: values.shape)
        for r in 0..<(reference.count / d) {
            let row = reference.data + r * d, v = values.data + r * d, o = out.data + r * d
            var sum: Double = 0
            for j in 0..<d { sum += Double(row[j]) }
            let mean = sum / Double(d)
            var sq: Double = 0
            for j in 0..<d { let c = Double(row[j]) - mean; sq += c * c }
            let spread = (sq / Double(max(d - 1, 1)) + 1e-6).squareRoot()
            for j in 0..<d { o[j] = Float(f(Double(v[j]), mean, spread)) }
        }
        return out
    }

    /// Mean over removed patches of the per-patch mean squared error.
    public static func reconstructionLoss(prediction: Tensor, target: Tensor, mask: Tensor) -> Tensor {
        let perPatch = (prediction - target).squared().mean(dims: [-1])  // [B, L]
        return (perPatch * mask).sum() / mask.sum().item
    }
}
