import Checkpoint
import Data
import Foundation
import Metrics
import Tensors
import Training
import Zoo

/// `zoo run id-probe`: FMAE's identity linear probe. The encoder is frozen; a bias-free linear layer
/// learns to tell the subjects apart from the pooled features of some frames of each subject and is
/// tested on the others. High accuracy means the features carry identity; IAT should lower it. Under
/// mpirun each rank computes the features of its share of the batches, every rank trains the same probe
/// on all of them (it is small and seeded), and rank 0 alone prints and writes.
public enum IdentityProbeTask: TaskPlugin {
    public static let name = "id-probe"
    public static let summary = "linear identity probe on frozen features: identity accuracy on held-out frames of the same subjects"
    public static let options: [TaskOption] = TrainedModelOptions.options + [
        TaskOption("data", .path, required: true, help: "label file (FMAE JSON lines) whose subjects are probed"),
        TaskOption("root", .path, help: "image folder of the label file (default: images/ beside it)"),
        TaskOption("preset", .string, default: "bp4d", help: "AU list and subject rule: bp4d, bp4d+, disfa"),
        TaskOption("frames", .integer, default: "100", help: "frames per subject used (FMAE: 100)"),
        TaskOption("train-fraction", .number, default: "0.7", help: "share of each subject's frames the probe learns from"),
        TaskOption("epochs", .integer, default: "20", help: "probe training epochs"),
        TaskOption("blr", .number, default: "2e-4", help: "base learning rate; lr = blr · batch / 256"),
        TaskOption("batch-size", .integer, default: "64", help: "probe batch size"),
        TaskOption("seed", .integer, default: "0", help: "seed of the frame split and probe initialisation"),
    ] + ResultOutputOptions.options

    public static func run(_ a: TaskArguments) throws {
        let modelOptions = try TrainedModelOptions(a)
        let output = try ResultOutputOptions(a)
        let epochs = try a.int("epochs"), batchSize = try a.int("batch-size"), frames = try a.int("frames"), seedValue = try a.int("seed")
        let fraction = try a.double("train-fraction"), blr = try a.double("blr")
        guard epochs > 0, batchSize > 0, frames > 0, seedValue >= 0 else { throw TaskUsageError("--epochs, --batch-size and --frames must be positive, --seed 0 or more") }
        guard fraction > 0 && fraction < 1 else { throw TaskUsageError("--train-fraction must be between 0 and 1, got \(fraction)") }
        let model = try modelOptions.load().model
        let encoder = try model.role((any EncodingModel).self, "an image encoder", for: "zoo run id-probe").featureEncoder
        let preset = try AUDatasetPreset.named(try a.string("preset"))
        let data = try AUData.load(try a.string("data"), root: a.optionalString("root"), preset: preset, skipBad: false)
        let seed = UInt64(seedValue)
        let (train, test, subjects) = split(data, frames: frames, fraction: fraction, seed: seed)
        guard !train.isEmpty, !test.isEmpty else { throw DataError("id-probe: need frames for both sides of the split") }

        let pipeline = ImagePipeline(size: encoder.imageSize, augment: false)
        let group = World.group
        let trainFeatures = try features(encoder, train.map(\.sample), pipeline, shard: data.shard, group: group)
        let testFeatures = try features(encoder, test.map(\.sample), pipeline, shard: data.shard, group: group)
        let accuracy = trainProbe(trainFeatures, train.map(\.subject), testFeatures, test.map(\.subject), classes: subjects.count,
                                  epochs: epochs, batchSize: batchSize, blr: blr, seed: seed)
        guard group.isWriter else { return }
        log(String(format: "id-probe: identity accuracy %.1f%% on %d held-out frames of %d subjects (chance %.1f%%)",
                   100 * accuracy, test.count, subjects.count, 100 / Double(subjects.count)))
        print(String(format: "identity_accuracy %.4f", accuracy))
        if let out = output.out {
            let run = try RunFolder.open(RunOutputOptions(out: out, overwrite: output.overwrite), task: name, options: a.values,
                                         group: SingleProcess())
            try run.appendMetrics(epoch: epochs, ["id_probe_accuracy": accuracy], kind: "evaluation")
            try run.writeSummary(task: name, fields: [("identity_accuracy", .number(accuracy)), ("subjects", .integer(subjects.count)),
                                                      ("test_frames", .integer(test.count)), ("chance", .number(1 / Double(subjects.count)))])
        }
    }

