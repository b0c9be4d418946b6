import Foundation
import Metrics
import Tensors
import Zoo

/// What the identity head of `iat` sends back to the encoder.
public enum IdentityObjective: String, CaseIterable {
    /// FMAE-IAT: the head sits behind gradient reversal, so the encoder climbs the head's own loss
    /// (−λ times its gradient). A strong λ can teach the encoder to point the head at the wrong person,
    /// which takes more identity, not less.
    case reverse
    /// Domain confusion (Tzeng et al., ICCV 2015): the head learns identity from features it cannot
    /// change (stop-gradient), and the encoder minimises λ times the head's loss against the
    /// uninformative target (1/K for every subject), through a copy of the head that does not learn
    /// from it. Its optimum is a head that can tell nobody apart, not one that is confidently wrong.
    case confuse
}

/// The identity branch of `iat`: the head's spec, and the losses it adds to the AU loss.
public struct IdentityAdversary {
    public let settings: AUFineTuning.Identity
    public let subjects: Int

    public init(settings: AUFineTuning.Identity, subjects: Int) {
        self.settings = settings
        self.subjects = subjects
    }

    public static let headName = "ID_head"

    /// The head's entry in the classifier spec; only `reverse` puts gradient reversal in the model.
    public var headSpec: JSONValue {
        var fields: [(String, JSONValue)] = [("name", .string(Self.headName)), ("type", .string(settings.head)),
                                             ("out_features", .integer(subjects))]
        if settings.objective == .reverse { fields.append(("grad_reverse", .number(settings.lambda))) }
        if settings.head == "mlp" { fields.append(("hidden", .array([.integer(-1)]))) }
        return .object(fields)
    }

    /// The identity terms of the training loss for one batch and what to log about them. `output` is the
    /// classifier's forward pass; `onehot` [B, subjects] the batch's identities.
    public func loss(_ output: ClassifierModel.Output, classifier: ClassifierModel, onehot: Tensor) -> (Tensor, [String: Double]) {
        let width = onehot.shape[1]
        let classes = (0..<onehot.shape[0]).map { i in (0..<width).first { onehot.data[i * width + $0] == 1 }! }
        func headLoss(_ logits: Tensor, _ targets: Tensor?) -> Tensor {
            if settings.loss == "ce" {
                // No target tensor: the uninformative target is uniform, label smoothing 1.
                return targets == nil ? Tensor.crossEntropy(logits: logits, targets: classes, labelSmoothing: 1)
                    : Tensor.crossEntropy(logits: logits, targets: classes)
            }
            return Tensor.binaryCrossEntropyWithLogits(logits: logits, targets: targets
                ?? Tensor(repeating: 1 / Float(width), shape: logits.shape))
        }
        let learning: Tensor, total: Tensor
        var logged: [String: Double] = [:]
        switch settings.objective {
        case .reverse:
            // The reversal is in the model's forward pass: one loss teaches the head and pushes the encoder.
            learning = headLoss(output[Self.headName]!, onehot)
            total = learning
        case .confuse:
            let head = classifier.head(named: Self.headName)!.layer
            learning = headLoss(head(output.features.detached()), onehot)
            let confusion = headLoss(withFrozenParameters(head.parameters()) { head(output.features) }, nil)
            total = learning + confusion * Float(settings.lambda)
            logged["id_confusion"] = Double(confusion.item)
        }
        let predicted = ClassificationMetrics.predictedClasses(output[Self.headName]!.scalars, classCount: width)
        logged["id_loss"] = Double(learning.item)
        logged["id_accuracy"] = ClassificationMetrics.topOneAccuracy(predicted: predicted, truth: classes) ?? 0
        return (total, logged)
    }
}
