import Foundation

/// One option a task declares: `zoo run TASK --help` lists them, `--name value` sets them.
public struct TaskOption: Sendable {
    public enum Kind: String, Sendable { case string, integer, number, flag, path }
    public var name: String
    public var kind: Kind
    public var defaultValue: String?
    public var help: String

    public init(_ name: String, _ kind: Kind, default defaultValue: String? = nil, help: String) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.help = help
    }
}

/// A job `zoo run NAME` performs (pretraining, fine-tuning, evaluation, …). Registered like layers:
/// one file per task, one line in the built-in list.
public protocol TaskPlugin {
    static var name: String { get }
    /// One line for `zoo list tasks`.
    static var summary: String { get }
    static var options: [TaskOption] { get }
    /// Runs with the parsed option values (every declared option present, defaults filled in).
    static func run(_ values: [String: String]) throws
}

/// Task plugins by name.
public final class TaskRegistry {
    public static let shared = TaskRegistry()
    private var plugins: [String: TaskPlugin.Type] = [:]

    public init() {}

    public func register(_ plugin: TaskPlugin.Type) { plugins[plugin.name] = plugin }
    public func register(_ list: [TaskPlugin.Type]) { list.forEach(register) }

    /// All tasks, sorted by name.
    public var all: [TaskPlugin.Type] { plugins.values.sorted { $0.name < $1.name } }

    public func plugin(named name: String) -> TaskPlugin.Type? { plugins[name] }
}
