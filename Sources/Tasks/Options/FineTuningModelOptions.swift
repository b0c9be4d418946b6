import Fetch
import Foundation
import Zoo

/// The model a training task starts from: `--model`, and `--weights` (or `--random-weights`, which a
/// released catalog model needs to start from random weights) with its `--key`.
struct StartingWeightsOptions {
    var model: String
    var weights: String?
    var key: String?
    var randomWeights: Bool
    /// Leave out the checkpoint's classifier head where the model has none (`--drop-head`).
    var dropHead: Bool

    /// The options, with the task's default model and what --weights means to it.
    static func options(model: String, modelHelp: String, weightsHelp: String) -> [TaskOption] {
        [
            TaskOption("model", .string, default: model, help: modelHelp),
            TaskOption("weights", .path, help: weightsHelp),
            TaskOption("key", .string, help: "checkpoint entry holding the state dict"),
            TaskOption("random-weights", .flag, help: "start a released (pretrained/finetuned) catalog model from random weights instead of --weights"),
            TaskOption("drop-head", .flag, help: "leave out the checkpoint's classifier head (head.*) where the model has none, e.g. a timm ImageNet classifier"),
        ]
    }

    init(_ a: TaskArguments) throws {
        model = try a.string("model")
        // A catalog name in --weights is its cached download (fetched first when missing).
        weights = try a.optionalString("weights").map { try WeightsCache().resolveWeights($0, catalog: Catalog.locate()) }
        key = a.optionalString("key")
        randomWeights = a.flag("random-weights")
        dropHead = a.flag("drop-head")
        if weights != nil && randomWeights { throw TaskUsageError("--weights and --random-weights exclude each other") }
    }

    /// The catalog, after refusing a released model without weights (see Catalog.checkWeights).
    func checkedCatalog() throws -> Catalog {
        let catalog = try Catalog.locate()
        try catalog.checkWeights(for: model, weights: weights, randomWeights: randomWeights)
        return catalog
    }
}

/// The encoder a fine-tuning task starts from (StartingWeightsOptions), the new heads' init and drop path.
struct FineTuningModelOptions: TaskOptionGroup {
    var start: StartingWeightsOptions
    var headInitStd: Double
    var dropPath: Double
    var model: String { start.model }
    var weights: String? { start.weights }
    var key: String? { start.key }
    var dropHead: Bool { start.dropHead }

    static let options: [TaskOption] = StartingWeightsOptions.options(
        model: "vit-base-patch16", modelHelp: "encoder: catalog name or JSON spec (its heads are replaced)",
        weightsHelp: "pretrained checkpoint (MAE/FMAE .pth, .safetensors, .h5); random when left out") + [
        TaskOption("head-init-std", .number, help: "std of the new head's trunc-normal weights (default: FMAE's 2e-5 with --weights, timm's 0.02 without)"),
        TaskOption("drop-path", .number, default: "0.1", help: "stochastic depth rate (linear over depth)"),
    ]

    init(_ a: TaskArguments) throws {
        start = try StartingWeightsOptions(a)
        let weights = start.weights
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
