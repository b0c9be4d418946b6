import Foundation
import Zoo

/// Options shared by every training task (FMAE's defaults where it has them), declared once with their
/// command-line names and read into this typed value.
public struct TrainingOptions: Codable, Equatable {
    public var epochs = 20
    public var warmupEpochs = 2.0
    public var baseLearningRate = 5e-4
    public var minimumLearningRate = 1e-6
    public var batchSize = 64
    public var accumulation = 1
    public var weightDecay: Float = 0.05
    public var layerDecay: Float = 0.65
    public var beta1: Float = 0.9, beta2: Float = 0.999
    public var clipGradient: Float?
    public var saveEvery = 1
    /// Evaluate every N epochs and after the last (fine-tuning). Not recorded with the options: it changes
    /// what is logged, never the weights.
    public var evaluateEvery = 1
    public var seed: UInt64 = 0
    /// Processes training together (data parallel, `mpirun -np N`); `batchSize` is per process. Not
    /// recorded with the options: the checkpoint records it on its own (TrainingState.processes).
    public var processes = 1
    /// Copies of the model in this process, one per thread, each taking an equal slice of every batch
    /// (`Trainer.replicaBuilder`). Not recorded with the options: the weights are the same to float
    /// rounding whatever the count.
    public var replicas = 1
    /// The number type gradients are averaged in under mpirun (`--allreduce-dtype`): bf16 halves the bytes
    /// on the wire. Not recorded with the options, like the process count it goes with: pass it again
    /// with `--resume`.
    public var allReduceDType = AllReduceDType.fp32
    public init() {}

    enum CodingKeys: String, CodingKey {
        case epochs, warmupEpochs, baseLearningRate, minimumLearningRate, batchSize, accumulation, weightDecay, layerDecay
        case beta1, beta2, clipGradient, saveEvery, seed
    }

    /// Which recipe's defaults the options carry: fine-tuning (FMAE) or MAE pretraining.
    public enum Recipe { case fineTuning, pretraining }

    /// The training options a task declares. Pretraining has no layer-wise decay, clipping or drop path.
    public static func options(_ recipe: Recipe) -> [TaskOption] {
        let pretraining = recipe == .pretraining
        var list = [
            TaskOption("epochs", .integer, default: pretraining ? "50" : "20", help: "training epochs"),
            TaskOption("warmup-epochs", .number, default: "2", help: "linear warm-up epochs"),
            TaskOption("batch-size", .integer, default: "64", help: "images per step and process (the effective batch is batch · accum · processes)"),
            TaskOption("accum", .integer, default: "1", help: "gradient accumulation steps"),
            TaskOption("blr", .number, default: pretraining ? "1.5e-4" : "5e-4", help: "base learning rate; lr = blr · batch · accum · processes / 256"),
            TaskOption("min-lr", .number, default: pretraining ? "0" : "1e-6", help: "cosine floor"),
            TaskOption("weight-decay", .number, default: "0.05",
                       help: pretraining ? "AdamW decoupled weight decay (not on biases and 1-D tensors, as MAE)" : "AdamW decoupled weight decay (not on biases, norms, tokens)"),
            TaskOption("save-every", .integer, default: "5", help: "checkpoint every N epochs (and at the end)"),
            TaskOption("seed", .integer, default: "0", help: pretraining ? "seed of weights, data order, masking and flips" : "seed of weights, data order and augmentation"),
            TaskOption("replicas", .integer, default: "1",
                       help: "copies of the model, one per thread, each on an equal slice of every batch (per process under mpirun), instead of splitting every op over the threads (faster for small models)"),
            TaskOption("allreduce-dtype", .string, default: "fp32",
                       help: "under mpirun: average the gradients in fp32, or round them to bf16 first (half the bytes on the wire, about 3 significant digits per gradient)"),
        ]
        if !pretraining {
            list += [
                TaskOption("layer-decay", .number, default: "0.65", help: "layer-wise learning-rate decay"),
                TaskOption("clip-grad", .number, help: "clip the gradient norm to this value (default: no clipping)"),
                TaskOption("eval-every", .integer, default: "1", help: "evaluate every N epochs (and after the last); the weights do not depend on it"),
            ]
        }
        return list
    }

