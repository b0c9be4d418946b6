import Foundation

/// A test hook, not a feature: `ZOO_TEST_KILL_AT=LABEL` (or `LABEL:N`, the N-th time, 1-based) makes the
/// process SIGKILL itself when it reaches the named point of a checkpoint or metrics write, so the kill
/// tests can stop a real `zoo run` between any two writes, or leave a torn file behind
/// (`*-torn` labels: the file is cut to half its length first, as a kill in the middle of the write
/// would leave it). Unset, each call is one dictionary look-up.
///
/// Labels, in the order a save reaches them: metrics-torn, metrics-appended, checkpoint-begin,
/// weights-torn, weights-written, optimizer-torn, optimizer-written, state-torn, state-written,
/// checkpoint-staged, checkpoint-old-aside, checkpoint-committed.
public enum TestKillPoint {
    private static let target: (label: String, count: Int)? = {
        guard let value = ProcessInfo.processInfo.environment["ZOO_TEST_KILL_AT"], !value.isEmpty else { return nil }
        let parts = value.split(separator: ":", maxSplits: 1)
        return (String(parts[0]), parts.count > 1 ? Int(parts[1]) ?? 1 : 1)
    }()
    private static let lock = NSLock()
    nonisolated(unsafe) private static var seen: [String: Int] = [:]

    /// Kills the process when `label` is the target and this is its N-th arrival.
    public static func reach(_ label: String) {
        guard let target, target.label == label, arrive(label) == target.count else { return }
        kill(getpid(), SIGKILL)
    }

    /// For `*-torn` labels: cuts `file` to half its length, then kills (when targeted).
    public static func tear(_ label: String, file: String) {
        guard let target, target.label == label, arrive(label) == target.count else { return }
        if let size = (try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? Int { truncate(file, off_t(size / 2)) }
        kill(getpid(), SIGKILL)
    }

    private static func arrive(_ label: String) -> Int {
        lock.lock()
        defer { lock.unlock() }
        seen[label, default: 0] += 1
        return seen[label]!
    }
}
