import Foundation
import Tensors
import Zoo

/// Batch normalisation over channel dimension 1 (torch.nn.BatchNorm2d, any rank ≥ 2): `weight`, `bias`,
/// `running_mean`, `running_var` [C], in PyTorch's state-dict order. The running statistics are fixed
/// parameters: loaded and saved with the weights, never given to an optimiser, moved only by training
/// mode's momentum update. (PyTorch's `num_batches_tracked` counter is not kept: it only matters for
/// momentum None.)
public final class BatchNorm: Module, UnaryLayer {
    public let weight: Tensor?
    public let bias: Tensor?
    public let runningMean: Tensor
    public let runningVariance: Tensor
    public let eps: Float
    public let momentum: Float
    public let unbiasedRunningVariance: Bool

    public init(_ channels: Int, eps: Float = 1e-5, momentum: Float = 0.1, affine: Bool = true, unbiasedRunningVariance: Bool = true) {
        weight = affine ? Tensor(repeating: 1, shape: [channels]) : nil
        bias = affine ? Tensor(zeros: [channels]) : nil
        runningMean = Tensor(zeros: [channels])
        runningVariance = Tensor(repeating: 1, shape: [channels])
        self.eps = eps
        self.momentum = momentum
        self.unbiasedRunningVariance = unbiasedRunningVariance
        super.init()
        if let weight { parameter("weight", weight) }
        if let bias { parameter("bias", bias) }
        parameter("running_mean", runningMean, trainable: false)
        parameter("running_var", runningVariance, trainable: false)
    }

    /// Training mode: batch statistics, and the running ones updated; evaluation: the running ones.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        Tensor.batchNorm(x, weight: weight, bias: bias, runningMean: runningMean, runningVariance: runningVariance, training: training,
                         momentum: momentum, eps: eps, unbiasedRunningVariance: unbiasedRunningVariance)
    }
}

public enum BatchNormPlugin: LayerPlugin {
    public static let name = "batch_norm"
    public static let summary = "batch normalisation over channels, dim 1 (num_features, eps = 1e-5, momentum = 0.1, affine, running_var_unbiased = true; Keras: false)"

    public static let fields: [String]? = ["num_features", "eps", "momentum", "affine", "running_var_unbiased"]

    public static func build(_ spec: SpecObject, context: BuildContext) throws -> Module {
        let channels = try spec.positiveInt("num_features")
        let eps = Float(try spec.double("eps", default: 1e-5, in: SpecLimits.normEps))
        // PyTorch's convention: the weight of the new batch (Keras' momentum m is 1 − m here).
        let momentum = Float(try spec.double("momentum", default: 0.1, in: 0...1))
        let affine = try spec.bool("affine", default: true)
        let unbiased = try spec.bool("running_var_unbiased", default: true)
        try spec.finish()
        try context.budget.reserve(Array(repeating: [channels], count: affine ? 4 : 2), path: spec.path)
        return BatchNorm(channels, eps: eps, momentum: momentum, affine: affine, unbiasedRunningVariance: unbiased)
    }
}
