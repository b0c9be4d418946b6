import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads HDF5 files in a child process, so that a crash or hang inside libhdf5 becomes an error.
///
/// libhdf5 (1.10.8 here, and h5py's alike) is not hardened against malformed files: one changed byte
/// can make it dereference a wild pointer, loop for ever on a corrupted global heap, or allocate
/// gigabytes. Fixing that is libhdf5's business; zoo keeps it away from its own process instead. The
/// parent starts `zoo internal-read-h5 FILE`, which limits its own memory (RLIMIT_AS), CPU time and
/// core dumps, reads FILE with the in-process `HDF5Reader` and writes the tensors to its standard output
/// as a safetensors stream, in file order. The parent reads that stream with the safetensors reader
/// (which validates every size and offset), under a time limit after which the child is killed. A
/// signal, a timeout or a limit becomes one `CheckpointError` naming the file; the child's own
/// `CheckpointError`s travel back as JSON and are rethrown unchanged.
///
/// The zoo executable is `/proc/self/exe` when this process is zoo, else `$ZOO_EXECUTABLE`; without
/// either (a test or fuzz binary that sets neither) the file is read in process, unprotected.
public enum HDF5Isolation {
    /// The hidden subcommand that reads in the child.
    public static let subcommand = "internal-read-h5"
    /// Longest a read may take; libhdf5 reads a healthy checkpoint of a few GB in well under this.
    public static let timeLimit: TimeInterval = 10

    /// The file's tensors, read in a child zoo process when one can be started (see above).
    public static func read(path: String) throws -> TensorFile {
        guard let executable = executable() else { return try HDF5Reader.read(path: path) }
        return try read(path: path, executable: executable)
    }

    /// Reads `path` through `executable internal-read-h5 PATH`.
    public static func read(path: String, executable: String, timeLimit: TimeInterval = timeLimit) throws -> TensorFile {
        let size = try fileSize(path)
        let limit = memoryLimit(forFileSize: size)
        // One BLAS thread: the child does no numerics, and OpenBLAS reserves memory for each thread.
        let result = try ChildProcess.run(
            executable, [subcommand, path], environment: ["OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"],
            timeLimit: timeLimit, outputCap: limit)
        func fail(_ reason: String) -> CheckpointError { .malformed(file: path, reason: "reading HDF5 in a child process: \(reason)") }
        switch result.ending {
        case .exited(0):
            break
        case .exited(1):
            if let line = result.error.split(separator: "\n").first,
               let error = try? JSONDecoder().decode(CheckpointError.self, from: Data(line.utf8)) {
                throw error
            }
            throw fail("it failed: \(oneLine(result.error))")
        case let .exited(code):
            throw fail("it exited with status \(code): \(oneLine(result.error))")
        case let .signalled(signal):
            throw fail("libhdf5 crashed (signal \(signal), \(String(cString: strsignal(signal)))) or ran out of its "
                       + "\(limit >> 20) MB of memory; the file is malformed")
        case .timedOut:
            throw fail("stopped after \(Int(timeLimit)) s (libhdf5 hangs on some malformed files)")
        case .outputTooLarge:
            throw fail("its output exceeded \(limit >> 20) MB")
        }
        var file = try SafeTensorsReader.read(result.output, file: path)
        file.format = .hdf5
        // The stream keeps file order, so a tensor may start at an offset its element type does not
        // divide; such tensors get aligned memory of their own, as the in-process reader gives them.
        file.tensors = file.tensors.map { entry in
            guard Int(bitPattern: entry.tensor.bytes.base) % entry.tensor.dtype.size != 0 else { return entry }
            var tensor = entry.tensor
            tensor.bytes = ByteBuffer(copying: entry.tensor.bytes.raw)
            return (entry.name, tensor)
        }
        return file
    }

    /// The child's side, run by `zoo internal-read-h5 FILE`: limits itself, reads FILE in process and
    /// writes the stream to standard output. Returns the exit status (1 with the error as JSON on
    /// standard error).
    public static func serve(path: String) -> Int32 {
        do {
            try limitResources(memory: memoryLimit(forFileSize: try fileSize(path)))
            let file = try HDF5Reader.read(path: path)
            try SafeTensorsWriter.write(file.tensors, metadata: file.metadata, toDescriptor: 1, name: path)
            return 0
        } catch {
            let checkpointError = error as? CheckpointError ?? .malformed(file: path, reason: "\(error)")
            let json = (try? JSONEncoder().encode(checkpointError)) ?? Data("\(checkpointError)".utf8)
            FileHandle.standardError.write(json + Data("\n".utf8))
            return 1
        }
    }

    /// The zoo executable to run the child with, or nil to read in process.
    public static func executable() -> String? {
        if let own = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"),
           URL(fileURLWithPath: own).lastPathComponent == "zoo", FileManager.default.isExecutableFile(atPath: own) {
            return own
        }
        if let configured = ProcessInfo.processInfo.environment["ZOO_EXECUTABLE"], !configured.isEmpty,
           FileManager.default.isExecutableFile(atPath: configured) {
            return configured
        }
        return nil
    }

    /// Address space for the child: twice the file (its values, plus libhdf5's copies and chunk cache)
    /// and 512 MB for the zoo process itself (about 150 MB mapped before it reads anything).
    public static func memoryLimit(forFileSize size: Int) -> Int {
        let (twice, o1) = size.multipliedReportingOverflow(by: 2)
        let (total, o2) = twice.addingReportingOverflow(512 << 20)
        return o1 || o2 ? Int.max : total
    }

    private static func limitResources(memory: Int) throws {
        func set(_ resource: Int32, _ value: Int, _ what: String) throws {
            var limit = rlimit(rlim_cur: rlim_t(value), rlim_max: rlim_t(value))
            guard setrlimit(__rlimit_resource_t(UInt32(resource)), &limit) == 0 else {
                throw CheckpointError.unreadable(file: "(child process)", reason: "cannot limit \(what): \(String(cString: strerror(errno)))")
            }
        }
        try set(Int32(RLIMIT_CORE.rawValue), 0, "core dumps")
        // A backstop for the parent's deadline, should the parent itself be gone.
        try set(Int32(RLIMIT_CPU.rawValue), Int(timeLimit) + 5, "CPU time")
        try set(Int32(RLIMIT_AS.rawValue), memory, "memory")
    }

    private static func fileSize(_ path: String) throws -> Int {
        var info = stat()
        guard stat(path, &info) == 0 else { throw CheckpointError.unreadable(file: path, reason: String(cString: strerror(errno))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw CheckpointError.unreadable(file: path, reason: "not a regular file") }
        return Int(info.st_size)
    }

    private static func oneLine(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? "no message"
        return line.count > 300 ? String(line.prefix(299)) + "…" : line
    }
}
