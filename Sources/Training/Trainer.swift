import Checkpoint
import Data
import Foundation
import Tensors
import Zoo

/// A training run that stopped on purpose: a non-finite loss, with the step that produced it, or a
/// SIGINT/SIGTERM after which a checkpoint was written.
public enum TrainingError: Error, CustomStringConvertible {
    case nonFinite(epoch: Int, step: Int, value: Float)
    case cannotResume(folder: String, reason: String)
    /// Stopped by `signal`; `message` says where the checkpoint is and how to continue.
    case interrupted(signal: Int32, message: String)
    case replicasUnsupported(String)

    public var description: String {
        switch self {
        case let .nonFinite(epoch, step, value):
            return "loss became \(value) at epoch \(epoch), step \(step); stopped (the last good checkpoint is kept)"
        case let .cannotResume(folder, reason): return "\(folder): cannot resume: \(reason)"
        case let .interrupted(_, message): return message
        case let .replicasUnsupported(reason): return "--replicas: \(reason)"
        }
    }
}

/// How a run began: from scratch, from a checkpoint, or not at all because it had already finished.
public enum TrainingStart: Equatable {
    case fresh
    case resumed(epoch: Int, step: Int)
    case finished(epochs: Int)
}

/// Runs epochs of forward, loss, backward and AdamW with warm-up + cosine per iteration, gradient
/// accumulation and optional clipping; evaluates and checkpoints between epochs; resumes from a folder.
/// SIGINT/SIGTERM stop it after the current optimisation step with a checkpoint of that step.
///
/// Data parallel (`group` of N > 1 ranks): every rank runs this loop on its share of each global batch;
/// the logged loss and numbers are the means over the ranks, gradients are averaged (GradientAverager)
/// before clipping and the update, so every rank takes the same step. Rank 0 alone logs and writes the
/// run folder; a stop signal takes effect at the same step on every rank.
public final class Trainer {
    public let model: ZooModel
    public let options: TrainingOptions
    public let optimizer: AdamW
    public let run: RunFolder
    public let group: ProcessGroup
    /// Averages gradients over the ranks; its timing splits a step into compute and all-reduce.
    public let averager: GradientAverager
    /// The loss of one batch and the numbers to log beside it.
    public typealias Objective = (Batch) throws -> (loss: Tensor, logs: [String: Double])
    /// Builds another copy of the model (same spec; its weights are replaced by the trained ones), for
    /// `options.replicas` > 1. A task whose objective can run on any copy sets it.
    public var replicaBuilder: (() throws -> ZooModel)?

    /// Completed epochs.
    public private(set) var epoch = 0
    public private(set) var step = 0
    /// Loss of every optimisation step, in order (tests compare trajectories).
    public private(set) var losses: [Float] = []
    /// Where an interrupted epoch stands: batches done, and the sums its epoch line averages.
    private var partial = PartialEpoch()
    /// Stop on SIGINT/SIGTERM with a checkpoint (off for in-process tests that install their own handlers).
    public var stopsOnSignals = true

    public init(model: ZooModel, groups: [ParameterGroup], options: TrainingOptions, run: RunFolder, group: ProcessGroup = World.group) {
        precondition(options.processes == group.size, "options for \(options.processes) processes in a group of \(group.size)")
        self.model = model
        self.options = options
        self.run = run
        self.group = group
        averager = GradientAverager(group: group, dtype: options.allReduceDType)
        optimizer = AdamW(groups: groups, learningRate: Float(options.learningRate), beta1: options.beta1, beta2: options.beta2)
    }

    public var isFinished: Bool { epoch >= options.epochs && partial.batches == 0 }

    /// Begins the run: resumes from the folder's checkpoint when asked (a folder whose first save never
    /// completed starts over, with a message), and reports a finished run without touching it.
    /// Under MPI, rank 0 cleans the folder before any rank reads the checkpoint, and every rank
    /// then starts from rank 0's weights.
    public func start(resume: Bool) throws -> TrainingStart {
        defer { synchronizeParameters() }
        guard resume else {
            try run.clearResults()
            group.barrier()
            return .fresh
        }
        if run.isWriter {
            let removed = try run.checkpoint.recover()
            if !removed.isEmpty { log("\(run.path): removed what an interrupted save left: \(removed.joined(separator: ", "))") }
        }
        group.barrier()
        let resumed = try self.resume(from: run)
        // Rank 0 may rewrite the folder below; nobody reads it after this.
        group.barrier()
        guard resumed else {
            log("\(run.path): no complete checkpoint (the run stopped before its first save); starting from epoch 0")
            try run.clearResults()
            return .fresh
        }
        try run.truncateMetrics(toEpochs: epoch)
        if isFinished && run.hasSummary { return .finished(epochs: epoch) }
        log("\(run.path): resuming at epoch \(epoch + 1) of \(options.epochs)\(partial.batches > 0 ? ", step \(partial.batches + 1)" : "")")
        return .resumed(epoch: epoch, step: partial.batches)
    }

