import Foundation
import Tensors

/// FMAE's optimiser groups (MAE's `param_groups_lrd`): no weight decay on 1-D tensors (biases, norms) and
/// the names in `noDecayNames` (fine-tuning: the embedding tokens; pretraining, as MAE's
/// `add_weight_decay` with an empty skip list: none); layer-wise learning-rate decay over the ViT's depth, with patch embedding, cls token and
/// positions at layer 0, block i at layer i + 1, and everything after the blocks (fc_norm, heads) at the
/// last layer with scale 1.
public enum ParameterGroups {
    /// Names that get no weight decay when fine-tuning (timm's `no_weight_decay`), besides every 1-D tensor.
    public static let noDecayNames: Set<String> = ["pos_embed", "cls_token", "mask_token", "dist_token", "decoder_pos_embed"]

    /// The layer a parameter belongs to for lr decay, with `depth` transformer blocks.
    public static func layerIndex(of key: String, depth: Int) -> Int {
        if ["cls_token", "pos_embed", "mask_token", "dist_token"].contains(key) || key.hasPrefix("patch_embed.") { return 0 }
        if key.hasPrefix("blocks.") {
            let parts = key.split(separator: ".")
            if parts.count > 1, let i = Int(parts[1]) { return i + 1 }
        }
        return depth + 1
    }

    /// Groups for `parameters` (state-dict key, tensor); trainable tensors only. `layerDecay` 1 turns
    /// layer-wise decay off (pretraining). `extraScales` multiplies the lr of the parameters under a key
    /// prefix (an adversary that must keep up with the encoder, e.g. IAT's `ID_head.`).
    public static func make(_ parameters: [(key: String, tensor: Tensor)], depth: Int, weightDecay: Float, layerDecay: Float = 1,
                            extraScales: [(prefix: String, scale: Float)] = [], noDecayNames: Set<String> = ParameterGroups.noDecayNames) -> [ParameterGroup] {
        var groups: [String: ParameterGroup] = [:]
        var order: [String] = []
        let layers = depth + 1
        for (key, tensor) in parameters where tensor.requiresGrad {
            let decay: Float = (tensor.rank == 1 || key.hasSuffix(".bias") || noDecayNames.contains(key)) ? 0 : weightDecay
            let layer = layerIndex(of: key, depth: depth)
            var scale = powf(layerDecay, Float(layers - layer))
            var name = "layer\(layer)_\(decay == 0 ? "no_decay" : "decay")"
            if let extra = extraScales.first(where: { key.hasPrefix($0.prefix) }) {
                scale *= extra.scale
                name += "_\(extra.prefix)"
            }
            if groups[name] == nil {
                groups[name] = ParameterGroup(parameters: [], lrScale: scale, weightDecay: decay)
                order.append(name)
            }
            groups[name]!.parameters.append(tensor)
        }
        return order.map { groups[$0]! }
    }
}

/// Linear warm-up, then a half-cosine to `minimum`, evaluated per iteration at fractional epochs
/// (MAE's `adjust_learning_rate`).
public struct CosineSchedule: Sendable {
    public var base: Double
    public var minimum: Double
    public var warmupEpochs: Double
    public var epochs: Double

    public init(base: Double, minimum: Double = 1e-6, warmupEpochs: Double, epochs: Double) {
        self.base = base
        self.minimum = minimum
        self.warmupEpochs = warmupEpochs
        self.epochs = epochs
    }

    /// The learning rate at `epoch` (fractional: epoch + step / stepsPerEpoch).
    public func rate(at epoch: Double) -> Double {
        if epoch < warmupEpochs { return base * epoch / warmupEpochs }
        let span = max(epochs - warmupEpochs, 1e-12)
        return minimum + (base - minimum) * 0.5 * (1 + cos(Double.pi * (epoch - warmupEpochs) / span))
    }
}
