import Foundation

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

    /// Writes `bytes` as the file's whole content.
    public func write(_ bytes: [UInt8]) {
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            fatalError("cannot write the scratch file \(path)")
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
