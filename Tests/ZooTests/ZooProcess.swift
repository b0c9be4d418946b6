import Foundation
import XCTest

/// A `zoo` process the run tests start, signal and wait for; its output goes to files (no pipe can fill).
final class ZooProcess {
    let process = Process()
    private let out: URL, err: URL

    init(_ arguments: [String], environment: [String: String] = [:], directory: URL = repositoryRoot) throws {
        guard let exe = zooExecutable else { throw XCTSkip("zoo executable not built next to the tests (run `make test`)") }
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-process-\(getpid())-\(UUID().uuidString)")
        out = base.appendingPathExtension("out")
        err = base.appendingPathExtension("err")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        process.executableURL = exe
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
    }

    var isRunning: Bool { process.isRunning }

    func interrupt(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for the process; `status` is its exit status, `signal` the signal that killed it (if any).
    func finish() -> (status: Int32, signal: Int32?, stdout: String, stderr: String) {
        process.waitUntilExit()
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        let killed = process.terminationReason == .uncaughtSignal
        return (killed ? -1 : process.terminationStatus, killed ? process.terminationStatus : nil,
                String(decoding: (try? Data(contentsOf: out)) ?? Data(), as: UTF8.self),
                String(decoding: (try? Data(contentsOf: err)) ?? Data(), as: UTF8.self))
    }
}

func startZoo(_ arguments: [String]) throws -> ZooProcess { try ZooProcess(arguments) }

/// Runs `zoo` to the end with extra environment variables, from `directory`.
func runZooProcess(_ arguments: [String], environment: [String: String] = [:], directory: URL = repositoryRoot) throws
    -> (status: Int32, signal: Int32?, stdout: String, stderr: String) {
    try ZooProcess(arguments, environment: environment, directory: directory).finish()
}