    /// Trains from the current epoch to `options.epochs`. `evaluate` runs after every `evaluateEvery`-th
    /// epoch and after the last, and returns metrics to log. `stopAfterEpoch` ends early (tests interrupt
    /// runs with it). The objective is bound to `model`, so this trains one copy (`--replicas 1`).
    public func train(data: BatchSource, objective: @escaping Objective, evaluate: ((Int) throws -> [String: Double])? = nil,
                      stopAfterEpoch: Int? = nil) throws {
        guard options.replicas == 1 else {
            throw TrainingError.replicasUnsupported("this task trains one copy of its model; leave out --replicas")
        }
        try train(data: data, objectiveFor: { _ in objective }, evaluate: evaluate, stopAfterEpoch: stopAfterEpoch)
    }

    /// As `train(data:objective:…)`, with the objective made for a given copy of the model: with
    /// `options.replicas` = R > 1 the trainer builds R − 1 more copies (`replicaBuilder`) that share the
    /// model's weights, and each step runs each copy's objective and backward on its 1/R of the batch on
    /// its own thread, its ops split over its share of the cores (`ReplicaSet`).
    public func train(data: BatchSource, objectiveFor: (ZooModel) throws -> Objective,
                      evaluate: ((Int) throws -> [String: Double])? = nil, stopAfterEpoch: Int? = nil) throws {
        let objective = try objectiveFor(model)
        let replicas = try ReplicaSet(model: model, count: options.replicas, build: replicaBuilder, objectiveFor: objectiveFor)
        let schedule = CosineSchedule(base: options.learningRate, minimum: options.minimumLearningRate,
                                      warmupEpochs: options.warmupEpochs, epochs: Double(options.epochs))
        let perEpoch = data.batchesPerEpoch
        let accumulation = options.accumulation
        let progress: ProgressLine? = group.isWriter ? ProgressLine(total: perEpoch) : nil
        let module = model.module
        let signals = stopsOnSignals ? StopSignals() : nil
        if group.isParallel {
            guard let shared = data as? ImageBatchSource, shared.parts == group.size, shared.part == group.rank,
                  shared.batchSize == options.globalBatchSize else {
                throw DataParallelError.batchNotSplit("data-parallel training needs its batches split over the \(group.size) ranks "
                                                      + "(an ImageBatchSource of batch · ranks with part = rank, parts = ranks)")
            }
            // Drop path, dropout and MAE's masks draw for the whole global batch and keep this rank's rows.
            model.generator.batchShare = (group.rank, group.size)
            log("data parallel: \(group.size) processes × batch \(options.batchSize) × accum \(accumulation) = effective batch "
                + "\(options.effectiveBatchSize), lr \(options.learningRate), \(Parallel.workers) threads per process"
                + (options.allReduceDType == .fp32 ? "" : ", gradients averaged in \(options.allReduceDType.rawValue)"))
        }
        defer { signals?.uninstall() }
        while epoch < options.epochs {
            module.train()
            let start = Date()
            let first = partial.batches
            var images = 0
            let loader = Prefetcher(source: data, epoch: epoch, start: first, count: perEpoch)
            for index in first..<perEpoch {
                let batch = try loader.next()
                let groupStart = index - index % accumulation
                if index == groupStart {
                    optimizer.learningRate = Float(schedule.rate(at: Double(epoch) + Double(index) / Double(perEpoch)))
                }
                // Each batch weighs 1 / (its group's size): the last group of an epoch may be short, and
                // dividing it by `accumulation` would under-weight it.
                let groupSize = min(accumulation, perEpoch - groupStart)
                let endsGroup = index + 1 == groupStart + groupSize
                var value: Float, logs: [String: Double]
                var scaled: Tensor?
                if let replicas {
                    // Forward and backward on every copy, their gradients summed into the model's.
                    (value, logs) = try replicas.step(batch, lossScale: 1 / Float(groupSize))
                } else {
                    let (loss, own) = try objective(batch)
                    (value, logs) = (loss.item, own)
                    scaled = groupSize > 1 ? loss / Float(groupSize) : loss
                }
                if group.isParallel { (value, logs) = meanOverRanks(value, logs) }
                guard value.isFinite else { throw TrainingError.nonFinite(epoch: epoch, step: index, value: value) }
                if !endsGroup { scaled?.backward() }
                if endsGroup {
                    // Under mpirun the all-reduce of each bucket starts while backward is still running.
                    try averager.average(module.trainableParameters().map(\.tensor)) { leafReady in scaled?.backward(leafReady: leafReady) }
                    if let clip = options.clipGradient { clipGradientNorm(module.trainableParameters().map(\.tensor), maxNorm: clip) }
                    optimizer.update()
                    module.zeroGrad()
                }
                losses.append(value)
                step += 1
                partial.batches = index + 1
                partial.loss += Double(value)
                images += batch.images.shape[0] * group.size
                for (k, v) in logs { partial.logs[k, default: 0] += v }
                let elapsed = Date().timeIntervalSince(start)
                progress?.update(epoch: epoch, step: index + 1, loss: value, imagesPerSecond: Double(images) / max(elapsed, 1e-9), elapsed: elapsed)
                if endsGroup, index + 1 < perEpoch, let signal = agreed(signals?.received) {
                    progress?.finish()
                    try saveCheckpoint()
                    throw interrupted(by: signal, batches: perEpoch)
                }
            }
            progress?.finish()
            var line: [String: Double] = ["train_loss": partial.loss / Double(perEpoch), "lr": Double(optimizer.learningRate)]
            for (k, v) in partial.logs { line["train_" + k] = v / Double(perEpoch) }
            epoch += 1
            partial = PartialEpoch()
            if let evaluate, epoch % options.evaluateEvery == 0 || epoch == options.epochs {
                for (k, v) in try evaluate(epoch) { line[k] = v }
            }
            try run.appendMetrics(epoch: epoch, line)
            log(EpochLine.format(epoch: epoch, of: options.epochs, line))
            let signal = agreed(signals?.received)
            if epoch % options.saveEvery == 0 || epoch == options.epochs || signal != nil { try saveCheckpoint() }
            if let signal, epoch < options.epochs { throw interrupted(by: signal, batches: perEpoch) }
            if let stop = stopAfterEpoch, epoch >= stop { break }
        }
    }

