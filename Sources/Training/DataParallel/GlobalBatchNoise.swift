import Tensors

/// Per-sample random numbers (MAE's masking noise) that follow the global batch: every rank draws the
/// rows of the whole global batch from the same generator, in the order one process would, and keeps
/// its own rows. The masks, and the generator's state after the step, are then those of a single
/// process taking the global batch, whatever the number of ranks.
public struct GlobalBatchNoise {
    public let group: ProcessGroup
    public let generator: Generator

    public init(group: ProcessGroup, generator: Generator) {
        self.group = group
        self.generator = generator
    }

    /// Uniform noise [rows, columns] for this rank's `rows` samples of a global batch of rows · ranks
    /// (each rank holds an equal share). One process: one draw of [rows, columns], as before.
    public func noise(rows: Int, columns: Int) -> Tensor {
        guard group.isParallel else { return Tensor.rand([rows, columns], generator: generator) }
        let all = Tensor.rand([rows * group.size, columns], generator: generator)
        let mine = Tensor(uninitializedShape: [rows, columns])
        mine.data.update(from: all.data + group.rank * rows * columns, count: rows * columns)
        return mine
    }
}
