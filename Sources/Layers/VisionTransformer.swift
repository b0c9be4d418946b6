import Foundation
import Tensors
import Zoo

/// The ViT encoder of FMAE (timm's VisionTransformer as FMAE's models_vit and models_mae use it).
/// Keys: cls_token, pos_embed, patch_embed.proj.*, blocks.N.*, then norm (token / none pooling) or
/// fc_norm (average pooling).
public final class VisionTransformer: Module, PatchEncoder {
    public let patchEmbed: PatchEmbed
    public let clsToken: Tensor
    public private(set) var positionEmbedding: Tensor
    public let blocks: ModuleList<Block>
    /// `norm` for token and none pooling, `fc_norm` for average pooling.
    public let finalNorm: LayerNorm
    public let pooling: Pooling
    public let imageSize: Int

    public struct Configuration {
        public var imageSize = 224, patchSize = 16, inChannels = 3
        public var embedDim = 768, depth = 12, heads = 12
        public var mlpRatio = 4.0, qkvBias = true, normEps: Float = 1e-6
        public var pooling = Pooling.token
        public var dropPathRate: Float = 0
        public var fixedSinCosPositions = false
        public var initialization = WeightInitialization.mae
        public init() {}
    }

    public init(_ config: Configuration, generator: Generator) {
        imageSize = config.imageSize
        pooling = config.pooling
        patchEmbed = PatchEmbed(patchSize: config.patchSize, inChannels: config.inChannels, embedDim: config.embedDim, generator: generator)
        let grid = config.imageSize / config.patchSize
        clsToken = Tensor.randn([1, 1, config.embedDim], generator: generator, std: 0.02)
        positionEmbedding = Tensor(uninitializedShape: [1, 1 + grid * grid, config.embedDim])
        positionEmbedding.fillTruncatedNormal(generator, std: 0.02)
        // Stochastic depth grows linearly over depth: linspace(0, rate, depth).
        blocks = ModuleList((0..<config.depth).map { i in
            let rate = config.depth > 1 ? config.dropPathRate * Float(i) / Float(config.depth - 1) : 0
            return Block(dim: config.embedDim, heads: config.heads, mlpRatio: config.mlpRatio, qkvBias: config.qkvBias,
                         eps: config.normEps, dropPath: rate, generator: generator)
        })
        finalNorm = LayerNorm(config.embedDim, eps: config.normEps)
        super.init()
        parameter("cls_token", clsToken)
        parameter("pos_embed", positionEmbedding)
        child("patch_embed", patchEmbed)
        child("blocks", blocks)
        child(config.pooling == .average ? "fc_norm" : "norm", finalNorm)
        if config.initialization == .timm { applyTimmInitialization(generator) }
        if config.fixedSinCosPositions { useFixedSinCosPositions() }
    }

    /// Re-draws the weights the way timm's VisionTransformer does (`init_weights`, mode ''): every Linear
    /// weight trunc_normal(0.02) with zero bias, the patch convolution PyTorch's Conv2d default
    /// (kaiming_uniform with a = √5, i.e. U(±1/√fan_in), bias alike), cls token N(0, 1e-6), positions
    /// trunc_normal(0.02). Norms stay ones and zeros.
    private func applyTimmInitialization(_ generator: Generator) {
        let fanIn = Double(inChannels * patchSize * patchSize)
        let bound = 1 / fanIn.squareRoot()
        patchEmbed.weight.fillUniform(generator, lower: -bound, upper: bound)
        patchEmbed.bias.fillUniform(generator, lower: -bound, upper: bound)
        clsToken.fillNormal(generator, std: 1e-6)
        for (key, tensor) in blocks.namedParameters() where tensor.rank == 2 && key.hasSuffix(".weight") {
            tensor.fillTruncatedNormal(generator, std: 0.02)
        }
    }

    public var embedDim: Int { patchEmbed.embedDim }
    public var patchSize: Int { patchEmbed.patchSize }
    public var inChannels: Int { patchEmbed.inChannels }
    public var gridSize: Int { imageSize / patchSize }
    public var patchCount: Int { gridSize * gridSize }

    public func useFixedSinCosPositions() {
        positionEmbedding.assign(sinCosPositionTable(dim: embedDim, gridSize: gridSize))
        fix("pos_embed")
    }

    /// Patch tokens with their positions added: [B, L, D].
    private func embedPatches(_ images: Tensor) -> Tensor {
        precondition(images.rank == 4 && images.shape[2] == imageSize && images.shape[3] == imageSize,
                     "encoder expects images [B, \(inChannels), \(imageSize), \(imageSize)], got \(images.shape)")
        return patchEmbed(images) + positionEmbedding.sliced(dim: 1, 1..<(patchCount + 1))
    }

    /// Prepends the cls token (with its position) to tokens [B, N, D] and runs the blocks.
    private func encode(_ patches: Tensor) -> Tensor {
        let b = patches.shape[0]
        let cls = (clsToken + positionEmbedding.sliced(dim: 1, 0..<1)).expanded(to: [b, 1, embedDim])
        var x = Tensor.concat([cls, patches], dim: 1)
        for block in blocks.items { x = block(x) }
        return x
    }

    public func tokens(_ images: Tensor) -> Tensor {
        let x = encode(embedPatches(images))
        return pooling == .average ? x : finalNorm(x)
    }

