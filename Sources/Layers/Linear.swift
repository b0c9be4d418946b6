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

    public static func build(_ spec: SpecObject, context: BuildContext) throws -> Module {
        let inFeatures = try context.requireInputDim(spec, key: "in_features")
        let outFeatures = try spec.positiveInt("out_features")
        let bias = try spec.bool("bias", default: true)
        // Layers default to MAE's xavier init; heads (which receive the encoder's width) to FMAE's
        // trunc_normal(2e-5), unless init_std is given.
        let std = try spec.has("init_std") ? spec.double("init_std") : nil
        let initialization: Linear.Initialization = std.map { .truncatedNormal(std: $0) } ?? .xavierUniform
        return Linear(inFeatures, outFeatures, bias: bias, initialization: initialization, generator: context.generator)
    }
}
