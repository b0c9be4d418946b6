import Foundation
import Tensors

/// An encoder with named heads on its pooled feature (FMAE fine-tuning; with an identity head behind
/// gradient reversal, FMAE-IAT). The encoder's keys sit at the root (`blocks.0…`, `fc_norm.*`); each
/// head's under its name (`head.weight`, `ID_head.weight`).
public final class ClassifierModel: Module, EncodingModel {
    public struct Head {
        public let name: String
        public let layer: Module & UnaryLayer
        /// λ of the gradient reversal in front of this head; nil reads the feature directly.
        public let gradientReversal: Float?
    }

    public let encoder: any VisionEncoder
    public let heads: [Head]
    /// The generator the layers draw from (initialisation, then dropout and drop-path): its state is
    /// part of a training checkpoint.
    public let generator: Generator

    public init(encoder: any VisionEncoder, heads: [Head], generator: Generator) {
        self.encoder = encoder
        self.heads = heads
        self.generator = generator
        super.init()
        child("", encoder)
        for h in heads { child(h.name, h.layer) }
    }

    public struct Output {
        /// Pooled encoder output [B, D].
        public var features: Tensor
        /// Raw logits per head name, in spec order.
        public var logits: [(name: String, tensor: Tensor)]
        public subscript(head: String) -> Tensor? { logits.first { $0.name == head }?.tensor }
    }

    public func callAsFunction(_ images: Tensor) -> Output {
        let features = encoder.features(images)
        let logits = heads.map { head -> (name: String, tensor: Tensor) in
            let input = head.gradientReversal.map { features.gradientReversed(lambda: $0) } ?? features
            return (head.name, head.layer(input))
        }
        return Output(features: features, logits: logits)
    }

    /// The head called `name`, if the model has one.
    public func head(named name: String) -> Head? { heads.first { $0.name == name } }

    public var featureEncoder: any VisionEncoder { encoder }
    public var inputShape: [Int] { [encoder.inChannels, encoder.imageSize, encoder.imageSize] }

    /// `features` [B, D], then each head's raw logits under its name.
    public func outputs(_ images: Tensor, extra: [String: Tensor]) -> [(name: String, tensor: Tensor)] {
        let out = self(images)
        return [("features", out.features)] + out.logits
    }
}
