import Foundation
import Tensors

/// An image encoder (a ViT, the raw-pixel baseline) with named heads on its pooled feature: FMAE
/// fine-tuning, FMAE-IAT, a headless feature encoder.
/// `{"type": "classifier", "encoder": {...}, "heads": [{"name", "type", ..., "grad_reverse": λ}]}`.
public enum ClassifierFamily: ModelFamily {
    public static let name = "classifier"
    public static let summary = "an image encoder (vit, pixels) with named heads on its pooled feature (FMAE, FMAE-IAT)"
    public static let roles = ["predict", "eval", "au", "iat", "fer", "id-probe"]

    static let fields = ["encoder", "heads"]
    static let headFields = ["name", "grad_reverse"]

    /// Without a `type`, any spec that has no MAE decoder.
    public static func recognizesUntyped(_ root: SpecObject) -> Bool { !root.has("decoder") }

    struct CheckedHead {
        var name: String
        var gradientReversal: Float?
        var layer: JSONValue
        var path: String
    }

    /// Every check that needs no built layer: root fields, the encoder's type and fields, head names and λs.
    static func validate(_ root: SpecObject, layers: LayerRegistry) throws -> [CheckedHead] {
        if root.has("decoder") { throw SpecError.invalid(path: "decoder", message: "a classifier has no decoder (an MAE spec has type \"mae\")") }
        try checkRootFields(root, known: fields)
        guard let encoderSpec = root.raw("encoder") else { throw SpecError.missing(path: "encoder", expected: "an object") }
        try layers.checkFields(encoderSpec, path: "encoder")
        guard root.has("heads") else { return [] }
        var names = Set<String>()
        var heads: [CheckedHead] = []
        for (i, value) in try root.array("heads").enumerated() {
            let path = "heads[\(i)]"
            let headSpec = try SpecObject(value, path: path)
            let name = try headSpec.string("name")
            guard !name.isEmpty, !name.contains("."), !names.contains(name) else {
                throw SpecError.invalid(path: path + ".name", message: "expected a unique name without dots, got \(JSONValue.quoteForMessage(name))")
            }
            names.insert(name)
            let lambda = try headSpec.has("grad_reverse") ? Float(headSpec.double("grad_reverse", in: SpecLimits.gradientReversal)) : nil
            try layers.checkFields(value, path: path, extra: headFields)
            // The head plugin reads the remaining fields; strip ours so it does not see them.
            let layer = JSONValue.object(headSpec.pairs.filter { !headFields.contains($0.0) })
            heads.append(CheckedHead(name: name, gradientReversal: lambda, layer: layer, path: path))
        }
        return heads
    }

    public static func build(_ root: SpecObject, context: ModelBuildContext) throws -> any ImageModel {
        let checked = try validate(root, layers: context.layers)
        // Like FMAE's models_vit: a classifier initialises timm's way.
        let layerContext = context.layerContext(initialization: .timm)
        let encoder = try context.layers.build(root.raw("encoder")!, path: "encoder", context: layerContext,
                                               as: (any VisionEncoder).self, roleName: "an encoder")
        // Heads sit beside the encoder's keys (`norm`, `blocks`, …) in one state dict: a head named like
        // one would give two tensors the same key.
        let encoderKeys = Set(encoder.namedParameters().compactMap { $0.key.split(separator: ".").first.map(String.init) })
        var heads: [ClassifierModel.Head] = []
        for head in checked {
            guard !encoderKeys.contains(head.name) else {
                throw SpecError.invalid(path: head.path + ".name", message:
                    "head \"\(head.name)\" has the name of an encoder key (\(encoderKeys.sorted().joined(separator: ", ")))")
            }
            let layer = try context.layers.build(head.layer, path: head.path, context: layerContext.with(inputDim: encoder.embedDim),
                                                 as: (any Module & UnaryLayer).self, roleName: "a head")
            heads.append(.init(name: head.name, layer: layer, gradientReversal: head.gradientReversal))
        }
        return ClassifierModel(encoder: encoder, heads: heads, generator: context.generator)
    }

    public static func describe(_ model: any ImageModel) -> [(String, JSONValue)] {
        guard let m = model as? ClassifierModel else { return [] }
        return [("input", .array(m.inputShape.map { .integer($0) })),
                ("features", .integer(m.encoder.embedDim)),
                ("heads", .array(m.heads.map { .string($0.name) }))]
    }

    public static func adapt(_ state: inout StateDict, to model: any ImageModel, options: WeightLoader.Options) throws {
        let heads = (model as? ClassifierModel)?.heads.map(\.name) ?? []
        ViTCheckpointFilter.leaveOutHeads(&state, modelHeads: heads, model: model, options: options)
        ViTCheckpointFilter.resamplePositions(&state, keys: ["pos_embed"], model: model)
    }

    public static func loadHint(for problems: LoadError, model: any ImageModel) -> String? {
        ViTCheckpointFilter.dropHeadHint(for: problems)
    }
}
