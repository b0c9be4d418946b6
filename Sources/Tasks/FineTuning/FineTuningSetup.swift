import Foundation
import Images
import Tensors
import Training
import Zoo

/// What every fine-tuning task does before its first step: read the training options, build --model's
/// encoder with average pooling, drop path and the task's heads, load pretrained weights (decoder and
/// mismatched heads dropped, positions resampled), make FMAE's parameter groups and the trainer, resume
/// when asked, and record the options and the exact model spec in the run folder.
struct FineTuningSetup {
    let model: ZooModel
    let classifier: ClassifierModel
    let trainer: Trainer
    let run: RunFolder
    let options: TrainingOptions
    let spec: JSONValue

    /// Options every fine-tuning task shares (the task adds its data options).
    static let trainingOptions: [TaskOption] = [
        TaskOption("model", .string, default: "vit-base-patch16", help: "encoder: catalog name or JSON spec (its heads are replaced)"),
        TaskOption("weights", .path, default: nil, help: "pretrained checkpoint (MAE/FMAE .pth, .safetensors, .h5); random when left out"),
        TaskOption("key", .string, default: nil, help: "checkpoint entry holding the state dict"),
        TaskOption("head-init-std", .number, default: nil, help: "std of the new head's trunc-normal weights (default: FMAE's 2e-5 with --weights, timm's 0.02 without)"),
        TaskOption("out", .path, help: "run folder (options, metrics.jsonl, checkpoint/, summary.json)"),
        TaskOption("resume", .flag, help: "continue the run in --out from its last checkpoint"),
        TaskOption("epochs", .integer, default: "20", help: "training epochs"),
        TaskOption("warmup-epochs", .number, default: "2", help: "linear warm-up epochs"),
        TaskOption("batch-size", .integer, default: "64", help: "images per step"),
        TaskOption("accum", .integer, default: "1", help: "gradient accumulation steps"),
        TaskOption("blr", .number, default: "5e-4", help: "base learning rate; lr = blr · batch · accum / 256"),
        TaskOption("min-lr", .number, default: "1e-6", help: "cosine floor"),
        TaskOption("weight-decay", .number, default: "0.05", help: "AdamW decoupled weight decay (not on biases, norms, tokens)"),
        TaskOption("layer-decay", .number, default: "0.65", help: "layer-wise learning-rate decay"),
        TaskOption("drop-path", .number, default: "0.1", help: "stochastic depth rate (linear over depth)"),
        TaskOption("clip-grad", .number, default: nil, help: "clip the gradient norm to this value"),
        TaskOption("save-every", .integer, default: "5", help: "checkpoint every N epochs (and at the end)"),
        TaskOption("augment", .flag, help: "FMAE's training augmentation (RandomResizedCrop, flip, RandAugment, random erasing)"),
        TaskOption("seed", .integer, default: "0", help: "seed of weights, data order and augmentation"),
        TaskOption("skip-bad", .flag, help: "skip unreadable images and bad label lines (counted and reported) instead of stopping"),
    ]

    /// `extraLearningRateScales`: lr multipliers by key prefix on top of FMAE's groups (IAT's identity head).
    init(_ a: TaskArguments, heads: [JSONValue], extraLearningRateScales: [(prefix: String, scale: Float)] = []) throws {
        run = try RunFolder(path: try a.string("out"))
        let o = try TrainingOptions(a)
        options = o

        let (_, base) = try Catalog.locate().spec(for: try a.string("model"))
        spec = try Self.fineTuningSpec(from: base, heads: heads, dropPath: try a.double("drop-path"))
        model = try ModelBuilder(seed: o.seed).build(spec)
        guard case let .classifier(c) = model else { throw TaskUsageError("--model must describe an encoder") }
        classifier = c
        if let weights = a.optionalString("weights") {
            for note in try WeightLoader.load(weights, into: model, options: .init(strict: false, dropMismatchedHeads: true, key: a.optionalString("key"))) {
                log("weights: \(note)")
            }
        }
        let depth = c.encoder.namedParameters().compactMap { $0.key.hasPrefix("blocks.") ? Int($0.key.split(separator: ".")[1]) : nil }.max().map { $0 + 1 } ?? 0
        let groups = ParameterGroups.make(model.module.namedParameters(), depth: depth, weightDecay: o.weightDecay, layerDecay: o.layerDecay,
                                          extraScales: extraLearningRateScales)
        trainer = Trainer(model: model, groups: groups, options: o, run: run)
        if a.flag("resume") { try trainer.resume(from: run) } else { try run.startFresh() }
        try run.writeJSON("options.json", .object(a.values.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))
        // The exact model this run trains, so `eval`, `predict` and `id-probe` can rebuild it (--run DIR).
        try run.writeJSON("model.json", spec)
    }

    /// The trunc-normal std of a task's new head. FMAE's 2e-5 starts a head on a pretrained encoder at
    /// almost zero; on a random encoder a small ViT trained from scratch on the synthetic faces then never
    /// leaves chance (measured in zoo and in PyTorch, with timm's and with MAE's encoder init), while
    /// timm's 0.02 learns, so without --weights the head gets 0.02.
    static func headInitStd(_ a: TaskArguments) throws -> Double {
        if let std = try a.optionalDouble("head-init-std") {
            guard std > 0 && std.isFinite else { throw TaskUsageError("--head-init-std must be a positive number, got \(std)") }
            return std
        }
        return a.optionalString("weights") == nil ? 0.02 : 2e-5
    }

    /// --model's encoder with average pooling and drop path, and the given heads. A head whose `hidden`
    /// is [-1] gets half the encoder width (FMAE's D → D/2 → S identity head).
    static func fineTuningSpec(from base: JSONValue, heads: [JSONValue], dropPath: Double) throws -> JSONValue {
        guard case let .object(fields)? = base["encoder"] else { throw TaskUsageError("--model has no encoder") }
        var encoder = fields
        // FMAE's fine-tuning settings are a ViT's; other encoders (the pixel baseline) have none of them.
        if base["encoder"]?["type"] == .string("vit") {
            encoder = fields.filter { $0.0 != "global_pool" && $0.0 != "drop_path_rate" && $0.0 != "pos_embed" }
            encoder.append(("global_pool", .string("avg")))
            encoder.append(("drop_path_rate", .number(dropPath)))
        }
        let embed: Int = { if case let .integer(d)? = base["encoder"]?["embed_dim"] { return d } else { return 768 } }()
        let fixedHeads = heads.map { head -> JSONValue in
            guard case let .object(f) = head else { return head }
            return .object(f.map { $0.0 == "hidden" ? ("hidden", .array([.integer(embed / 2)])) : $0 })
        }
        return .object([("encoder", .object(encoder)), ("heads", .array(fixedHeads))])
    }

    /// Writes summary.json: the task, epochs run, last loss, skipped entries and the final metrics.
    func writeSummary(task: String, metrics: [String: Double], skipped: Int, extra: [(String, JSONValue)] = []) throws {
        var summary: [(String, JSONValue)] = [("task", .string(task)), ("epochs", .integer(trainer.epoch)),
                                              ("final_train_loss", trainer.losses.last.map { .number(Double($0)) } ?? .null),
                                              ("skipped", .integer(skipped))]
        for (k, v) in metrics.sorted(by: { $0.key < $1.key }) { summary.append((k, v.isFinite ? .number(v) : .null)) }
        try run.writeJSON("summary.json", .object(summary + extra))
    }
}

func log(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
