import Tensors

/// Per-sample random numbers (MAE's masking noise) that follow the global batch: the generator's holder
/// takes share `batchShare.index` of `batchShare.count` equal shares of every global batch (a rank of a
/// data-parallel job, a replica of the model, or both); it draws the rows of the whole global batch, in
/// the order one process would, and keeps its own. The masks, and the generator's state after the step,
/// are then those of a single process taking the global batch, however the batch is shared out.
public struct GlobalBatchNoise {
    public let generator: Generator

    public init(generator: Generator) {
        self.generator = generator
    }

    /// Uniform noise [rows, columns] for this holder's `rows` samples of a global batch of
    /// rows · shares. Alone: one draw of [rows, columns], as before.
    public func noise(rows: Int, columns: Int) -> Tensor {
        let share = generator.batchShare
        guard share.count > 1 else { return Tensor.rand([rows, columns], generator: generator) }
        let all = Tensor.rand([rows * share.count, columns], generator: generator)
        let mine = Tensor(uninitializedShape: [rows, columns])
        mine.data.update(from: all.data + share.index * rows * columns, count: rows * columns)
        return mine
    }
}
