import Checkpoint
import Zoo
import Foundation

/// A run's output folder: `options.json`, `model.json`, `metrics.jsonl` (a line per epoch and per
/// evaluation), `checkpoint/` (committed as a whole, see CheckpointFolder) and `summary.json`.
/// In a data-parallel job only rank 0 writes it; the other ranks hold a copy whose writes do nothing.
public struct RunFolder {
    public let path: String
    /// False on ranks other than 0: the writing methods return without touching the disk.
    public let isWriter: Bool
    public var checkpoint: CheckpointFolder { CheckpointFolder(runPath: path) }
    public var checkpointFolder: String { checkpoint.path }
    var metricsFile: String { path + "/metrics.jsonl" }
    /// The run's TensorBoard event file, opened at the first metrics line (shared by copies of this folder).
    private let events = ScalarEvents()

    /// The folder at `path`, created when missing (its contents are left as they are).
    public init(path: String) throws {
        self.path = path
        isWriter = true
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw CheckpointError.cannotWrite(file: path, reason: "cannot create the run folder: \(error.localizedDescription)")
        }
    }

    /// Options whose change on `--resume` cannot change the result, so they may differ from the recorded ones.
    public static let resumeExemptOptions: Set<String> = ["resume", "overwrite"]
    /// What makes a folder a run folder (anything a task writes into --out).
    static let runFiles = ["options.json", "summary.json", "metrics.jsonl", "checkpoint", "model.json"]

    /// Opens `output.out` for a task. A new run needs an empty or missing folder, or `--overwrite` (which
    /// empties a run folder first: stale sub-results such as `id-probe/` go with it). `--resume` needs
    /// the options the run was started with, except those in `resumeExemptOptions`. A new run records
    /// `options` in options.json.
    /// In a data-parallel job rank 0 does all of that while the others wait, and they get a copy that
    /// writes nothing (a mistake rank 0 reports takes the job down; see World).
    public static func open(_ output: RunOutputOptions, task: String, options: [String: String],
                            group: ProcessGroup = World.group) throws -> RunFolder {
        guard group.isParallel else { return try openForWriting(output, task: task, options: options) }
        if group.isWriter {
            let run = try openForWriting(output, task: task, options: options)
            group.barrier()
            return run
        }
        group.barrier()
        return RunFolder(readingOnly: output.out)
    }

    private init(readingOnly path: String) {
        self.path = path
        isWriter = false
    }

    private static func openForWriting(_ output: RunOutputOptions, task: String, options: [String: String]) throws -> RunFolder {
        let fm = FileManager.default
        let path = output.out
        var isDirectory: ObjCBool = false
        let exists = fm.fileExists(atPath: path, isDirectory: &isDirectory)
        if exists && !isDirectory.boolValue { throw RunFolderError.notAFolder(path) }
        let contents = exists ? ((try? fm.contentsOfDirectory(atPath: path)) ?? []) : []
        let isRun = contents.contains { runFiles.contains($0) }
        if output.resume {
            guard exists, isRun else { throw RunFolderError.nothingToResume(path) }
            let recorded = try recordedOptions(path + "/options.json")
            let differences = optionDifferences(recorded: recorded, now: options)
            guard differences.isEmpty else { throw RunFolderError.optionsChanged(path, task: task, differences) }
            return try RunFolder(path: path)
        }
        if !contents.isEmpty {
            guard output.overwrite else { throw RunFolderError.exists(path, isRun: isRun) }
            guard isRun else { throw RunFolderError.notARunFolder(path) }
            for name in contents { try fm.removeItem(atPath: path + "/" + name) }
        }
        let run = try RunFolder(path: path)
        try run.writeJSON("options.json", .object(options.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))
        return run
    }

    static func recordedOptions(_ file: String) throws -> [String: String] {
        guard let data = FileManager.default.contents(atPath: file) else { throw RunFolderError.nothingToResume((file as NSString).deletingLastPathComponent) }
        guard case let .object(pairs)? = try? JSONParser.parse(data) else {
            throw CheckpointError.malformed(file: file, reason: "expected a JSON object of option values")
        }
        var out: [String: String] = [:]
        for (k, v) in pairs {
            guard case let .string(s) = v else { throw CheckpointError.malformed(file: file, reason: "\(k): expected a string") }
            out[k] = s
        }
        return out
    }

    /// "--name: recorded → now" for every option that differs, sorted by name.
    public static func optionDifferences(recorded: [String: String], now: [String: String]) -> [String] {
        Set(recorded.keys).union(now.keys).subtracting(resumeExemptOptions).sorted().compactMap { name in
            let before = recorded[name], after = now[name]
            guard before != after else { return nil }
            return "--\(name): \(before ?? "(not set)") → \(after ?? "(not set)")"
        }
    }

    /// Removes what a previous attempt of this run wrote after its options (a resume that found no
    /// complete checkpoint starts over).
    public func clearResults() throws {
        guard isWriter else { return }
        for name in ["metrics.jsonl", "summary.json", "checkpoint"] {
            let p = path + "/" + name
            if FileManager.default.fileExists(atPath: p) { try FileManager.default.removeItem(atPath: p) }
        }
    }

    /// Appends one JSON line with `epoch` and the numbers (keys sorted, so lines diff cleanly).
    public func appendMetrics(epoch: Int, _ values: [String: Double], kind: String = "epoch") throws {
        guard isWriter else { return }
        var pairs: [(String, JSONValue)] = [("kind", .string(kind)), ("epoch", .integer(epoch))]
        for (k, v) in values.sorted(by: { $0.key < $1.key }) { pairs.append((k, v.isFinite ? .number(v) : .null)) }
        let line = Data((JSONValue.object(pairs).serialized() + "\n").utf8)
        let file = metricsFile
        if !FileManager.default.fileExists(atPath: file) { _ = FileManager.default.createFile(atPath: file, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: file) else { throw CheckpointError.cannotWrite(file: file, reason: "cannot open") }
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        if ProcessInfo.processInfo.environment["ZOO_TEST_KILL_AT"] != nil {
            handle.write(line.prefix(line.count / 2))
            TestKillPoint.reach("metrics-torn")
            handle.write(line.dropFirst(line.count / 2))
        } else {
            handle.write(line)
        }
        TestKillPoint.reach("metrics-appended")
        try events.add(values, kind: kind, epoch: epoch, folder: path)
    }

    /// Keeps the metrics of the first `epochs` epochs: a resumed run repeats what came after its
    /// checkpoint, and a line cut short by a kill is dropped.
    public func truncateMetrics(toEpochs epochs: Int) throws {
        guard isWriter else { return }
        guard let data = FileManager.default.contents(atPath: metricsFile) else { return }
        let kept = String(decoding: data, as: UTF8.self).split(separator: "\n").filter { line in
            guard let value = try? JSONParser.parse(Data(line.utf8)), case let .integer(epoch)? = value["epoch"] else { return false }
            return epoch <= epochs
        }
        let text = kept.map { $0 + "\n" }.joined()
        try writeAtomically(to: metricsFile) { try Data(text.utf8).write(to: URL(fileURLWithPath: $0)) }
    }

    /// The epoch lines of metrics.jsonl, in order.
    public func epochMetrics() -> [JSONValue] {
        guard let data = FileManager.default.contents(atPath: metricsFile) else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { try? JSONParser.parse(Data($0.utf8)) }
            .filter { $0["kind"] == .string("epoch") }
    }

    /// Writes a JSON file in the folder atomically.
    public func writeJSON(_ name: String, _ value: JSONValue) throws {
        guard isWriter else { return }
        let data = Data((value.serialized(pretty: true) + "\n").utf8)
        try writeAtomically(to: path + "/" + name) { try data.write(to: URL(fileURLWithPath: $0)) }
    }

    /// summary.json: `fields` first, then the metrics by name (non-finite as null), then `extra`.
    public func writeSummary(task: String, fields: [(String, JSONValue)] = [], metrics: [String: Double] = [:],
                             extra: [(String, JSONValue)] = []) throws {
        var summary: [(String, JSONValue)] = [("task", .string(task))] + fields
        for (k, v) in metrics.sorted(by: { $0.key < $1.key }) { summary.append((k, v.isFinite ? .number(v) : .null)) }
        try writeJSON("summary.json", .object(summary + extra))
    }

    public var hasSummary: Bool { FileManager.default.fileExists(atPath: path + "/summary.json") }
}

