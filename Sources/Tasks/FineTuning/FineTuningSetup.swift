import Foundation
import Images
import Tensors
import Training
import Zoo

/// What every fine-tuning task does before its first step: read the training options, open the run
/// folder (new, --overwrite or --resume), build --model's encoder with average pooling, drop path and the
/// task's heads, load pretrained weights (decoder and mismatched heads dropped, positions resampled), make
/// FMAE's parameter groups and the trainer, resume when asked, and record the exact model spec.
struct FineTuningSetup {
    let model: ZooModel
    let classifier: ClassifierModel
    let trainer: Trainer
    let run: RunFolder
    let options: TrainingOptions
    let modelOptions: FineTuningModelOptions
    let data: FineTuningDataOptions
    let spec: JSONValue
    /// How the run began; `.finished` means there is nothing to do.
    let start: TrainingStart

    /// Options every fine-tuning task shares (the task adds its data options).
    static let trainingOptions: [TaskOption] = FineTuningModelOptions.options + RunOutputOptions.options
        + TrainingOptions.options(.fineTuning) + FineTuningDataOptions.options

    /// Reads the shared options; `heads` get the head init std once it is known.
    /// `extraLearningRateScales`: lr multipliers by key prefix on top of FMAE's groups (IAT's identity head).
    init(_ a: TaskArguments, heads: (Double) -> [JSONValue], extraLearningRateScales: [(prefix: String, scale: Float)] = []) throws {
        let o = try TrainingOptions(a, recipe: .fineTuning)
        options = o
        modelOptions = try FineTuningModelOptions(a)
        data = try FineTuningDataOptions(a)
        let output = try RunOutputOptions(a)
        let catalog = try modelOptions.start.checkedCatalog()
        let (_, base) = try catalog.spec(for: modelOptions.model)
        spec = try Self.fineTuningSpec(from: base, heads: heads(modelOptions.headInitStd), dropPath: modelOptions.dropPath)
        model = try ModelBuilder(seed: o.seed).build(spec)
        let c = try model.role(ClassifierModel.self, "an encoder with heads", for: "zoo run \(a.task) --model")
        classifier = c
        // Opened only once every option has been checked: a mistake leaves --out as it was.
        run = try RunFolder.open(output, task: a.task, options: a.values)
        if let weights = modelOptions.weights {
            for note in try WeightLoader.load(weights, into: model, options: .init(strict: false, dropMismatchedHeads: true, dropHead: modelOptions.dropHead, key: modelOptions.key)) {
                log("weights: \(note)")
            }
        }
        let depth = c.encoder.namedParameters().compactMap { $0.key.hasPrefix("blocks.") ? Int($0.key.split(separator: ".")[1]) : nil }.max().map { $0 + 1 } ?? 0
        let groups = ParameterGroups.make(model.module.namedParameters(), depth: depth, weightDecay: o.weightDecay, layerDecay: o.layerDecay,
                                          extraScales: extraLearningRateScales)
        trainer = Trainer(model: model, groups: groups, options: o, run: run)
        trainer.replicaBuilder = { [spec] in try ModelBuilder(seed: o.seed).build(spec) }
        start = try trainer.start(resume: output.resume)
        if case let .finished(epochs) = start {
            log("\(run.path): the run is finished (\(epochs) of \(o.epochs) epochs); its results are in \(run.path)/summary.json. Nothing to do.")
        } else {
            // The exact model this run trains, so `eval`, `predict` and `id-probe` can rebuild it (--run DIR).
            try run.writeJSON("model.json", spec)
        }
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
        try run.writeSummary(task: task, fields: [("epochs", .integer(trainer.epoch)),
                                                  ("final_train_loss", trainer.losses.last.map { .number(Double($0)) } ?? .null),
                                                  ("skipped", .integer(skipped))],
                             metrics: metrics, extra: extra)
    }
}

/// A message on stderr, from rank 0 only in a data-parallel job.
func log(_ message: String) {
    guard World.group.isWriter else { return }
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
