import Foundation

/// One process training alone (a run without mpirun): every collective is the identity and no MPI call
/// is ever made.
public final class SingleProcess: ProcessGroup {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public var localSize: Int { 1 }
    public func startAllReduceSum(_ values: UnsafeMutablePointer<Float>, count: Int) -> PendingReduction { CompletedReduction() }
    public func startAllReduceSum(bfloat16 values: UnsafeMutablePointer<UInt16>, count: Int) -> PendingReduction { CompletedReduction() }
    public func allReduceSum(_ values: inout [Double]) {}
    public func allGather(_ values: [Float]) -> [Float] { values }
    public func broadcast(_ buffer: UnsafeMutableRawPointer, bytes: Int, root: Int) {}
    public func barrier() {}
    public func now() -> Double { ProcessInfo.processInfo.systemUptime }
}
