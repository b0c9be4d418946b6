import Foundation
import Tensors

/// A model built from a spec: a classifier (encoder + heads) or an MAE (encoder + decoder).
public enum ZooModel {
    case classifier(ClassifierModel)
    case maskedAutoencoder(MaskedAutoencoderModel)

    public var module: Module {
        switch self {
        case let .classifier(m): return m
        case let .maskedAutoencoder(m): return m
        }
    }

    public var generator: Generator {
        switch self {
        case let .classifier(m): return m.generator
        case let .maskedAutoencoder(m): return m.generator
        }
    }

    public var encoder: any VisionEncoder {
        switch self {
        case let .classifier(m): return m.encoder
        case let .maskedAutoencoder(m): return m.encoder
        }
    }
}

/// Builds models from JSON specs:
/// `{"encoder": {...}, "heads": [{"name", "type", ..., "grad_reverse": λ}]}` or
/// `{"encoder": {...}, "decoder": {...}, "mask_ratio": 0.75, "norm_pix_loss": true}`.
public struct ModelBuilder {
    public var registry: LayerRegistry
    public var seed: UInt64

    public init(registry: LayerRegistry = .shared, seed: UInt64 = 0) {
        self.registry = registry
        self.seed = seed
    }

    /// The most parameters a built model may have; a spec asking for more is refused before allocation.
    public var parameterLimit = ParameterBudget.defaultLimit

    static let classifierFields = ["encoder", "heads"]
    static let maskedAutoencoderFields = ["encoder", "decoder", "mask_ratio", "norm_pix_loss"]
    static let headFields = ["name", "grad_reverse"]

    /// What `validate` reads before anything is built.
    struct CheckedSpec {
        var isMAE: Bool
        var maskRatio: Double
        var normPixelLoss: Bool
        var heads: [(name: String, gradientReversal: Float?, layer: JSONValue, path: String)]
    }

    /// Every check that needs no built layer: the root's fields, each layer's type and fields, head names,
    /// λs and the mask ratio. Layer plugins check their own values' ranges (and reserve their parameters)
    /// before allocating.
    func validate(_ root: SpecObject) throws -> CheckedSpec {
        let isMAE = root.has("decoder")
        let known = isMAE ? ModelBuilder.maskedAutoencoderFields : ModelBuilder.classifierFields
        for (key, _) in root.pairs where !known.contains(key) {
            if key == "heads" && isMAE { throw SpecError.invalid(path: "heads", message: "an MAE spec (with a decoder) has no heads") }
            throw SpecError.unknownField(path: root.childPath(JSONValue.truncatedForMessage(key)), suggestion: closestMatch(to: key, in: known))
        }
        guard let encoderSpec = root.raw("encoder") else { throw SpecError.missing(path: "encoder", expected: "an object") }
        try registry.checkFields(encoderSpec, path: "encoder")
        var checked = CheckedSpec(isMAE: isMAE, maskRatio: 0.75, normPixelLoss: true, heads: [])
        if isMAE {
            try registry.checkFields(root.raw("decoder")!, path: "decoder")
            // MAE needs at least one masked patch (its loss averages over them: none gives 0/0 = NaN)
            // and at least one kept patch for the encoder; the patch count is checked once it is known.
            let ratio = try root.double("mask_ratio", default: 0.75)
            guard ratio > 0 && ratio < 1 else {
                throw SpecError.invalid(path: "mask_ratio", message: "expected a number in (0, 1), got \(ratio)")
            }
            checked.maskRatio = ratio
            checked.normPixelLoss = try root.bool("norm_pix_loss", default: true)
        } else if root.has("heads") {
            var names = Set<String>()
            for (i, value) in try root.array("heads").enumerated() {
                let path = "heads[\(i)]"
                let headSpec = try SpecObject(value, path: path)
                let name = try headSpec.string("name")
                guard !name.isEmpty, !name.contains("."), !names.contains(name) else {
                    throw SpecError.invalid(path: path + ".name", message: "expected a unique name without dots, got \(JSONValue.quoteForMessage(name))")
                }
                names.insert(name)
                let lambda = try headSpec.has("grad_reverse") ? Float(headSpec.double("grad_reverse", in: SpecLimits.gradientReversal)) : nil
                try registry.checkFields(value, path: path, extra: ModelBuilder.headFields)
                // The head plugin reads the remaining fields; strip ours so it does not see them.
                let layer = JSONValue.object(headSpec.pairs.filter { !ModelBuilder.headFields.contains($0.0) })
                checked.heads.append((name, lambda, layer, path))
            }
        }
        return checked
    }

