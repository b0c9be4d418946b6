import Checkpoint
import Data
import Foundation
import Tensors
import Zoo

/// Options shared by every training task (FMAE's defaults where it has them).
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
    public var seed: UInt64 = 0
    public init() {}

    /// The options of a training task's command line (`--epochs`, `--blr`, …; those the task declares).
    public init(_ a: TaskArguments) throws {
        epochs = try a.int("epochs")
        warmupEpochs = try a.double("warmup-epochs")
        batchSize = try a.int("batch-size")
        accumulation = try a.int("accum")
        baseLearningRate = try a.double("blr")
        minimumLearningRate = try a.double("min-lr")
        weightDecay = Float(try a.double("weight-decay"))
        if a.values["layer-decay"] != nil { layerDecay = Float(try a.double("layer-decay")) }
        if a.values["clip-grad"] != nil { clipGradient = Float(try a.double("clip-grad")) }
        saveEvery = try a.int("save-every")
        seed = UInt64(try a.int("seed"))
        guard epochs > 0, batchSize > 0, accumulation > 0, saveEvery > 0 else {
            throw TaskUsageError("--epochs, --batch-size, --accum and --save-every must be positive")
        }
    }

    /// lr = blr · effective batch / 256 (MAE's scaling rule).
    public var learningRate: Double { baseLearningRate * Double(batchSize * accumulation) / 256 }
}

/// A training run that stopped on purpose: a non-finite loss, with the step that produced it.
public enum TrainingError: Error, CustomStringConvertible {
    case nonFinite(epoch: Int, step: Int, value: Float)
    case cannotResume(folder: String, reason: String)

    public var description: String {
        switch self {
        case let .nonFinite(epoch, step, value):
            return "loss became \(value) at epoch \(epoch), step \(step); stopped (the last good checkpoint is kept)"
        case let .cannotResume(folder, reason): return "\(folder): cannot resume: \(reason)"
        }
    }
}

/// Runs epochs of forward, loss, backward and AdamW with warm-up + cosine per iteration, gradient
/// accumulation and optional clipping; evaluates and checkpoints between epochs; resumes from a folder.
public final class Trainer {
    public let model: ZooModel
    public let options: TrainingOptions
    public let optimizer: AdamW
    public let run: RunFolder
    /// The loss of one batch and the numbers to log beside it.
    public typealias Objective = (Batch) throws -> (loss: Tensor, logs: [String: Double])

    public private(set) var epoch = 0
    public private(set) var step = 0
    /// Loss of every optimisation step, in order (tests compare trajectories).
    public private(set) var losses: [Float] = []

    public init(model: ZooModel, groups: [ParameterGroup], options: TrainingOptions, run: RunFolder) {
        self.model = model
        self.options = options
        self.run = run
        optimizer = AdamW(groups: groups, learningRate: Float(options.learningRate), beta1: options.beta1, beta2: options.beta2)
    }

    /// Trains from the current epoch to `options.epochs`. `evaluate` runs after each epoch and returns
    /// metrics to log. `stopAfterEpoch` ends early (tests interrupt runs with it).
    public func train(data: BatchSource, objective: Objective, evaluate: ((Int) throws -> [String: Double])? = nil,
                      stopAfterEpoch: Int? = nil) throws {
        let schedule = CosineSchedule(base: options.learningRate, minimum: options.minimumLearningRate,
                                      warmupEpochs: options.warmupEpochs, epochs: Double(options.epochs))
        let perEpoch = data.batchesPerEpoch
        let progress = ProgressLine(total: perEpoch)
        let module = model.module
        while epoch < options.epochs {
            module.train()
            let start = Date()
            var epochLoss: Double = 0, images = 0
            var logSums: [String: Double] = [:]
            let loader = Prefetcher(source: data, epoch: epoch, count: perEpoch)
            for index in 0..<perEpoch {
                let batch = try loader.next()
                if index % options.accumulation == 0 {
                    optimizer.learningRate = Float(schedule.rate(at: Double(epoch) + Double(index) / Double(perEpoch)))
                }
                let (loss, logs) = try objective(batch)
                let value = loss.item
                guard value.isFinite else { throw TrainingError.nonFinite(epoch: epoch, step: index, value: value) }
                (options.accumulation > 1 ? loss / Float(options.accumulation) : loss).backward()
                if (index + 1) % options.accumulation == 0 || index == perEpoch - 1 {
                    if let clip = options.clipGradient { clipGradientNorm(module.trainableParameters().map(\.tensor), maxNorm: clip) }
                    optimizer.update()
                    module.zeroGrad()
                }
                losses.append(value)
                step += 1
                epochLoss += Double(value)
                images += batch.images.shape[0]
                for (k, v) in logs { logSums[k, default: 0] += v }
                let elapsed = Date().timeIntervalSince(start)
                progress.update(epoch: epoch, step: index + 1, loss: value, imagesPerSecond: Double(images) / max(elapsed, 1e-9), elapsed: elapsed)
            }
            progress.finish()
            var line: [String: Double] = ["train_loss": epochLoss / Double(perEpoch), "lr": Double(optimizer.learningRate)]
            for (k, v) in logSums { line["train_" + k] = v / Double(perEpoch) }
            epoch += 1
            if let evaluate { for (k, v) in try evaluate(epoch) { line[k] = v } }
            try run.appendMetrics(epoch: epoch, line)
            if epoch % options.saveEvery == 0 || epoch == options.epochs { try saveCheckpoint() }
            if let stop = stopAfterEpoch, epoch >= stop { break }
        }
    }

