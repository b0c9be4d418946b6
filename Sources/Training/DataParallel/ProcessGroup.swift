/// The processes that train one model together (data parallel): each holds a full copy of the model,
/// takes its share of every global batch, and the group averages their gradients. Rank 0 alone writes
/// the run folder. Every collective call must be made by every rank, in the same order.
public protocol ProcessGroup: AnyObject {
    /// This process's index, 0..<size.
    var rank: Int { get }
    var size: Int { get }
    /// Ranks on this machine (they share its cores).
    var localSize: Int { get }
    /// Starts summing `count` floats across ranks, in place, and returns at once: the values must be left
    /// alone until the reduction is complete (`wait`, or `test` returning true). Every rank must start the
    /// same reductions, of the same counts, in the same order.
    func startAllReduceSum(_ values: UnsafeMutablePointer<Float>, count: Int) -> PendingReduction
    /// The same for bfloat16 values (their bits): each step of the reduction adds in float and rounds the
    /// sum back to bfloat16.
    func startAllReduceSum(bfloat16 values: UnsafeMutablePointer<UInt16>, count: Int) -> PendingReduction
    /// Sums doubles across ranks, in place.
    func allReduceSum(_ values: inout [Double])
    /// Every rank's values concatenated in rank order (ranks may pass different counts).
    func allGather(_ values: [Float]) -> [Float]
    /// Copies `bytes` bytes from rank `root` to every rank.
    func broadcast(_ buffer: UnsafeMutableRawPointer, bytes: Int, root: Int)
    func barrier()
    /// Seconds of a monotonic clock (for timing collectives).
    func now() -> Double
}

extension ProcessGroup {
    public var isParallel: Bool { size > 1 }
    /// Whether this process writes the run folder, logs and checkpoints.
    public var isWriter: Bool { rank == 0 }
}

/// A sum in flight (`ProcessGroup.startAllReduceSum`).
public protocol PendingReduction: AnyObject {
    /// Lets the library move the reduction on (MPI progresses only inside its calls); true once complete.
    func test() -> Bool
    /// Blocks until the reduction is complete.
    func wait()
}

/// What a group with nothing to communicate hands back: complete from the start.
public final class CompletedReduction: PendingReduction {
    public init() {}
    public func test() -> Bool { true }
    public func wait() {}
}
