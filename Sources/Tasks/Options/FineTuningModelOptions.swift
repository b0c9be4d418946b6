import Foundation
import Zoo

/// The encoder a fine-tuning task starts from: `--model` with `--weights` (or `--random-weights`), the
/// new heads' init and drop path.
struct FineTuningModelOptions: TaskOptionGroup {
    var model: String
    var weights: String?
    var key: String?
    var randomWeights: Bool
    var headInitStd: Double
    var dropPath: Double

    static let options: [TaskOption] = [
        TaskOption("model", .string, default: "vit-base-patch16", help: "encoder: catalog name or JSON spec (its heads are replaced)"),
        TaskOption("weights", .path, help: "pretrained checkpoint (MAE/FMAE .pth, .safetensors, .h5); random when left out"),
        TaskOption("key", .string, help: "checkpoint entry holding the state dict"),
        TaskOption("random-weights", .flag, help: "start a released (pretrained/finetuned) catalog model from random weights instead of --weights"),
        TaskOption("head-init-std", .number, help: "std of the new head's trunc-normal weights (default: FMAE's 2e-5 with --weights, timm's 0.02 without)"),
        TaskOption("drop-path", .number, default: "0.1", help: "stochastic depth rate (linear over depth)"),
    ]

    init(_ a: TaskArguments) throws {
        model = try a.string("model")
        weights = a.optionalString("weights")
        key = a.optionalString("key")
        randomWeights = a.flag("random-weights")
        if weights != nil && randomWeights { throw TaskUsageError("--weights and --random-weights exclude each other") }
        dropPath = try a.double("drop-path")
        guard (0..<1).contains(dropPath) else { throw TaskUsageError("--drop-path must be in [0, 1), got \(dropPath)") }
        // FMAE's 2e-5 starts a head on a pretrained encoder at almost zero; on a random encoder a small
        // ViT trained from scratch on the synthetic faces then never leaves chance (measured in zoo and in
        // PyTorch, with timm's and with MAE's encoder init), while timm's 0.02 learns, so without
        // --weights the head gets 0.02.
        if let std = try a.optionalDouble("head-init-std") {
            guard std > 0 && std.isFinite else { throw TaskUsageError("--head-init-std must be a positive number, got \(std)") }
            headInitStd = std
        } else {
            headInitStd = weights == nil ? 0.02 : 2e-5
        }
    }
}

/// Training options every fine-tuning task shares besides the recipe's: augmentation and bad-input skipping.
struct FineTuningDataOptions: TaskOptionGroup {
    var augment: Bool
    var skipBad: Bool

    static let options: [TaskOption] = [
        TaskOption("augment", .flag, help: "FMAE's training augmentation (RandomResizedCrop, flip, RandAugment, random erasing)"),
        TaskOption("skip-bad", .flag, help: "skip unreadable images and bad label lines (counted and reported) instead of stopping"),
    ]

    init(_ a: TaskArguments) throws {
        augment = a.flag("augment")
        skipBad = a.flag("skip-bad")
    }
}
