import CMPIShim
import Foundation

/// The process group this `zoo` was launched in: MPI ranks when started by mpirun (Open MPI sets
/// OMPI_COMM_WORLD_SIZE, PMIx launchers such as srun set PMIX_RANK), otherwise a single process that
/// never touches MPI. Decided once, at first use; the CLI touches it before any tensor work so that the
/// thread count below is in place before the thread pool reads it.
public enum World {
    public static let group: ProcessGroup = {
        let environment = ProcessInfo.processInfo.environment
        guard environment["OMPI_COMM_WORLD_SIZE"] != nil || environment["PMIX_RANK"] != nil else { return SingleProcess() }
        let mpi: MPIProcessGroup
        do { mpi = try MPIProcessGroup() } catch {
            FileHandle.standardError.write(Data("zoo: error: launched by an MPI launcher, but \(error)\n".utf8))
            exit(1)
        }
        // Ranks on one machine share its cores: each takes cores ÷ ranks here, unless the user chose.
        if environment["ZOO_NUM_THREADS"] == nil {
            setenv("ZOO_NUM_THREADS", String(threadsPerRank(localRanks: mpi.localSize)), 1)
        }
        return mpi
    }()

    /// Kernel threads for one of `localRanks` ranks on this machine. A rank the launcher bound to a
    /// subset of the cores (mpirun's default binding, Slurm's cpus-per-task) uses that subset; an unbound
    /// rank takes its share of all of them.
    static func threadsPerRank(localRanks: Int) -> Int {
        let online = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        let allowed = Int(zoo_affinity_cores())
        if allowed > 0 && allowed < online { return allowed }
        return max(1, online / max(1, localRanks))
    }

    /// Ends MPI after a command that succeeded; nothing for a single process. A failed command exits
    /// non-zero without it, and mpirun then stops the other ranks.
    public static func finish() {
        (group as? MPIProcessGroup)?.finalize()
    }
}