    public func build(_ spec: JSONValue) throws -> ZooModel {
        let root = try SpecObject(spec, path: "")
        let checked = try validate(root)
        let generator = Generator(seed: seed)
        let budget = ParameterBudget(limit: parameterLimit)
        // Like FMAE's code: models_mae initialises the MAE's way, models_vit (classifiers) timm's way.
        let context = BuildContext(registry: registry, generator: generator, initialization: checked.isMAE ? .mae : .timm, budget: budget)
        let encoderSpec = root.raw("encoder")!
        let encoder = try registry.build(encoderSpec, path: "encoder", context: context, as: (any VisionEncoder).self, roleName: "an encoder")

        if checked.isMAE {
            guard let encoder = encoder as? any PatchEncoder else {
                throw SpecError.invalid(path: "encoder", message: "an MAE masks patches: its encoder must be a patch encoder such as vit")
            }
            let patches = encoder.patchCount
            let kept = Int(Double(patches) * (1 - checked.maskRatio))
            guard kept >= 1 && kept < patches else {
                throw SpecError.invalid(path: "mask_ratio", message:
                    "\(checked.maskRatio) of \(patches) patches keeps \(kept); MAE needs at least one kept and one masked patch")
            }
            if encoderSpec["pos_embed"] == nil {
                // An MAE's encoder takes the fixed sin-cos table, which splits the width in quarters.
                guard encoder.embedDim % 4 == 0 else {
                    throw SpecError.invalid(path: "encoder.embed_dim", message:
                        "an MAE's sin-cos positions need embed_dim divisible by 4, got \(encoder.embedDim)")
                }
                encoder.useFixedSinCosPositions()
            }
            var decoderContext = context.with(inputDim: encoder.embedDim)
            decoderContext.encoder = encoder
            decoderContext.initialization = .mae
            let decoder = try registry.build(root.raw("decoder")!, path: "decoder", context: decoderContext,
                                             as: (any MaskedDecoder).self, roleName: "an MAE decoder")
            try root.finish()
            return .maskedAutoencoder(MaskedAutoencoderModel(
                encoder: encoder, decoder: decoder, maskRatio: checked.maskRatio, normPixelLoss: checked.normPixelLoss, generator: generator))
        }

        // Heads sit beside the encoder's keys (`norm`, `blocks`, …) in one state dict: a head named like
        // one would give two tensors the same key.
        let encoderKeys = Set(encoder.namedParameters().compactMap { $0.key.split(separator: ".").first.map(String.init) })
        var heads: [ClassifierModel.Head] = []
        for head in checked.heads {
            guard !encoderKeys.contains(head.name) else {
                throw SpecError.invalid(path: head.path + ".name", message:
                    "head \"\(head.name)\" has the name of an encoder key (\(encoderKeys.sorted().joined(separator: ", ")))")
            }
            let layer = try registry.build(head.layer, path: head.path, context: context.with(inputDim: encoder.embedDim),
                                           as: (any Module & UnaryLayer).self, roleName: "a head")
            heads.append(.init(name: head.name, layer: layer, gradientReversal: head.gradientReversal))
        }
        try root.finish()
        return .classifier(ClassifierModel(encoder: encoder, heads: heads, generator: generator))
    }

    /// Reads a spec file; JSON syntax errors name the file, line and column.
    public static func loadSpec(file: String) throws -> JSONValue {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw SpecError.syntax(file: file, message: "cannot read the file")
        }
        do { return try JSONParser.parse(data) } catch let e as JSONParser.SyntaxError {
            throw SpecError.syntax(file: file, message: e.description)
        }
    }
}
