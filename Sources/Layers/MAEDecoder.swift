import Foundation
import Tensors
import Zoo

/// FMAE's MAE decoder: embeds the visible tokens to the decoder width, fills removed positions with
/// `mask_token`, unshuffles, adds fixed sin-cos positions, runs `decoder_blocks`, predicts p²·C pixels
/// per patch. Keys: mask_token, decoder_pos_embed, decoder_embed, decoder_blocks.N, decoder_norm,
/// decoder_pred (all at the model root).
public final class MAEDecoder: Module, MaskedDecoder {
    public let embed: Linear
    public let maskToken: Tensor
    public let positionEmbedding: Tensor
    public let blocks: ModuleList<Block>
    public let norm: LayerNorm
    public let prediction: Linear
    public let dim: Int
    public let patchCount: Int

    public init(encoderDim: Int, patchCount: Int, patchSize: Int, inChannels: Int, dim: Int, depth: Int, heads: Int,
                mlpRatio: Double, normEps: Float, generator: Generator) {
        self.dim = dim
        self.patchCount = patchCount
        embed = Linear(encoderDim, dim, generator: generator)
        maskToken = Tensor.randn([1, 1, dim], generator: generator, std: 0.02)
        let grid = Int(Double(patchCount).squareRoot().rounded())
        positionEmbedding = sinCosPositionTable(dim: dim, gridSize: grid)
        blocks = ModuleList((0..<depth).map { _ in
            Block(dim: dim, heads: heads, mlpRatio: mlpRatio, qkvBias: true, eps: normEps, generator: generator)
        })
        norm = LayerNorm(dim, eps: normEps)
        prediction = Linear(dim, patchSize * patchSize * inChannels, generator: generator)
        super.init()
        parameter("mask_token", maskToken)
        parameter("decoder_pos_embed", positionEmbedding, trainable: false)
        child("decoder_embed", embed)
        child("decoder_blocks", blocks)
        child("decoder_norm", norm)
        child("decoder_pred", prediction)
    }

    /// latent [B, 1 + K, E] (cls first) → prediction [B, L, p²·C]
    public func decode(_ latent: Tensor, idsRestore: IndexTensor) -> Tensor {
        let x = embed(latent)
        let b = x.shape[0], kept = x.shape[1] - 1
        let maskTokens = maskToken.expanded(to: [b, patchCount - kept, dim])
        let shuffled = Tensor.concat([x.sliced(dim: 1, 1..<(kept + 1)), maskTokens], dim: 1)  // [B, L, Dd]
        let unshuffled = shuffled.gathered(dim: 1, indices: idsRestore)
        var h = Tensor.concat([x.sliced(dim: 1, 0..<1), unshuffled], dim: 1) + positionEmbedding
        for block in blocks.items { h = block(h) }
        let pred = prediction(norm(h))
        return pred.sliced(dim: 1, 1..<(patchCount + 1))
    }
}

public enum MAEDecoderPlugin: LayerPlugin {
    public static let name = "mae_decoder"
    public static let summary = "MAE decoder: mask tokens, unshuffle, sin-cos positions, blocks, pixel prediction (embed_dim = 512, depth = 8, num_heads = 16, mlp_ratio = 4)"

    public static let fields: [String]? = ["embed_dim", "depth", "num_heads", "mlp_ratio", "norm_eps"]

    public static func build(_ spec: SpecObject, context: BuildContext) throws -> Module {
        guard let encoder = context.encoder else {
            throw SpecError.invalid(path: spec.path, message: "an mae_decoder needs an encoder (use it as a model's \"decoder\")")
        }
        let dim = try spec.positiveInt("embed_dim", default: 512)
        let heads = try spec.headCount(dividing: dim, dimName: "embed_dim", default: 16)
        guard dim % 4 == 0 else {
            throw SpecError.invalid(path: spec.childPath("embed_dim"), message: "sin-cos positions need embed_dim divisible by 4, got \(dim)")
        }
        let depth = try spec.positiveInt("depth", default: 8, in: SpecLimits.depth)
        let (ratio, hidden) = try spec.mlpHidden(dim: dim)
        let eps = try spec.normEps()
        try spec.finish()
        let pixels = encoder.patchSize * encoder.patchSize * encoder.inChannels  // ≤ 1024² · 64
        try context.budget.reserve(ParameterShapes.linear(encoder.embedDim, dim) + [[1, 1, dim], [1, 1 + encoder.patchCount, dim]]
                                   + ParameterShapes.blocks(depth, dim: dim, hidden: hidden, qkvBias: true)
                                   + ParameterShapes.layerNorm(dim) + ParameterShapes.linear(dim, pixels), path: spec.path)
        return MAEDecoder(encoderDim: encoder.embedDim, patchCount: encoder.patchCount, patchSize: encoder.patchSize,
                          inChannels: encoder.inChannels, dim: dim, depth: depth, heads: heads, mlpRatio: ratio, normEps: eps,
                          generator: context.generator)
    }
}
