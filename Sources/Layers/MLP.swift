import Foundation
import Tensors
import Zoo

/// Linear layers with exact GELU between them: `fc1`, `fc2`, … (timm's Mlp is hidden [4·D]).
public final class MLP: Module, UnaryLayer {
    public let layers: [Linear]

    /// `sizes` = [in, hidden…, out]. The last layer can have its own initialisation (a head's).
    public init(sizes: [Int], lastInitialization: Linear.Initialization = .xavierUniform, generator: Generator) {
        precondition(sizes.count >= 2, "an MLP needs at least input and output sizes")
        layers = (0..<(sizes.count - 1)).map { i in
            Linear(sizes[i], sizes[i + 1], initialization: i == sizes.count - 2 ? lastInitialization : .xavierUniform, generator: generator)
        }
        super.init()
        for (i, l) in layers.enumerated() { child("fc\(i + 1)", l) }
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        var h = x
        for (i, layer) in layers.enumerated() {
            h = layer(h)
            if i < layers.count - 1 { h = h.gelu() }
        }
        return h
    }
}

public enum MLPPlugin: LayerPlugin {
    public static let name = "mlp"
    public static let summary = "linear layers with GELU between: fc1, fc2, … (in_features, hidden [sizes] or hidden_features, out_features)"

    public static let fields: [String]? = ["in_features", "hidden", "hidden_features", "out_features", "init_std"]

    public static func build(_ spec: SpecObject, context: BuildContext) throws -> Module {
        let inFeatures = try context.requireInputDim(spec, key: "in_features")
        var hidden = try spec.intArray("hidden", default: [])
        if spec.has("hidden_features") {
            guard hidden.isEmpty else { throw SpecError.invalid(path: spec.childPath("hidden_features"), message: "give hidden or hidden_features, not both") }
            hidden = [try spec.positiveInt("hidden_features")]
        }
        if hidden.isEmpty { hidden = [inFeatures * 4] }
        for (i, h) in hidden.enumerated() where !SpecLimits.width.contains(h) {
            throw SpecError.invalid(path: "\(spec.childPath("hidden"))[\(i)]", message:
                "expected an integer in \(SpecLimits.width.lowerBound)…\(SpecLimits.width.upperBound), got \(h)")
        }
        let outFeatures = try spec.positiveInt("out_features", default: inFeatures)
        let std = try spec.has("init_std") ? spec.double("init_std", in: SpecLimits.initStd) : nil
        try spec.finish()
        try context.budget.reserve(ParameterShapes.mlp([inFeatures] + hidden + [outFeatures]), path: spec.path)
        return MLP(sizes: [inFeatures] + hidden + [outFeatures],
                   lastInitialization: std.map { .truncatedNormal(std: $0) } ?? .xavierUniform, generator: context.generator)
    }
}