/// How `--out` was misused.
public enum RunFolderError: Error, CustomStringConvertible {
    case exists(String, isRun: Bool)
    case notARunFolder(String)
    case notAFolder(String)
    case nothingToResume(String)
    case optionsChanged(String, task: String, [String])

    public var description: String {
        switch self {
        case let .exists(path, isRun):
            return isRun ? "\(path) already holds a run: pass --resume to continue it, or --overwrite to replace it (its sub-folders go too)"
                : "\(path) exists and is not empty: choose another --out, or empty it"
        case let .notARunFolder(path):
            return "\(path) is not empty and holds no zoo run (no options.json, summary.json, metrics.jsonl or checkpoint/); --overwrite only replaces runs"
        case let .notAFolder(path): return "\(path) exists and is not a folder"
        case let .nothingToResume(path): return "\(path): no run to resume (no options.json); start it without --resume"
        case let .optionsChanged(path, task, differences):
            return "\(path): --resume needs the options the run was started with; these differ:\n  " + differences.joined(separator: "\n  ")
                + "\n(start a new run with another --out, or --overwrite this one, to change them; `zoo run \(task) --config \(path)/options.json --resume` repeats the recorded ones)"
        }
    }
}

/// The metrics lines as TensorBoard scalars, one event per line, step = epoch. Tags group by what was
/// measured: `train_loss` → `train/loss`, `test_mean_auc` → `test/mean_auc`, an evaluation's
/// `id_probe_accuracy` → `evaluation/id_probe_accuracy`.
final class ScalarEvents {
    private var writer: TensorBoardWriter?

    func add(_ values: [String: Double], kind: String, epoch: Int, folder: String) throws {
        if writer == nil { writer = try TensorBoardWriter(folder: folder) }
        try writer?.add(values.sorted { $0.key < $1.key }.map { (Self.tag($0.key, kind: kind), $0.value) }, step: epoch)
    }

    static func tag(_ key: String, kind: String) -> String {
        for prefix in ["train", "test", "val"] where key.hasPrefix(prefix + "_") {
            return prefix + "/" + key.dropFirst(prefix.count + 1)
        }
        return key == "lr" ? "train/lr" : kind + "/" + key
    }
}