    // MARK: Checkpoints

    /// Weights (safetensors, state-dict keys), optimiser moments and the training state, each written
    /// atomically; `checkpoint/state.json` is written last, so a folder with it is complete.
    public func saveCheckpoint() throws {
        let dir = run.checkpointFolder
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let named = model.module.namedParameters()
        try SafeTensorsWriter.write(named.map { ($0.key, StoredTensor($0.tensor)) }, metadata: [("format", "pt")], to: dir + "/weights.safetensors")
        var moments: [(name: String, tensor: StoredTensor)] = []
        for (key, t) in named {
            if let m = optimizer.moments[ObjectIdentifier(t)] {
                moments.append(("m." + key, StoredTensor(m.m)))
                moments.append(("v." + key, StoredTensor(m.v)))
            }
        }
        try SafeTensorsWriter.write(moments, to: dir + "/optimizer.safetensors")
        let state = TrainingState(epoch: epoch, step: step, optimizerStep: optimizer.step, generator: model.generator.stateWords,
                                  losses: losses, options: options)
        let data = try JSONEncoder.sorted.encode(state)
        try writeAtomically(to: dir + "/state.json") { try data.write(to: URL(fileURLWithPath: $0)) }
    }

    /// Continues a run saved by `saveCheckpoint` (same model spec and options).
    public func resume(from folder: RunFolder) throws {
        let dir = folder.checkpointFolder
        guard let data = FileManager.default.contents(atPath: dir + "/state.json") else {
            throw TrainingError.cannotResume(folder: folder.path, reason: "no checkpoint/state.json")
        }
        let state: TrainingState
        do { state = try JSONDecoder().decode(TrainingState.self, from: data) } catch {
            throw TrainingError.cannotResume(folder: folder.path, reason: "state.json: \(error)")
        }
        let weights = try SafeTensorsReader.read(path: dir + "/weights.safetensors")
        // Copies, not mapped windows: training writes into parameters and moments.
        try model.module.load(Dictionary(uniqueKeysWithValues: weights.tensors.map { ($0.name, $0.tensor.floatTensor().copy()) }))
        let moments = try SafeTensorsReader.read(path: dir + "/optimizer.safetensors")
        var restored: [ObjectIdentifier: (m: Tensor, v: Tensor)] = [:]
        for (key, t) in model.module.namedParameters() {
            if let m = moments["m." + key], let v = moments["v." + key] {
                restored[ObjectIdentifier(t)] = (m.floatTensor().copy(), v.floatTensor().copy())
            }
        }
        optimizer.restore(step: state.optimizerStep, moments: restored)
        model.generator.restore(stateWords: state.generator)
        epoch = state.epoch
        step = state.step
        losses = state.losses
    }
}

/// What `state.json` holds.
struct TrainingState: Codable {
    var epoch: Int
    var step: Int
    var optimizerStep: Int
    var generator: [UInt64]
    var losses: [Float]
    var options: TrainingOptions
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted]
        return e
    }
}

/// Scales gradients so their global L2 norm is at most `maxNorm` (torch.nn.utils.clip_grad_norm_).
public func clipGradientNorm(_ parameters: [Tensor], maxNorm: Float) {
    var total: Double = 0
    for p in parameters { if let g = p.grad { for i in 0..<g.count { total += Double(g.data[i]) * Double(g.data[i]) } } }
    let norm = Float(total.squareRoot())
    guard norm > maxNorm else { return }
    let scale = maxNorm / (norm + 1e-6)
    for p in parameters { if let g = p.grad { Kernels.scale(g.data, g.data, scale, g.count) } }
}

/// Computes the next batch on a background thread while the current one trains.
final class Prefetcher {
    private let source: BatchSource
    private let epoch: Int
    private let count: Int
    private var index = 0
    private var pending: (DispatchSemaphore, Box)?

    final class Box: @unchecked Sendable { var result: Result<Batch, Error>? }

    init(source: BatchSource, epoch: Int, count: Int) {
        self.source = source
        self.epoch = epoch
        self.count = count
        schedule()
    }

    private func schedule() {
        guard index < count else { pending = nil; return }
        let semaphore = DispatchSemaphore(value: 0), box = Box()
        let (source, epoch, i) = (self.source, self.epoch, index)
        DispatchQueue.global(qos: .userInitiated).async {
            box.result = Result { try source.batch(epoch: epoch, index: i) }
            semaphore.signal()
        }
        pending = (semaphore, box)
    }

    func next() throws -> Batch {
        guard let (semaphore, box) = pending else { fatalError("no batch left") }
        semaphore.wait()
        index += 1
        schedule()
        return try box.result!.get()
    }
}
