import Foundation
import Zoo

/// `zoo run au`: AU detection fine-tuning (FMAE).
public enum AUTask: TaskPlugin {
    public static let name = "au"
    public static let summary = "fine-tune an encoder for facial action unit detection (FMAE recipe)"
    public static let options = AUFineTuning.commonOptions
    public static func run(_ arguments: TaskArguments) throws { try AUFineTuning.run(arguments, identity: nil) }
}

/// `zoo run iat`: AU fine-tuning with identity adversarial training (FMAE-IAT).
public enum IATTask: TaskPlugin {
    public static let name = "iat"
    public static let summary = "AU fine-tuning with an identity head behind gradient reversal (FMAE-IAT)"
    public static let options = AUFineTuning.commonOptions + [
        TaskOption("lambda", .number, default: "2", help: "gradient reversal strength λ (BP4D 2, BP4D+ 1, DISFA 0.5; 0 disables IAT)"),
        TaskOption("id-head", .string, default: "linear", help: "identity head: linear, or mlp (D → D/2 → subjects with GELU)"),
        TaskOption("id-loss", .string, default: "bce", help: "identity loss: bce (on one-hot, as FMAE) or ce (softmax cross-entropy)"),
        TaskOption("id-lr-scale", .number, default: "1", help: "multiplies the identity head's learning rate (FMAE: 1); a faster adversary keeps up with the encoder"),
    ]
    public static func run(_ arguments: TaskArguments) throws {
        let head = try arguments.string("id-head"), loss = try arguments.string("id-loss")
        guard ["linear", "mlp"].contains(head) else { throw TaskUsageError("--id-head must be linear or mlp, got \(head)") }
        guard ["bce", "ce"].contains(loss) else { throw TaskUsageError("--id-loss must be bce or ce, got \(loss)") }
        let scale = try arguments.double("id-lr-scale")
        guard scale > 0 && scale.isFinite else { throw TaskUsageError("--id-lr-scale must be a positive number, got \(scale)") }
        try AUFineTuning.run(arguments, identity: .init(lambda: try arguments.double("lambda"), head: head, loss: loss, learningRateScale: scale))
    }
}
