import ArgumentParser
import Data
import Foundation
import Images
import Tasks
import Tensors
import Training
import Zoo

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure images per second for inference (no-grad forward) or a full training step.",
        discussion: "A training step is forward, BCE-with-logits on the first head (MAE: its loss), backward and AdamW. "
            + "Under mpirun (--mode train) each rank trains on its own batch and the step includes the gradient all-reduce, timed apart.")

    enum Mode: String, ExpressibleByArgument, CaseIterable { case infer, train, data }

    @Option(help: "A catalog model name or a JSON spec file (infer, train).") var model: String?
    @Option(help: "Data mode: an AU label file or a packed shard to load through the training data path.") var data: String?
    @Option(help: "Data mode: image size the loader produces.") var size: Int = 224
    @Flag(help: "Data mode: apply FMAE's training augmentation (RandAugment, erasing, …) instead of resize + flip.") var augment = false
    @Option(help: "Images per batch.") var batch: Int = 8
    @Option(help: "Inference or training step.") var mode: Mode = .infer
    @Option(help: "Timed steps (after one untimed warm-up step).") var steps: Int = 3
    @Flag(help: "Print {\"mode\", \"batch\", \"images_per_second\", …} as JSON.") var json = false
    @Option(help: "Training step: split the batch over this many copies of the model sharing one set of weights, each on its own thread with an equal share of the cores for its ops, and sum their gradients (as `zoo run … --replicas`), against splitting every op over the threads.")
    var replicas: Int = 1
    @Flag(inversion: .prefixedNo, help: "Under mpirun: start each bucket's all-reduce while backward runs (as training does), or reduce after it.")
    var overlap = true
    @Option(help: "Under mpirun: the number type gradients are averaged in (fp32, or bf16 for half the bytes), as `zoo run … --allreduce-dtype`.")
    var allreduceDtype: AllReduceDType = .fp32

    func validate() throws {
        guard batch > 0 else { throw ValidationError("--batch must be positive") }
        guard steps > 0 else { throw ValidationError("--steps must be positive") }
        guard replicas > 0, batch % replicas == 0 else { throw ValidationError("--replicas must be positive and divide --batch (\(batch))") }
        guard replicas == 1 || mode == .train else { throw ValidationError("--replicas is for --mode train") }
    }

    func run() throws {
        if mode == .data { return try runData() }
        guard let model else { throw ValidationError("--model is required for --mode \(mode.rawValue)") }
        try reportingErrors {
            let catalog = try Catalog.locate()
            let (name, spec, built) = try catalog.buildModel(model)
            let input = [batch] + built.inputShape
            let generator = Generator(seed: 1)
            let images = Tensor.randn(input, generator: generator)
            func describe(_ outputs: [(name: String, tensor: Tensor)]) -> String { outputs.map { "\($0.name) \($0.tensor.shape)" }.joined(separator: ", ") }
            // Each step returns the shapes of what the model produced (printed once) and its training loss.
            let step: () throws -> (shapes: String, loss: Float?)
            // Under mpirun the gradients are averaged as in training; alone this does nothing.
            let group = World.group
            let averager = GradientAverager(group: group, dtype: allreduceDtype)
            switch mode {
            case .data:
                return
            case .infer:
                built.module.eval()
                step = {
                    (withNoGrad { describe(built.network.outputs(images, extra: [:])) }, nil)
                }
            case .train:
                built.module.train()
                let parameters = built.module.trainableParameters().map(\.tensor)
                let optimizer = AdamW(groups: [ParameterGroup(parameters: parameters, weightDecay: 0.05)], learningRate: 1e-4)
                // The training objective of one copy of the model (`--replicas`: copies are made in order, the
                // model first, and copy i takes the i-th slice of the batch). A model's own loss when it has one
                // (MAE); else BCE on its first output that is not the pooled features (a classifier's first
                // head), against multi-label targets with 30 % positives drawn for the whole batch once the
                // head's width is known (each copy keeps its rows, on its own thread); else a loss on whatever
                // it gives.
                let shapes = Box("")
                var copiesMade = 0
                let objectiveFor: (ZooModel) -> Trainer.Objective = { copy in
                    let index = copiesMade
                    copiesMade += 1
                    var targets: Tensor?
                    return { batch in
                        let outputs = copy.network.outputs(batch.images, extra: [:])
                        if index == 0 { shapes.value = describe(outputs) }
                        if let own = outputs.first(where: { $0.name == "loss" }) { return (own.tensor, [:]) }
                        guard let first = outputs.first(where: { $0.name != "features" }) ?? outputs.first else {
                            throw UserFacingError("\(name): the model gives no outputs to train on")
                        }
                        if first.name == "features" { return (first.tensor.squared().mean(), [:]) }
                        let t = targets ?? {
                            let rows = first.tensor.shape[0], width = first.tensor.count / rows, g = Generator(seed: 2)
                            let all = (0..<(self.batch * width)).map { _ -> Float in g.uniform() < 0.3 ? 1 : 0 }
                            return Tensor(Array(all[(index * rows * width)..<((index + 1) * rows * width)]), shape: first.tensor.shape)
                        }()
                        targets = t
                        return (Tensor.binaryCrossEntropyWithLogits(logits: first.tensor, targets: t), [:])
                    }
                }
                let batchOfImages = Batch(images: images, targets: [:])
                if let copies = try ReplicaSet(model: built, count: replicas, build: { try Catalog.locate().buildModel(model).model },
                                               objectiveFor: objectiveFor) {
                    // Each copy's forward and backward on its own thread; the model's gradients hold the sum.
                    step = {
                        built.module.zeroGrad()
                        let (loss, _) = try copies.step(batchOfImages, lossScale: 1)
                        try averager.average(parameters)
                        optimizer.update()
                        return (shapes.value + " × \(replicas) replicas", loss)
                    }
                    break
                }
                let objective = objectiveFor(built)
                step = {
                    let (loss, _) = try objective(batchOfImages)
                    built.module.zeroGrad()
                    if overlap {
                        try averager.average(parameters) { loss.backward(leafReady: $0) }
                    } else {
                        loss.backward()
                        try averager.average(parameters)
                    }
                    optimizer.update()
                    return (shapes.value, loss.item)
                }
            }
            let (shapes, firstLoss) = try step()  // warm-up: first-touch allocation
            if !json && group.isWriter {
                print("\(name): input \(input) → \(shapes)" + (firstLoss.map { String(format: ", loss %.4f", $0) } ?? ""))
            }
            var lastLoss = firstLoss
            var times: [Double] = [], reduceTimes: [Double] = [], waitTimes: [Double] = []
            for _ in 0..<steps {
                group.barrier()  // ranks start each step together, so a step's time is the job's
                averager.resetTiming()
                let start = DispatchTime.now().uptimeNanoseconds
                lastLoss = try step().loss
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                reduceTimes.append(averager.seconds)
                waitTimes.append(averager.waitSeconds)
            }
            let median = times.sorted()[times.count / 2]
            let ips = Double(batch * group.size) / median
            guard group.isWriter else { return }
            if group.isParallel {
                let reduce = reduceTimes.sorted()[reduceTimes.count / 2]
                let bytes = built.module.trainableParameters().reduce(0) { $0 + $1.tensor.count } * allreduceDtype.bytes
                // With overlap the all-reduce share is what backward did not hide: packing, progress calls and
                // the wait after backward.
                let line = String(format: "%d processes × batch %d: %.3f s/step = compute %.3f s + all-reduce %.3f s",
                                  group.size, batch, median, median - reduce, reduce)
                    + (overlap ? " not hidden by backward" : "")
                    + String(format: " (%d buckets, %.1f MB of %@ gradients), %.2f img/s", averager.calls, Double(bytes) / 1e6,
                             allreduceDtype.rawValue, ips)
                if json {
                    printJSON(.object([("model", .string(name)), ("mode", .string(mode.rawValue)), ("batch_per_process", .integer(batch)),
                                       ("processes", .integer(group.size)), ("seconds_per_step", .array(times.map { .number($0) })),
                                       ("allreduce_seconds_per_step", .array(reduceTimes.map { .number($0) })),
                                       ("overlap", .bool(overlap)), ("allreduce_dtype", .string(allreduceDtype.rawValue)),
                                       ("allreduce_wait_seconds_per_step", .array(waitTimes.map { .number($0) })),
                                       ("gradient_bytes", .integer(bytes)), ("images_per_second", .number(ips)),
                                       ("threads", .integer(Parallel.workers))]))
                } else {
                    print("\(name)  \(mode.rawValue)  " + line + "  (median of \(steps) steps, \(Parallel.workers) threads per process)")
                }
                return
            }
            if json {
                printJSON(.object([("model", .string(name)), ("mode", .string(mode.rawValue)), ("batch", .integer(batch)),
                                   ("steps", .integer(steps)), ("seconds_per_step", .array(times.map { .number($0) })),
                                   ("images_per_second", .number(ips)), ("threads", .integer(Parallel.workers)),
                                   ("replicas", .integer(replicas)), ("last_loss", lastLoss.map { .number(Double($0)) } ?? .null)]))
            } else {
                print("\(name)  \(mode.rawValue)  batch \(batch)  \(String(format: "%.2f", ips)) img/s  "
                    + "(median of \(steps) steps, \(String(format: "%.3f", median)) s/step, \(Parallel.workers) threads)")
            }
        }
    }

    /// Images per second through the training loader: decode (JPEG files or shard), transform, batch.
    func runData() throws {
        guard let data else { throw ValidationError("--data is required for --mode data") }
        try reportingErrors {
            let samples = try AUData.load(data, root: nil, preset: .bp4d, skipBad: false)
            let pipeline = ImagePipeline(size: size, augment: augment)
            let source = samples.batches(batchSize: batch, imageSize: size, shuffle: true, seed: 0, skipBad: false,
                                         transform: pipeline.train) { ["au": $0.labels] }
            _ = try source.batch(epoch: 0, index: 0)  // warm-up: page cache, decoder set-up
            let batches = min(source.batchesPerEpoch, max(1, steps))
            let start = DispatchTime.now().uptimeNanoseconds
            for i in 0..<batches { _ = try source.batch(epoch: 1, index: i) }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let ips = Double(batches * batch) / seconds
            let kind = samples.shard == nil ? "image files" : "packed shard"
            // Reading alone (decode from file or shard, no transform), on both cores, in the loader's order:
            // whole passes over the dataset until at least a second has gone by, so that short runs of a
            // few milliseconds do not decide the figure.
            let order = source.order(epoch: 1)
            let shard = samples.shard
            let readStart = DispatchTime.now().uptimeNanoseconds
            let failures = ManagedCounter()
            var reads = 0
            repeat {
                DispatchQueue.concurrentPerform(iterations: order.count) { k in
                    let sample = samples.samples[order[order.startIndex + k]]
                    do {
                        if let shard, let index = sample.shardIndex { _ = try shard.image(index) } else { _ = try ImageFile.read(sample.path) }
                    } catch { failures.increment() }
                }
                reads += order.count
            } while DispatchTime.now().uptimeNanoseconds - readStart < 1_000_000_000
            let readIPS = Double(reads) / (Double(DispatchTime.now().uptimeNanoseconds - readStart) / 1e9)
            if json {
                printJSON(.object([("mode", .string("data")), ("source", .string(kind)), ("batch", .integer(batch)), ("augment", .bool(augment)),
                                   ("images", .integer(batches * batch)), ("images_per_second", .number(ips)),
                                   ("read_images_per_second", .number(readIPS)), ("threads", .integer(Parallel.workers))]))
            } else {
                print(String(format: "%@ (%@)  %@  %d×%d  %.0f img/s through the loader, %.0f img/s reading alone  (%d images, %d threads)",
                             data, kind, augment ? "train augmentation" : "resize + flip", size, size, ips, readIPS, batches * batch, Parallel.workers))
            }
        }
    }
}

/// A counter several threads bump.
final class ManagedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var value = 0
    func increment() { lock.withLock { value += 1 } }
}

/// A value the step's objective writes for the report (a class, so the escaping closure can set it).
private final class Box<Value> {
    var value: Value
    init(_ value: Value) { self.value = value }
}

extension AllReduceDType: ExpressibleByArgument {}
