import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs another program with a deadline and collects what it writes, for work that may crash or hang
/// (see `HDF5Isolation`): the child is killed when the deadline passes or its output grows past a cap,
/// and how it ended is reported rather than thrown, so the caller can name the file it was reading.
struct ChildProcess {
    enum Ending: Equatable {
        case exited(Int32)
        case signalled(Int32)
        case timedOut
        case outputTooLarge
    }

    struct Result {
        let ending: Ending
        /// Standard output (owned memory).
        let output: ByteBuffer
        /// Standard error, at most `errorCap` bytes of it.
        let error: String
    }

    static let errorCap = 64 << 10

    /// Runs `executable` with `arguments`, adding `environment` to this process's environment.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                    timeLimit: TimeInterval, outputCap: Int) throws -> Result {
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        guard systemPipe2(&outPipe, O_CLOEXEC) == 0 else { throw spawnError(executable) }
        guard systemPipe2(&errPipe, O_CLOEXEC) == 0 else {
            close(outPipe[0]); close(outPipe[1])
            throw spawnError(executable)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)

        var merged = ProcessInfo.processInfo.environment
        for (k, v) in environment { merged[k] = v }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        close(outPipe[1]); close(errPipe[1])
        defer { close(outPipe[0]); close(errPipe[0]) }
        guard spawned == 0 else { errno = spawned; throw spawnError(executable) }

        let deadline = Date().addingTimeInterval(timeLimit)
        var output = GrowingBuffer()
        var error: [UInt8] = []
        var open = [true, true]
        var ending: Ending?
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while open[0] || open[1] {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { ending = .timedOut; break }
            var fds = [pollfd(fd: open[0] ? outPipe[0] : -1, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: open[1] ? errPipe[0] : -1, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, 2, Int32(min(remaining * 1000 + 1, 1000)))
            if ready < 0 && errno != EINTR { ending = .timedOut; break }
            for i in 0..<2 where open[i] && fds[i].revents != 0 {
                let n = chunk.withUnsafeMutableBytes { read(fds[i].fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { open[i] = false; continue }
                if i == 0 {
                    guard output.count + n <= outputCap else { ending = .outputTooLarge; break }
                    chunk.withUnsafeBytes { output.append(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                } else if error.count < errorCap {
                    error += chunk[0..<min(n, errorCap - error.count)]
                }
            }
            if ending != nil { break }
        }
        // Both pipes closed does not mean the child is gone: it still gets until the deadline to exit.
        var status: Int32 = 0
        while ending == nil {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r < 0 && errno != EINTR { ending = .exited(-1); break }
            if deadline.timeIntervalSinceNow <= 0 { ending = .timedOut; break }
            usleep(2_000)
        }
        if ending != nil {
            kill(pid, SIGKILL)
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        } else {
            // WIFEXITED/WTERMSIG are macros Swift does not import.
            let signal = status & 0x7F
            ending = signal == 0 ? .exited((status >> 8) & 0xFF) : .signalled(signal)
        }
        return Result(ending: ending!, output: output.finish(), error: String(decoding: error, as: UTF8.self))
    }

    private static func spawnError(_ executable: String) -> CheckpointError {
        .unreadable(file: executable, reason: "cannot start: \(String(cString: strerror(errno)))")
    }
}

/// Bytes appended in chunks into one malloc'd block that doubles as it fills, then handed over as a
/// ByteBuffer without a copy.
private struct GrowingBuffer {
    private var pointer: UnsafeMutableRawPointer?
    private var capacity = 0
    private(set) var count = 0

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if count + bytes.count > capacity {
            let wanted = max(capacity * 2, count + bytes.count, 1 << 16)
            guard let grown = realloc(pointer, wanted) else { fatalError("out of memory growing a buffer to \(wanted) bytes") }
            pointer = grown
            capacity = wanted
        }
        (pointer! + count).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        count += bytes.count
    }

    func finish() -> ByteBuffer {
        guard let pointer else { return ByteBuffer(copying: UnsafeRawBufferPointer(start: nil, count: 0)) }
        return ByteBuffer(base: UnsafeRawPointer(pointer), count: count, owner: MallocOwner(pointer))
    }
}

private final class MallocOwner {
    let pointer: UnsafeMutableRawPointer
    init(_ pointer: UnsafeMutableRawPointer) { self.pointer = pointer }
    deinit { free(pointer) }
}

// glibc declares pipe2 only under _GNU_SOURCE, which the Glibc module does not set. Close-on-exec from the
// start, so a child started by another thread at the same moment cannot inherit these pipes.
@_silgen_name("pipe2")
private func systemPipe2(_ fds: UnsafeMutablePointer<Int32>, _ flags: Int32) -> Int32
