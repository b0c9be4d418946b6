import Foundation
import Tensors
import Zoo

/// Patch embedding: a convolution with kernel = stride = patch (timm's PatchEmbed, key `proj`), run as
/// one GEMM over the patches. `proj.weight` [D, C, p, p], `proj.bias` [D].
public final class PatchEmbed: Module, UnaryLayer {
    public let weight: Tensor
    public let bias: Tensor
    public let patchSize: Int
    public let inChannels: Int
    public let embedDim: Int

    public init(patchSize: Int, inChannels: Int, embedDim: Int, generator: Generator) {
        self.patchSize = patchSize
        self.inChannels = inChannels
        self.embedDim = embedDim
        // MAE initialises the conv like a Linear on its flattened [D, C·p·p] view (xavier uniform).
        weight = Tensor(uninitializedShape: [embedDim, inChannels, patchSize, patchSize])
        let fanIn = inChannels * patchSize * patchSize
        let bound = (6.0 / Double(fanIn + embedDim)).squareRoot()
        weight.fillUniform(generator, lower: -bound, upper: bound)
        bias = Tensor(zeros: [embedDim])
        super.init()
        let proj = Module()
        proj.parameter("weight", weight)
        proj.parameter("bias", bias)
        child("proj", proj)
    }

    /// images [B, C, H, W] → tokens [B, L, D], patches in row-major grid order.
    public func callAsFunction(_ images: Tensor) -> Tensor {
        let b = images.shape[0], c = images.shape[1], p = patchSize
        precondition(images.rank == 4 && c == inChannels && images.shape[2] % p == 0 && images.shape[3] % p == 0,
                     "patch embedding: images \(images.shape) are not [B, \(inChannels), H, W] with H and W multiples of \(p)")
        let h = images.shape[2] / p, w = images.shape[3] / p
        // [B, C, h, p, w, q] → [B, h, w, C, p, q]: each patch flattened in the conv weight's (c, p, q) order.
        let patches = images.reshaped([b, c, h, p, w, p]).permuted([0, 2, 4, 1, 3, 5]).reshaped([b, h * w, c * p * p])
        return Tensor.linear(patches, weight: weight.reshaped([embedDim, c * p * p]), bias: bias)
    }
}

public enum PatchEmbedPlugin: LayerPlugin {
    public static let name = "patch_embed"
    public static let summary = "non-overlapping patch embedding, conv kernel = stride (patch_size, in_chans, embed_dim)"

    public static let fields: [String]? = ["patch_size", "in_chans", "embed_dim"]

    public static func build(_ spec: SpecObject, context: BuildContext) throws -> Module {
        let patch = try spec.positiveInt("patch_size", default: 16, in: SpecLimits.patchSize)
        let channels = try spec.positiveInt("in_chans", default: 3, in: SpecLimits.channels)
        let dim = try context.requireInputDim(spec, key: "embed_dim")
        try spec.finish()
        try context.budget.reserve([[dim, channels, patch, patch], [dim]], path: spec.path)
        return PatchEmbed(patchSize: patch, inChannels: channels, embedDim: dim, generator: context.generator)
    }
}
