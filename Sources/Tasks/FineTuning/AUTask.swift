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
    public static let options = AUFineTuning.commonOptions + IdentityOptions.options
    public static func run(_ arguments: TaskArguments) throws {
        let o = try IdentityOptions(arguments)
        try AUFineTuning.run(arguments, identity: .init(lambda: o.lambda, head: o.head, loss: o.loss, learningRateScale: o.learningRateScale,
                                                          objective: o.objective))
    }
}

/// The identity head of `iat`: gradient reversal strength, head shape, loss and learning-rate factor.
struct IdentityOptions: TaskOptionGroup {
    var lambda: Double
    var head: String
    var loss: String
    var learningRateScale: Double
    var objective: IdentityObjective

    static let options: [TaskOption] = [
        TaskOption("lambda", .number, default: "2", help: "weight λ of what the identity head sends back: gradient reversal strength (BP4D 2, BP4D+ 1, DISFA 0.5) or confusion weight; 0 disables IAT"),
        TaskOption("id-head", .string, default: "linear", help: "identity head: linear, or mlp (D → D/2 → subjects with GELU)"),
        TaskOption("id-loss", .string, default: "bce", help: "identity loss: bce (on one-hot, as FMAE) or ce (softmax cross-entropy)"),
        TaskOption("id-objective", .string, default: "reverse",
                   help: "what the identity head sends back: reverse (gradient reversal, FMAE) or confuse (the encoder pushes the head towards uniform; the head learns on stopped features)"),
        TaskOption("id-lr-scale", .number, default: "1", help: "multiplies the identity head's learning rate (FMAE: 1); a faster adversary keeps up with the encoder"),
    ]

    init(_ a: TaskArguments) throws {
        head = try a.string("id-head")
        loss = try a.string("id-loss")
        guard ["linear", "mlp"].contains(head) else { throw TaskUsageError("--id-head must be linear or mlp, got \(head)") }
        guard ["bce", "ce"].contains(loss) else { throw TaskUsageError("--id-loss must be bce or ce, got \(loss)") }
        let objectiveName = try a.string("id-objective")
        guard let objective = IdentityObjective(rawValue: objectiveName) else {
            let names = IdentityObjective.allCases.map(\.rawValue).joined(separator: " or ")
            throw TaskUsageError("--id-objective must be \(names), got \(objectiveName)")
        }
        self.objective = objective
        learningRateScale = try a.double("id-lr-scale")
        guard learningRateScale > 0 && learningRateScale.isFinite else {
            throw TaskUsageError("--id-lr-scale must be a positive number, got \(learningRateScale)")
        }
        lambda = try a.double("lambda")
        guard lambda >= 0 && lambda.isFinite else { throw TaskUsageError("--lambda must be 0 or more, got \(lambda)") }
    }
}