    /// Up to `frames` frames per subject, split `fraction` / rest per subject by a seeded shuffle.
    static func split(_ data: AUData, frames: Int, fraction: Double, seed: UInt64)
        -> (train: [(sample: AUSample, subject: Int)], test: [(sample: AUSample, subject: Int)], subjects: [String]) {
        let subjects = data.subjects
        var train: [(AUSample, Int)] = [], test: [(AUSample, Int)] = []
        for (index, subject) in subjects.enumerated() {
            var mine = data.samples.filter { $0.subject == subject }
            Generator(seed: seed &+ UInt64(index) &* 7919).shuffle(&mine)
            mine = Array(mine.prefix(frames))
            let cut = Int((Double(mine.count) * fraction).rounded())
            train += mine.prefix(cut).map { ($0, index) }
            test += mine.dropFirst(cut).map { ($0, index) }
        }
        return (train, test, subjects)
    }

    /// Pooled encoder features [N, D] of the samples (evaluation transform, no gradients); in a group each
    /// rank computes a contiguous run of the batches and every rank gets all the rows, in order.
    static func features(_ encoder: any VisionEncoder, _ samples: [AUSample], _ pipeline: ImagePipeline, shard: ShardReader?,
                         group: ProcessGroup = SingleProcess()) throws -> Tensor {
        let data = AUData(samples: samples, skipped: [], shard: shard)
        let source = data.batches(batchSize: 64, imageSize: pipeline.size, shuffle: false, seed: 0, skipBad: false,
                                  transform: pipeline.evaluation) { _ in [:] }
        let (rows, _) = try ShardedEvaluation.gather(batches: source.batchesPerEpoch, group: group) { i in
            let batch = try source.batch(epoch: 0, index: i)
            return (withNoGrad { encoder.features(batch.images) }.scalars, [])
        }
        return Tensor(rows, shape: [samples.count, encoder.embedDim])
    }

    /// Trains Linear(D, classes, bias=False) with AdamW on cross-entropy; returns test accuracy.
    static func trainProbe(_ x: Tensor, _ y: [Int], _ testX: Tensor, _ testY: [Int], classes: Int, epochs: Int, batchSize: Int,
                           blr: Double, seed: UInt64) -> Double {
        let g = Generator(seed: seed &+ 17)
        let d = x.shape[1], n = x.shape[0]
        let weight = Tensor(uninitializedShape: [classes, d])
        weight.fillTruncatedNormal(g, std: 0.01)
        weight.requiresGrad = true
        let optimizer = AdamW(groups: [ParameterGroup(parameters: [weight], weightDecay: 0)],
                              learningRate: Float(blr * Double(batchSize) / 256))
        for _ in 0..<epochs {
            var order = Array(0..<n)
            g.shuffle(&order)
            for start in stride(from: 0, to: n, by: batchSize) {
                let members = Array(order[start..<min(n, start + batchSize)])
                let batch = x.gathered(dim: 0, indices: IndexTensor(members, shape: [members.count]))
                let loss = Tensor.crossEntropy(logits: Tensor.linear(batch, weight: weight, bias: nil), targets: members.map { y[$0] })
                weight.grad = nil
                loss.backward()
                optimizer.update()
            }
        }
        let logits = withNoGrad { Tensor.linear(testX, weight: weight, bias: nil) }
        let predicted = ClassificationMetrics.predictedClasses(logits.scalars, classCount: classes)
        return ClassificationMetrics.topOneAccuracy(predicted: predicted, truth: testY) ?? 0
    }
}
