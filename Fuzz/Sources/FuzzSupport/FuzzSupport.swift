import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// libFuzzer's driver, linked in by `-sanitize=fuzzer`: parses libFuzzer's flags and calls `callback` on
/// every input.
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// The input being fuzzed, set before each call of the body (a C callback cannot capture it).
nonisolated(unsafe) private var fuzzBody: (([UInt8]) -> Void)?

/// Runs libFuzzer with the command line's flags, handing each input to `body` as bytes. A thrown error is
/// the parser's clean refusal and is fine; only a crash, a hang or a leak of memory counts.
public func runFuzzer(_ body: @escaping ([UInt8]) -> Void) -> Never {
    fuzzBody = body
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    let status = LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
        fuzzBody?(bytes)
        return 0
    }
    exit(status)
}

/// A file in /dev/shm (memory, not disk) that holds the current input, for readers that take a path
/// (they map the file). One per process, so parallel fuzzers do not share it.
public final class ScratchFile {
    public let path: String

    public init(_ name: String) {
        let dir = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        path = "\(dir)/zoo-fuzz-\(getpid())-\(name)"
    }

    /// Writes `bytes` as the file's whole content. A failure stops the run with the OS's reason (running
    /// out of descriptors, for one, means a reader leaks them).
    public func write(_ bytes: [UInt8]) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { fatalError("cannot open the scratch file \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { fatalError("cannot write the scratch file \(path): \(String(cString: strerror(errno)))") }
            written += n
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
