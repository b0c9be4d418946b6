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

    public func build(_ spec: JSONValue) throws -> ZooModel {
        let root = try SpecObject(spec, path: "")
        let generator = Generator(seed: seed)
        let isMAE = root.has("decoder")
        // Like FMAE's code: models_mae initialises the MAE's way, models_vit (classifiers) timm's way.
        let context = BuildContext(registry: registry, generator: generator, initialization: isMAE ? .mae : .timm)
        guard let encoderSpec = root.raw("encoder") else { throw SpecError.missing(path: "encoder", expected: "an object") }
        let encoder = try registry.build(encoderSpec, path: "encoder", context: context, as: (any VisionEncoder).self, roleName: "an encoder")

        if isMAE {
            guard let encoder = encoder as? any PatchEncoder else {
                throw SpecError.invalid(path: "encoder", message: "an MAE masks patches: its encoder must be a patch encoder such as vit")
            }
            if encoderSpec["pos_embed"] == nil { encoder.useFixedSinCosPositions() }
            let decoder = try registry.build(
                root.raw("decoder")!, path: "decoder",
                context: BuildContext(registry: registry, generator: generator, inputDim: encoder.embedDim, encoder: encoder, initialization: .mae),
                as: (any MaskedDecoder).self, roleName: "an MAE decoder")
            let ratio = try root.double("mask_ratio", default: 0.75)
            guard ratio >= 0 && ratio < 1 else {
                throw SpecError.invalid(path: "mask_ratio", message: "expected a number in [0, 1), got \(ratio)")
            }
            let normPix = try root.bool("norm_pix_loss", default: true)
            if root.has("heads") { throw SpecError.invalid(path: "heads", message: "an MAE spec (with a decoder) has no heads") }
            try root.finish()
            return .maskedAutoencoder(MaskedAutoencoderModel(
                encoder: encoder, decoder: decoder, maskRatio: ratio, normPixelLoss: normPix, generator: generator))
        }

        var heads: [ClassifierModel.Head] = []
        if root.has("heads") {
            for (i, value) in try root.array("heads").enumerated() {
                let path = "heads[\(i)]"
                let headSpec = try SpecObject(value, path: path)
                let name = try headSpec.string("name")
                guard !name.isEmpty, !name.contains("."), !heads.contains(where: { $0.name == name }) else {
                    throw SpecError.invalid(path: path + ".name", message: "expected a unique name without dots, got \"\(name)\"")
                }
                let lambda = try headSpec.has("grad_reverse") ? Float(headSpec.double("grad_reverse")) : nil
                // The head plugin reads the remaining fields; strip ours so it does not see them.
                let layerValue = JSONValue.object(headSpec.pairs.filter { $0.0 != "name" && $0.0 != "grad_reverse" })
                let layer = try registry.build(layerValue, path: path, context: context.with(inputDim: encoder.embedDim),
                                               as: (any Module & UnaryLayer).self, roleName: "a head")
                heads.append(.init(name: name, layer: layer, gradientReversal: lambda))
            }
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