    /// The mean over the ranks of a batch's loss and logged numbers (every rank passes the same keys).
    private func meanOverRanks(_ value: Float, _ logs: [String: Double]) -> (Float, [String: Double]) {
        let keys = logs.keys.sorted()
        var values = [Double(value)] + keys.map { logs[$0]! }
        group.allReduceSum(&values)
        let n = Double(group.size)
        var mean: [String: Double] = [:]
        for (i, k) in keys.enumerated() { mean[k] = values[i + 1] / n }
        return (Float(values[0] / n), mean)
    }

    /// A stop signal any rank received, agreed by all (mpirun forwards signals to every rank, but they
    /// may arrive on either side of a step); a single process just reads its own.
    private func agreed(_ signal: Int32?) -> Int32? {
        guard group.isParallel else { return signal }
        var received: [Double] = [signal.map { Double($0) } ?? 0, signal == nil ? 0 : 1]
        group.allReduceSum(&received)
        guard received[1] > 0 else { return nil }
        return signal ?? Int32(received[0] / received[1])
    }

    /// Every rank takes rank 0's parameters, whatever it built or loaded (the same seed gives the same
    /// weights, so this is a safeguard against a rank that read different files).
    private func synchronizeParameters() {
        guard group.isParallel else { return }
        for p in model.module.parameters() {
            group.broadcast(UnsafeMutableRawPointer(p.data), bytes: p.count * MemoryLayout<Float>.stride, root: 0)
        }
    }

    private func interrupted(by signal: Int32, batches: Int) -> TrainingError {
        let name = signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "signal \(signal)"
        let position = partial.batches > 0 ? "epoch \(epoch + 1), step \(partial.batches) of \(batches)" : "epoch \(epoch) of \(options.epochs)"
        return .interrupted(signal: signal, message: "stopped by \(name) after \(position); checkpoint written to \(run.checkpointFolder). "
                            + "Continue with the same command and --resume.")
    }

    // MARK: Checkpoints

