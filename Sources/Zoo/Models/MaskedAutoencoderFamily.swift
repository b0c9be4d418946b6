import Foundation
import Tensors

/// FMAE's masked autoencoder: a patch encoder (ViT) and a decoder over its masked patches.
/// `{"type": "mae", "encoder": {...}, "decoder": {...}, "mask_ratio": 0.75, "norm_pix_loss": true}`.
public enum MaskedAutoencoderFamily: ModelFamily {
    public static let name = "mae"
    public static let summary = "a masked autoencoder: a ViT encoder over a random part of the patches and a light pixel decoder (MAE, FMAE pretraining)"
    public static let roles = ["predict", "pretrain", "reconstruct", "id-probe"]

    static let fields = ["encoder", "decoder", "mask_ratio", "norm_pix_loss"]

    /// Without a `type`, a spec with a decoder.
    public static func recognizesUntyped(_ root: SpecObject) -> Bool { root.has("decoder") }

    public static func build(_ root: SpecObject, context: ModelBuildContext) throws -> any ImageModel {
        if root.has("heads") { throw SpecError.invalid(path: "heads", message: "an MAE spec (with a decoder) has no heads") }
        try checkRootFields(root, known: fields)
        guard let encoderSpec = root.raw("encoder") else { throw SpecError.missing(path: "encoder", expected: "an object") }
        try context.layers.checkFields(encoderSpec, path: "encoder")
        guard let decoderSpec = root.raw("decoder") else { throw SpecError.missing(path: "decoder", expected: "an object") }
        try context.layers.checkFields(decoderSpec, path: "decoder")
        // MAE needs at least one masked patch (its loss averages over them: none gives 0/0 = NaN) and at
        // least one kept patch for the encoder; the patch count is checked once it is known.
        let maskRatio = try root.double("mask_ratio", default: 0.75)
        guard maskRatio > 0 && maskRatio < 1 else {
            throw SpecError.invalid(path: "mask_ratio", message: "expected a number in (0, 1), got \(maskRatio)")
        }
        let normPixelLoss = try root.bool("norm_pix_loss", default: true)

        // Like FMAE's models_mae: the MAE's own initialisation.
        let layerContext = context.layerContext(initialization: .mae)
        let built = try context.layers.build(encoderSpec, path: "encoder", context: layerContext, as: (any VisionEncoder).self, roleName: "an encoder")
        guard let encoder = built as? any PatchEncoder else {
            throw SpecError.invalid(path: "encoder", message: "an MAE masks patches: its encoder must be a patch encoder such as vit")
        }
        let patches = encoder.patchCount
        let kept = Int(Double(patches) * (1 - maskRatio))
        guard kept >= 1 && kept < patches else {
            throw SpecError.invalid(path: "mask_ratio", message:
                "\(maskRatio) of \(patches) patches keeps \(kept); MAE needs at least one kept and one masked patch")
        }
        if encoderSpec["pos_embed"] == nil {
            // An MAE's encoder takes the fixed sin-cos table, which splits the width in quarters.
            guard encoder.embedDim % 4 == 0 else {
                throw SpecError.invalid(path: "encoder.embed_dim", message:
                    "an MAE's sin-cos positions need embed_dim divisible by 4, got \(encoder.embedDim)")
            }
            encoder.useFixedSinCosPositions()
        }
        var decoderContext = layerContext.with(inputDim: encoder.embedDim)
        decoderContext.encoder = encoder
        let decoder = try context.layers.build(decoderSpec, path: "decoder", context: decoderContext, as: (any MaskedDecoder).self, roleName: "an MAE decoder")
        return MaskedAutoencoderModel(encoder: encoder, decoder: decoder, maskRatio: maskRatio, normPixelLoss: normPixelLoss, generator: context.generator)
    }

    public static func describe(_ model: any ImageModel) -> [(String, JSONValue)] {
        guard let m = model as? MaskedAutoencoderModel else { return [] }
        return [("input", .array(m.inputShape.map { .integer($0) })),
                ("patches", .integer(m.encoder.patchCount)),
                ("mask_ratio", .number(m.maskRatio)),
                ("norm_pix_loss", .bool(m.normPixelLoss))]
    }

    public static func adapt(_ state: inout StateDict, to model: any ImageModel, options: WeightLoader.Options) throws {
        // An MAE has no heads: a fine-tuned checkpoint's are left out only when asked (--drop-head).
        ViTCheckpointFilter.leaveOutHeads(&state, modelHeads: [], model: model, options: options)
        ViTCheckpointFilter.resamplePositions(&state, keys: ["pos_embed", "decoder_pos_embed"], model: model)
    }

    public static func loadHint(for problems: LoadError, model: any ImageModel) -> String? {
        ViTCheckpointFilter.dropHeadHint(for: problems)
    }
}
