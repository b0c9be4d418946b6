/// Evaluation over a data-parallel group: each rank scores a contiguous run of the test batches and
/// every rank gets all the results in dataset order, so metrics are computed over the whole set exactly
/// once per rank alike, in 1/N of the time. One process scores everything, as before.
public enum ShardedEvaluation {
    /// The batches rank `rank` of `size` scores out of `count`: contiguous runs that cover 0..<count once.
    public static func batches(_ count: Int, rank: Int, size: Int) -> Range<Int> {
        (count * rank / size)..<(count * (rank + 1) / size)
    }

    /// Runs `score` on this rank's batches and gathers what every rank produced: per batch, model
    /// outputs and labels (any widths), concatenated in batch order over the whole set.
    public static func gather(batches count: Int, group: ProcessGroup,
                              _ score: (Int) throws -> (outputs: [Float], labels: [Float])) rethrows -> (outputs: [Float], labels: [Float]) {
        var outputs: [Float] = [], labels: [Float] = []
        for i in batches(count, rank: group.rank, size: group.size) {
            let (o, l) = try score(i)
            outputs += o
            labels += l
        }
        guard group.isParallel else { return (outputs, labels) }
        return (group.allGather(outputs), group.allGather(labels))
    }
}
