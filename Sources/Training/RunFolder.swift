import Checkpoint
import Zoo
import Foundation

/// A run's output folder: `options.json`, `metrics.jsonl` (a line per epoch and per evaluation),
/// `checkpoint/` and `summary.json`.
public struct RunFolder {
    public let path: String
    public var checkpointFolder: String { path + "/checkpoint" }

    public init(path: String) throws {
        self.path = path
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw CheckpointError.cannotWrite(file: path, reason: "cannot create the run folder: \(error.localizedDescription)")
        }
    }

    /// Starts a fresh run in this folder: the previous run's metrics and checkpoint are removed (a resumed
    /// run keeps them).
    public func startFresh() throws {
        for name in ["metrics.jsonl", "summary.json", "checkpoint"] {
            let p = path + "/" + name
            if FileManager.default.fileExists(atPath: p) { try FileManager.default.removeItem(atPath: p) }
        }
    }

    /// Appends one JSON line with `epoch` and the numbers (keys sorted, so lines diff cleanly).
    public func appendMetrics(epoch: Int, _ values: [String: Double], kind: String = "epoch") throws {
        var pairs: [(String, JSONValue)] = [("kind", .string(kind)), ("epoch", .integer(epoch))]
        for (k, v) in values.sorted(by: { $0.key < $1.key }) { pairs.append((k, v.isFinite ? .number(v) : .null)) }
        let line = JSONValue.object(pairs).serialized() + "\n"
        let file = path + "/metrics.jsonl"
        if !FileManager.default.fileExists(atPath: file) { _ = FileManager.default.createFile(atPath: file, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: file) else { throw CheckpointError.cannotWrite(file: file, reason: "cannot open") }
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        handle.write(Data(line.utf8))
    }

    /// Writes a JSON file in the folder atomically.
    public func writeJSON(_ name: String, _ value: JSONValue) throws {
        let data = Data((value.serialized(pretty: true) + "\n").utf8)
        try writeAtomically(to: path + "/" + name) { try data.write(to: URL(fileURLWithPath: $0)) }
    }
}
