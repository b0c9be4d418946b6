import Foundation
import Tensors
import Zoo

/// y = x·Wᵀ + b (torch.nn.Linear): `weight` [out, in], `bias` [out].
public final class Linear: Module, UnaryLayer {
    public let weight: Tensor
    public let bias: Tensor?

    public enum Initialization {
        /// MAE's default for every Linear: U(±sqrt(6 / (in + out))).
        case xavierUniform
        /// timm's trunc_normal_(std) with bounds ±2 (heads use std 2e-5 in FMAE fine-tuning).
        case truncatedNormal(std: Double)
    }

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, initialization: Initialization = .xavierUniform, generator: Generator) {
        let w = Tensor(uninitializedShape: [outFeatures, inFeatures])
        switch initialization {
        case .xavierUniform:
            let bound = (6.0 / Double(inFeatures + outFeatures)).squareRoot()
            w.fillUniform(generator, lower: -bound, upper: bound)
        case let .truncatedNormal(std):
            w.fillTruncatedNormal(generator, std: std)
        }
        weight = w
        self.bias = bias ? Tensor(zeros: [outFeatures]) : nil
        super.init()
        parameter("weight", weight)
        if let b = self.bias { parameter("bias", b) }
    }

    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }

    public func callAsFunction(_ x: Tensor) -> Tensor { Tensor.linear(x, weight: weight, bias: bias) }
}

public enum LinearPlugin: LayerPlugin {
    public static let name = "linear"
    public static let summary = "fully connected layer y = x·Wᵀ + b (in_features, out_features, bias, init_std)"

    public static let fields: [String]? = ["in_features", "out_features", "bias", "init_std"]

    public static func build(_ spec: SpecObject, context: BuildContext) throws -> Module {
        let inFeatures = try context.requireInputDim(spec, key: "in_features")
        let outFeatures = try spec.positiveInt("out_features")
        let bias = try spec.bool("bias", default: true)
        // Every linear layer, heads included, defaults to MAE's xavier init; init_std selects timm's
        // trunc_normal(std) instead. FMAE's fine-tuning heads use 2e-5: the fine-tuning tasks write init_std
        // into the head they add (--head-init-std); a spec's own heads get xavier unless they say so.
        let std = try spec.has("init_std") ? spec.double("init_std", in: SpecLimits.initStd) : nil
        let initialization: Linear.Initialization = std.map { .truncatedNormal(std: $0) } ?? .xavierUniform
        try spec.finish()
        try context.budget.reserve(ParameterShapes.linear(inFeatures, outFeatures, bias: bias), path: spec.path)
        return Linear(inFeatures, outFeatures, bias: bias, initialization: initialization, generator: context.generator)
    }
}