    /// Weights (safetensors, state-dict keys), optimiser moments and the training state, committed as
    /// one folder (CheckpointFolder): a crash leaves the previous checkpoint or this one, never a mix.
    public func saveCheckpoint() throws {
        guard run.isWriter else { return }
        let named = model.module.namedParameters()
        try run.checkpoint.commit { dir in
            let weights = dir + "/weights.safetensors", moments = dir + "/optimizer.safetensors"
            try SafeTensorsWriter.write(named.map { ($0.key, StoredTensor($0.tensor)) }, metadata: [("format", "pt")], to: weights)
            TestKillPoint.tear("weights-torn", file: weights)
            TestKillPoint.reach("weights-written")
            var stored: [(name: String, tensor: StoredTensor)] = []
            for (key, t) in named {
                if let m = optimizer.moments[ObjectIdentifier(t)] {
                    stored.append(("m." + key, StoredTensor(m.m)))
                    stored.append(("v." + key, StoredTensor(m.v)))
                }
            }
            try SafeTensorsWriter.write(stored, to: moments)
            TestKillPoint.tear("optimizer-torn", file: moments)
            TestKillPoint.reach("optimizer-written")
            let state = TrainingState(epoch: epoch, step: step, optimizerStep: optimizer.step, generator: model.generator.stateWords,
                                      losses: losses, options: options, partialEpoch: partial.batches > 0 ? partial : nil,
                                      fileSizes: ["weights.safetensors": try fileSize(weights), "optimizer.safetensors": try fileSize(moments)],
                                      processes: group.isParallel ? group.size : nil)
            let data = try JSONEncoder.sorted.encode(state)
            let stateFile = dir + "/state.json"
            try data.write(to: URL(fileURLWithPath: stateFile))
            TestKillPoint.tear("state-torn", file: stateFile)
            TestKillPoint.reach("state-written")
        }
    }

    /// Continues a run saved by `saveCheckpoint` (same model spec and options). Returns false when the
    /// folder holds no checkpoint; a checkpoint that does not read back is an error.
    @discardableResult
    public func resume(from folder: RunFolder) throws -> Bool {
        let dir = folder.checkpointFolder
        guard FileManager.default.fileExists(atPath: dir) else { return false }
        guard let data = FileManager.default.contents(atPath: dir + "/state.json") else {
            throw TrainingError.cannotResume(folder: folder.path, reason: "checkpoint/ has no state.json")
        }
        let state: TrainingState
        do { state = try JSONDecoder().decode(TrainingState.self, from: data) } catch {
            throw TrainingError.cannotResume(folder: folder.path, reason: "state.json: \(error)")
        }
        for (name, size) in (state.fileSizes ?? [:]).sorted(by: { $0.key < $1.key }) {
            let actual = try? fileSize(dir + "/" + name)
            guard actual == size else {
                throw TrainingError.cannotResume(folder: folder.path, reason: "checkpoint/\(name) is \(actual.map { "\($0) bytes" } ?? "missing"), state.json recorded \(size) bytes")
            }
        }
        let processes = state.processes ?? 1
        guard processes == group.size else {
            throw TrainingError.cannotResume(folder: folder.path, reason: "it was trained by \(processes) process\(processes == 1 ? "" : "es") and this run has \(group.size); "
                                             + "the global batch, learning rate and data order would change (resume with mpirun -np \(processes))")
        }
        let weights = try SafeTensorsReader.read(path: dir + "/weights.safetensors")
        // Copies, not mapped windows: training writes into parameters and moments.
        var values: [String: Tensor] = [:]
        for (name, tensor) in weights.tensors { values[name] = tensor.floatTensor().copy() }
        try model.module.load(values)
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
        partial = state.partialEpoch ?? PartialEpoch()
        return true
    }
}

/// The part of an epoch done before an interruption: batches trained and the sums of their losses and logs.
struct PartialEpoch: Codable {
    var batches = 0
    var loss: Double = 0
    var logs: [String: Double] = [:]
}

/// What `state.json` holds.
struct TrainingState: Codable {
    var epoch: Int
    var step: Int
    var optimizerStep: Int
    var generator: [UInt64]
    var losses: [Float]
    var options: TrainingOptions
    /// Set when the checkpoint was written in the middle of an epoch (SIGINT/SIGTERM).
    var partialEpoch: PartialEpoch?
    /// Sizes of the checkpoint's other files, checked before they are read.
    var fileSizes: [String: Int]?
    /// Data-parallel processes that trained it (nil: one).
    var processes: Int?
}

func fileSize(_ path: String) throws -> Int {
    guard let size = (try FileManager.default.attributesOfItem(atPath: path))[.size] as? Int else {
        throw CheckpointError.cannotWrite(file: path, reason: "no size")
    }
    return size
}

/// A message on stderr, from rank 0 only in a data-parallel job.
func log(_ message: String) {
    guard World.group.isWriter else { return }
    FileHandle.standardError.write(Data((message + "\n").utf8))
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

    init(source: BatchSource, epoch: Int, start: Int = 0, count: Int) {
        self.source = source
        self.epoch = epoch
        self.count = count
        index = start
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
