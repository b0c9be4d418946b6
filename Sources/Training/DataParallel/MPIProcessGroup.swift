import CMPIShim
import Foundation

/// The ranks of MPI_COMM_WORLD (a job started by mpirun or srun). MPI's default error handler stays on:
/// a failed collective (a peer that died) aborts the whole job rather than returning, which is how a
/// dead rank takes the others down. A status that does come back non-zero is treated the same way.
public final class MPIProcessGroup: ProcessGroup {
    public let rank: Int
    public let size: Int
    public let localSize: Int

    /// Initialises MPI; throws when the library cannot start (no launcher environment, broken install).
    public init() throws {
        let status = zoo_mpi_init()
        guard status == 0 else { throw DataParallelError.mpiFailed(call: "MPI_Init_thread", status: status) }
        rank = Int(zoo_mpi_rank())
        size = Int(zoo_mpi_size())
        localSize = max(1, Int(zoo_mpi_local_size()))
    }

    public func startAllReduceSum(_ values: UnsafeMutablePointer<Float>, count: Int) -> PendingReduction {
        var handle: OpaquePointer?
        check(zoo_mpi_iallreduce_sum_float(values, count, &handle), "MPI_Iallreduce")
        guard let handle else { abort("MPI_Iallreduce returned no request") }
        return MPIReduction(handle: handle, group: self)
    }

    public func startAllReduceSum(bfloat16 values: UnsafeMutablePointer<UInt16>, count: Int) -> PendingReduction {
        var handle: OpaquePointer?
        check(zoo_mpi_iallreduce_sum_bf16(values, count, &handle), "MPI_Iallreduce (bf16)")
        guard let handle else { abort("MPI_Iallreduce returned no request") }
        return MPIReduction(handle: handle, group: self)
    }

    public func allReduceSum(_ values: inout [Double]) {
        let count = values.count
        values.withUnsafeMutableBufferPointer { check(zoo_mpi_allreduce_sum_double($0.baseAddress, count), "MPI_Allreduce") }
    }

    public func allGather(_ values: [Float]) -> [Float] {
        var counts = [Int32](repeating: 0, count: size)
        check(zoo_mpi_allgather_int(Int32(values.count), &counts), "MPI_Allgather")
        let total = counts.reduce(0) { $0 + Int($1) }
        var out = [Float](repeating: 0, count: total)
        check(zoo_mpi_allgatherv_float(values, Int32(values.count), &out, counts), "MPI_Allgatherv")
        return out
    }

    public func broadcast(_ buffer: UnsafeMutableRawPointer, bytes: Int, root: Int) {
        check(zoo_mpi_broadcast(buffer, bytes, Int32(root)), "MPI_Bcast")
    }

    public func barrier() { check(zoo_mpi_barrier(), "MPI_Barrier") }

    public func now() -> Double { zoo_mpi_time() }

    /// Ends MPI after a successful run (mpirun treats a rank that exits 0 without it as failed).
    public func finalize() { _ = zoo_mpi_finalize() }

    /// Takes every rank down with a message naming this one.
    public func abort(_ message: String, code: Int32 = 1) -> Never {
        FileHandle.standardError.write(Data("zoo: rank \(rank) of \(size): \(message); aborting the job\n".utf8))
        zoo_mpi_abort(code)
        exit(code)
    }

    private func check(_ status: Int32, _ call: String) {
        if status != 0 { abort("\(call) failed with MPI status \(status)") }
    }
}

/// An MPI_Iallreduce in flight.
final class MPIReduction: PendingReduction {
    private let handle: OpaquePointer
    private let group: MPIProcessGroup
    private var complete = false

    init(handle: OpaquePointer, group: MPIProcessGroup) {
        self.handle = handle
        self.group = group
    }

    func test() -> Bool {
        if complete { return true }
        var done: Int32 = 0
        let status = zoo_mpi_reduction_test(handle, &done)
        if status != 0 { group.abort("MPI_Testall failed with MPI status \(status)") }
        complete = done != 0
        return complete
    }

    func wait() {
        if complete { return }
        let status = zoo_mpi_reduction_wait(handle)
        if status != 0 { group.abort("MPI_Waitall failed with MPI status \(status)") }
        complete = true
    }

    deinit {
        // MPI may still write into the buffer until the request completes: never free it before.
        wait()
        zoo_mpi_reduction_free(handle)
    }
}

/// What went wrong starting or running data-parallel training.
public enum DataParallelError: Error, CustomStringConvertible {
    case mpiFailed(call: String, status: Int32)
    case batchNotSplit(String)
    case gradientOrderDiffers(String)

    public var description: String {
        switch self {
        case let .mpiFailed(call, status): return "\(call) failed with MPI status \(status)"
        case let .batchNotSplit(reason): return reason
        case let .gradientOrderDiffers(reason): return reason
        }
    }
}
