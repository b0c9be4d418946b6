import Checkpoint
import Foundation

/// A run's `checkpoint/` folder, committed as a whole. Its files (weights, optimiser moments, state.json)
/// are written into a fresh `checkpoint.tmp-PID/`, flushed to disk, and only then swapped in:
///
///     checkpoint/          → checkpoint.old-PID/     (the previous epoch, complete)
///     checkpoint.tmp-PID/  → checkpoint/             (the new epoch, complete)
///     checkpoint.old-PID/  removed
///
/// Each step is one rename, so after a crash at any point the folder holds either `checkpoint/` (complete)
/// or, between the two renames, no `checkpoint/` but a complete `checkpoint.old-PID/`, which `recover()`
/// puts back. Whatever else is left (tmp folders, `.NAME.tmp-PID` files of interrupted atomic writes) is
/// debris that `recover()` removes. Resume therefore only ever sees one whole epoch.
public struct CheckpointFolder {
    public let runPath: String
    public var path: String { runPath + "/checkpoint" }

    public init(runPath: String) { self.runPath = runPath }

    /// Writes a checkpoint with `write` (it fills the folder it is given) and commits it.
    public func commit(_ write: (String) throws -> Void) throws {
        let fm = FileManager.default
        let pid = getpid()
        let staging = runPath + "/checkpoint.tmp-\(pid)", old = runPath + "/checkpoint.old-\(pid)"
        for stale in [staging, old] where fm.fileExists(atPath: stale) { try fm.removeItem(atPath: stale) }
        do { try fm.createDirectory(atPath: staging, withIntermediateDirectories: false) } catch {
            throw CheckpointError.cannotWrite(file: staging, reason: "cannot create the checkpoint folder: \(error.localizedDescription)")
        }
        TestKillPoint.reach("checkpoint-begin")
        try write(staging)
        // The files reach the disk before the rename that publishes them: a power cut must not publish a
        // folder whose files are still only in the page cache.
        for name in try fm.contentsOfDirectory(atPath: staging) { try syncFile(staging + "/" + name) }
        try syncFile(staging)
        TestKillPoint.reach("checkpoint-staged")
        let hadPrevious = fm.fileExists(atPath: path)
        if hadPrevious { try move(path, to: old) }
        TestKillPoint.reach("checkpoint-old-aside")
        try move(staging, to: path)
        try syncFile(runPath)
        TestKillPoint.reach("checkpoint-committed")
        if hadPrevious { try? fm.removeItem(atPath: old) }
    }

    /// Makes the folder consistent after a crash: puts back a previous checkpoint left aside between the
    /// two renames, and removes unfinished checkpoints and interrupted atomic writes. Returns the debris
    /// removed (for a log line).
    @discardableResult
    public func recover() throws -> [String] {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: runPath) else { return [] }
        var removed: [String] = []
        if !fm.fileExists(atPath: path), let aside = names.filter({ $0.hasPrefix("checkpoint.old-") }).sorted().last {
            try move(runPath + "/" + aside, to: path)
        }
        let current = (try? fm.contentsOfDirectory(atPath: runPath)) ?? []
        for name in current where name.hasPrefix("checkpoint.tmp-") || name.hasPrefix("checkpoint.old-") || Self.isInterruptedWrite(name) {
            try fm.removeItem(atPath: runPath + "/" + name)
            removed.append(name)
        }
        for name in (try? fm.contentsOfDirectory(atPath: path)) ?? [] where Self.isInterruptedWrite(name) {
            try fm.removeItem(atPath: path + "/" + name)
            removed.append("checkpoint/" + name)
        }
        return removed
    }

    /// `.NAME.tmp-PID`: the temporary file of an atomic write (`writeAtomically`) that never finished.
    static func isInterruptedWrite(_ name: String) -> Bool {
        guard name.hasPrefix("."), let range = name.range(of: ".tmp-", options: .backwards) else { return false }
        let pid = name[range.upperBound...]
        return !pid.isEmpty && pid.allSatisfy(\.isNumber)
    }

    private func move(_ from: String, to: String) throws {
        guard rename(from, to) == 0 else {
            throw CheckpointError.cannotWrite(file: to, reason: "cannot rename \(from): \(String(cString: strerror(errno)))")
        }
    }
}

/// fsync of a file or folder (a folder's fsync makes the renames inside it durable).
func syncFile(_ path: String) throws {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw CheckpointError.cannotWrite(file: path, reason: "cannot open to sync: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    guard fsync(fd) == 0 else { throw CheckpointError.cannotWrite(file: path, reason: "fsync: \(String(cString: strerror(errno)))") }
}