    /// The options of a training task's command line (those `options(_:)` declared for its recipe).
    public init(_ a: TaskArguments, recipe: Recipe) throws {
        epochs = try a.int("epochs")
        warmupEpochs = try a.double("warmup-epochs")
        batchSize = try a.int("batch-size")
        accumulation = try a.int("accum")
        baseLearningRate = try a.double("blr")
        minimumLearningRate = try a.double("min-lr")
        weightDecay = Float(try a.double("weight-decay"))
        saveEvery = try a.int("save-every")
        let seedValue = try a.int("seed")
        guard seedValue >= 0 else { throw TaskUsageError("--seed must be 0 or more, got \(seedValue)") }
        seed = UInt64(seedValue)
        processes = World.group.size
        replicas = try a.int("replicas")
        let dtype = try a.string("allreduce-dtype")
        guard let wire = AllReduceDType(rawValue: dtype) else {
            throw TaskUsageError("--allreduce-dtype must be fp32 or bf16, got \(dtype)")
        }
        allReduceDType = wire
        switch recipe {
        case .fineTuning:
            layerDecay = Float(try a.double("layer-decay"))
            clipGradient = try a.optionalDouble("clip-grad").map(Float.init)
            evaluateEvery = try a.int("eval-every")
        case .pretraining:
            layerDecay = 1      // no layer-wise decay
            beta2 = 0.95        // MAE's AdamW betas (0.9, 0.95)
        }
        guard epochs > 0, batchSize > 0, accumulation > 0, saveEvery > 0, evaluateEvery > 0 else {
            throw TaskUsageError("--epochs, --batch-size, --accum, --save-every and --eval-every must be positive")
        }
        guard warmupEpochs >= 0, baseLearningRate > 0, minimumLearningRate >= 0, weightDecay >= 0,
              [warmupEpochs, baseLearningRate, minimumLearningRate].allSatisfy(\.isFinite), weightDecay.isFinite else {
            throw TaskUsageError("--warmup-epochs, --min-lr and --weight-decay must be 0 or more and --blr positive")
        }
        if let clip = clipGradient, !(clip > 0 && clip.isFinite) { throw TaskUsageError("--clip-grad must be a positive number, got \(clip)") }
        guard replicas > 0, batchSize % replicas == 0 else {
            throw TaskUsageError("--replicas must be positive and divide --batch-size (\(batchSize)), got \(replicas)")
        }
    }

    /// Images in one optimisation step over all processes: batch · accum · processes.
    public var effectiveBatchSize: Int { batchSize * accumulation * processes }
    /// Images per step of the data order, all processes together: each process takes `batchSize` of them.
    public var globalBatchSize: Int { batchSize * processes }

    /// lr = blr · effective batch / 256 (MAE's scaling rule), the batch counted over all processes.
    public var learningRate: Double { baseLearningRate * Double(effectiveBatchSize) / 256 }
}

/// Where a training task writes its run: `--out`, and whether to continue (`--resume`) or replace
/// (`--overwrite`) a run already there.
public struct RunOutputOptions: TaskOptionGroup {
    public var out: String
    public var resume: Bool
    public var overwrite: Bool

    public static let options: [TaskOption] = [
        TaskOption("out", .path, required: true, help: "run folder (options.json, metrics.jsonl, checkpoint/, summary.json)"),
        TaskOption("resume", .flag, help: "continue the run in --out from its last checkpoint, with the options it was started with (a finished run is reported and left as it is, exit 0)"),
        TaskOption("overwrite", .flag, help: "replace the run already in --out (everything in it, sub-folders included)"),
    ]

    public init(out: String, resume: Bool = false, overwrite: Bool = false) {
        self.out = out
        self.resume = resume
        self.overwrite = overwrite
    }

    public init(_ a: TaskArguments) throws {
        out = try a.string("out")
        resume = a.flag("resume")
        overwrite = a.flag("overwrite")
        guard !(resume && overwrite) else { throw TaskUsageError("--resume and --overwrite exclude each other") }
    }
}