    public func features(_ images: Tensor) -> Tensor {
        let x = tokens(images)
        switch pooling {
        case .average:
            return finalNorm(x.sliced(dim: 1, 1..<(patchCount + 1)).mean(dims: [1]))
        case .token, .none:
            return x.sliced(dim: 1, 0..<1).reshaped([x.shape[0], embedDim])
        }
    }

    public func encodeMasked(_ images: Tensor, noise: Tensor, maskRatio: Double) -> MaskedEncoding {
        let x = embedPatches(images)
        let b = x.shape[0], l = patchCount
        let keep = Int(Double(l) * (1 - maskRatio))
        let (idsShuffle, idsRestore) = MaskPlan.shuffle(noise: noise)
        let kept = IndexTensor((0..<b).flatMap { i in idsShuffle[(i * l)..<(i * l + keep)] }, shape: [b, keep])
        let visible = x.gathered(dim: 1, indices: kept)
        // mask: 0 for the first `keep` in shuffled order, 1 after; unshuffled to patch order.
        let mask = Tensor(uninitializedShape: [b, l])
        for i in 0..<b {
            for j in 0..<l { mask.data[i * l + j] = idsRestore[i * l + j] < keep ? 0 : 1 }
        }
        var latent = encode(visible)
        latent = finalNorm(latent)
        return MaskedEncoding(latent: latent, mask: mask, idsRestore: IndexTensor(idsRestore, shape: [b, l]))
    }
}

/// MAE's random masking order from a noise tensor [B, L]: ids_shuffle = argsort(noise) ascending,
/// ids_restore = argsort(ids_shuffle). Ties keep index order.
public enum MaskPlan {
    public static func shuffle(noise: Tensor) -> (idsShuffle: [Int], idsRestore: [Int]) {
        let b = noise.shape[0], l = noise.shape[1]
        var shuffle = [Int](repeating: 0, count: b * l), restore = shuffle
        let p = noise.data
        for i in 0..<b {
            let row = p + i * l
            let order = (0..<l).sorted { row[$0] < row[$1] || (row[$0] == row[$1] && $0 < $1) }
            for (rank, index) in order.enumerated() {
                shuffle[i * l + rank] = index
                restore[i * l + index] = rank
            }
        }
        return (shuffle, restore)
    }
}

public enum VisionTransformerPlugin: LayerPlugin {
    public static let name = "vit"
    public static let summary = "Vision Transformer encoder (img_size, patch_size, in_chans, embed_dim, depth, num_heads, mlp_ratio, qkv_bias, norm_eps, global_pool avg|token|none, drop_path_rate, pos_embed learned|sincos, weight_init timm|mae)"

    public static let fields: [String]? = [
        "img_size", "patch_size", "in_chans", "embed_dim", "depth", "num_heads", "mlp_ratio", "qkv_bias", "norm_eps",
        "global_pool", "drop_path_rate", "pos_embed", "weight_init",
    ]

    public static func build(_ spec: SpecObject, context: BuildContext) throws -> Module {
        var c = VisionTransformer.Configuration()
        c.imageSize = try spec.positiveInt("img_size", default: 224, in: SpecLimits.imageSize)
        c.patchSize = try spec.positiveInt("patch_size", default: 16, in: SpecLimits.patchSize)
        c.inChannels = try spec.positiveInt("in_chans", default: 3, in: SpecLimits.channels)
        c.embedDim = try spec.positiveInt("embed_dim", default: 768, in: SpecLimits.width)
        c.depth = try spec.positiveInt("depth", default: 12, in: SpecLimits.depth)
        c.heads = try spec.headCount(dividing: c.embedDim, dimName: "embed_dim", default: 12)
        let (ratio, hidden) = try spec.mlpHidden(dim: c.embedDim)
        c.mlpRatio = ratio
        c.qkvBias = try spec.bool("qkv_bias", default: true)
        c.normEps = try spec.normEps()
        c.pooling = Pooling(rawValue: try spec.choice("global_pool", Pooling.allCases.map(\.rawValue), default: "token"))!
        c.dropPathRate = Float(try spec.double("drop_path_rate", default: 0, in: 0...0.99))
        c.fixedSinCosPositions = try spec.choice("pos_embed", ["learned", "sincos"], default: "learned") == "sincos"
        c.initialization = WeightInitialization(rawValue: try spec.choice(
            "weight_init", WeightInitialization.allCases.map(\.rawValue), default: context.initialization.rawValue))!
        guard c.imageSize % c.patchSize == 0 else {
            throw SpecError.invalid(path: spec.childPath("patch_size"), message: "img_size \(c.imageSize) is not a multiple of patch_size \(c.patchSize)")
        }
        if c.fixedSinCosPositions && c.embedDim % 4 != 0 {
            throw SpecError.invalid(path: spec.childPath("pos_embed"), message: "sin-cos positions need embed_dim divisible by 4, got \(c.embedDim)")
        }
        try spec.finish()
        let d = c.embedDim, grid = c.imageSize / c.patchSize  // grid ≤ 8192: grid² fits easily
        try context.budget.reserve([[d, c.inChannels, c.patchSize, c.patchSize], [d], [1, 1, d], [1, 1 + grid * grid, d]]
                                   + ParameterShapes.blocks(c.depth, dim: d, hidden: hidden, qkvBias: c.qkvBias)
                                   + ParameterShapes.layerNorm(d), path: spec.path)
        return VisionTransformer(c, generator: context.generator)
    }
}
