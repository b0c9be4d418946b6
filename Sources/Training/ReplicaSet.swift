import Data
import Foundation
import Tensors
import Zoo

/// Copies of a model on one set of weights, one per thread (`--replicas R`): each step, copy r takes rows
/// [r·n/R, (r+1)·n/R) of the batch and runs its objective and backward on its own thread, its ops split
/// over its share of the cores (`Parallel.independently`: one core each when R equals the cores), and the
/// copies' gradients are summed into the model's. Small models train faster this way than with each op
/// split over all the threads (BENCHMARKS.md: 20–30 % for the demo's tiny ViTs).
///
/// The result is the whole batch's step to float rounding: each copy's loss (a mean over its rows) is
/// scaled by 1/R; the copies' generators start each step in the model's generator's state and take their
/// share of every per-sample draw (`Generator.batchShare`), so drop path and MAE's masks are those of one
/// copy taking the whole batch; parameters share storage (`Tensor.shareStorage`), so the optimiser's
/// update reaches every copy. Copies are separate modules, so their gradients and frozen flags
/// (`withFrozenParameters`) never meet across threads.
public final class ReplicaSet {
    public let models: [ZooModel]
    let objectives: [Trainer.Objective]
    /// Each copy's trainable parameters, in the model's order.
    private let parameters: [[Tensor]]

    /// nil for one copy. Throws when `count` > 1 and the task gave no way to build more.
    public init?(model: ZooModel, count: Int, build: (() throws -> ZooModel)?, objectiveFor: (ZooModel) throws -> Trainer.Objective) throws {
        guard count > 1 else { return nil }
        guard let build else { throw TrainingError.replicasUnsupported("this task trains one copy of its model; leave out --replicas") }
        var models = [model]
        let shared = model.module.namedParameters()
        for _ in 1..<count {
            let copy = try build()
            let own = copy.module.namedParameters()
            guard own.map(\.key) == shared.map(\.key), zip(own, shared).allSatisfy({ $0.tensor.shape == $1.tensor.shape }) else {
                throw TrainingError.replicasUnsupported("a copy of the model has different parameters from the model")
            }
            for (mine, theirs) in zip(own, shared) {
                mine.tensor.shareStorage(with: theirs.tensor)
                mine.tensor.requiresGrad = theirs.tensor.requiresGrad
            }
            models.append(copy)
        }
        self.models = models
        objectives = try models.map(objectiveFor)
        parameters = models.map { $0.module.trainableParameters().map(\.tensor) }
    }

    /// One forward and backward of every copy on its rows of `batch`, each loss scaled by `lossScale` / R;
    /// afterwards the model's gradients hold the sum (added to what they held). Returns the mean loss and
    /// the mean of each logged number.
    public func step(_ batch: Batch, lossScale: Float) throws -> (loss: Float, logs: [String: Double]) {
        let count = models.count, rows = batch.images.shape[0]
        precondition(rows % count == 0, "a batch of \(rows) cannot be split over \(count) copies")
        let share = rows / count
        // Every copy draws the whole batch's per-sample numbers from the model's current state.
        let main = models[0].generator, base = main.batchShare, state = main.stateWords
        for (r, copy) in models.enumerated() {
            if r > 0 { copy.generator.restore(stateWords: state) }
            copy.generator.batchShare = (base.index * count + r, base.count * count)
        }
        defer { main.batchShare = base }
        for copy in models.dropFirst() { copy.module.train(models[0].module.training) }
        let outcomes = (0..<count).map { _ in Outcome() }
        Parallel.independently(count) { r in
            outcomes[r].result = Result {
                let range = (r * share)..<((r + 1) * share)
                let slice = Batch(images: batch.images.sliced(dim: 0, range), targets: batch.targets.mapValues { $0.sliced(dim: 0, range) })
                let (loss, logs) = try objectives[r](slice)
                let value = loss.item
                (loss * (lossScale / Float(count))).backward()
                return (value, logs)
            }
        }
        let results = try outcomes.map { try $0.result!.get() }
        for r in 1..<count {
            for (into, from) in zip(parameters[0], parameters[r]) {
                guard let g = from.grad else { continue }
                from.grad = nil
                if let sum = into.grad { Kernels.addInPlace(sum.data, g.data, sum.count) } else { into.grad = g }
            }
        }
        var logs: [String: Double] = [:]
        for (_, own) in results { for (k, v) in own { logs[k, default: 0] += v / Double(count) } }
        return (results.map(\.0).reduce(0, +) / Float(count), logs)
    }

    /// What a copy's thread hands back (each thread writes its own box, never a shared array).
    private final class Outcome {
        var result: Result<(Float, [String: Double]), Error>?
    }
}
