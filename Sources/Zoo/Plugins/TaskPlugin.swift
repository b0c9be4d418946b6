import Foundation

/// One option a task declares: `zoo run TASK --help` lists them, `--name value` sets them.
public struct TaskOption: Sendable {
    public enum Kind: String, Sendable {
        case string, integer, number, flag, path
        /// One or more paths: `--images a.jpg b.png c/` takes every argument up to the next `--option`.
        case paths
    }
    public var name: String
    public var kind: Kind
    /// The value when the option is not given (nil: not set; flags are off).
    public var defaultValue: String?
    /// The task cannot run without it (checked when the command line is parsed).
    public var required: Bool
    public var help: String

    public init(_ name: String, _ kind: Kind, default defaultValue: String? = nil, required: Bool = false, help: String) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.required = required
        self.help = help
    }
}

/// Options declared once and read into a typed value; every task that uses them lists the group's
/// `options` in its own and reads them with `init(_:)`, so no task reads an option by a string key.
public protocol TaskOptionGroup {
    static var options: [TaskOption] { get }
    init(_ arguments: TaskArguments) throws
}

/// A job `zoo run NAME` performs (prediction, fine-tuning, evaluation, …). Registered like layers: one
/// file per task, one line in the built-in list.
public protocol TaskPlugin {
    static var name: String { get }
    /// One line for `zoo list tasks`.
    static var summary: String { get }
    static var options: [TaskOption] { get }
    static func run(_ arguments: TaskArguments) throws
}

/// A mistake in how a task was called (exit status 2), as opposed to a failure while running it.
public struct TaskUsageError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Option values of one run: command line over `--config FILE.json` over the declared defaults.
public struct TaskArguments {
    public let task: String
    public let values: [String: String]

    public init(task: String, values: [String: String]) {
        self.task = task
        self.values = values
    }

    /// Parses `--name value`, `--name=value` and bare flags against `plugin.options`.
    public static func parse(_ plugin: TaskPlugin.Type, _ arguments: [String]) throws -> TaskArguments {
        let declared = Dictionary(uniqueKeysWithValues: plugin.options.map { ($0.name, $0) })
        var given: [String: String] = [:]
        var i = 0
        func unknown(_ name: String) -> TaskUsageError {
            let hint = closestMatch(to: name, in: Array(declared.keys) + ["config"]).map { " (did you mean --\($0)?)" } ?? ""
            return TaskUsageError("zoo run \(plugin.name): unknown option --\(name)\(hint)")
        }
        while i < arguments.count {
            let arg = arguments[i]
            guard arg.hasPrefix("--"), arg.count > 2 else { throw TaskUsageError("zoo run \(plugin.name): unexpected argument \(arg)") }
            var name = String(arg.dropFirst(2)), value: String?
            if let eq = name.firstIndex(of: "=") {
                value = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            if name == "config" {
                guard let v = value ?? (i + 1 < arguments.count ? arguments[i + 1] : nil) else { throw TaskUsageError("--config needs a file") }
                if value == nil { i += 1 }
                for (k, v) in try configValues(file: v, plugin: plugin) where given[k] == nil { given[k] = v }
                i += 1
                continue
            }
            guard let option = declared[name] else { throw unknown(name) }
            if option.kind == .flag {
                // `--resume=ture` must not read as false.
                guard let parsed = Self.flagValue(value ?? "true") else {
                    throw TaskUsageError("zoo run \(plugin.name): --\(name) is a flag: give it alone, or as --\(name)=true / false (got \(value!))")
                }
                given[name] = parsed ? "true" : "false"
            } else if option.kind == .paths && value == nil {
                var items: [String] = []
                while i + 1 < arguments.count, !arguments[i + 1].hasPrefix("--") {
                    items.append(arguments[i + 1])
                    i += 1
                }
                guard !items.isEmpty else { throw TaskUsageError("zoo run \(plugin.name): --\(name) needs one or more paths") }
                given[name] = items.joined(separator: Self.pathSeparator)
            } else {
                guard let v = value ?? (i + 1 < arguments.count ? arguments[i + 1] : nil) else {
                    throw TaskUsageError("zoo run \(plugin.name): --\(name) needs a value")
                }
                if value == nil { i += 1 }
                given[name] = v
            }
            i += 1
        }
        var values: [String: String] = [:]
        for option in plugin.options {
            if let v = given[option.name] ?? option.defaultValue { values[option.name] = v }
            if option.required && values[option.name] == nil { throw TaskUsageError("zoo run \(plugin.name): --\(option.name) is required") }
            if option.kind == .flag, let v = values[option.name], flagValue(v) == nil {
                throw TaskUsageError("zoo run \(plugin.name): --\(option.name) expects true or false, got \(v)")
            }
        }
        let arguments = TaskArguments(task: plugin.name, values: values)
        for option in plugin.options where option.kind == .integer || option.kind == .number {
            if values[option.name] != nil { _ = try option.kind == .integer ? Double(arguments.int(option.name)) : arguments.double(option.name) }
        }
        return arguments
    }

    /// A JSON object of option values; command-line values win over it.
    static func configValues(file: String, plugin: TaskPlugin.Type) throws -> [String: String] {
        guard let data = FileManager.default.contents(atPath: file) else { throw TaskUsageError("\(file): cannot read the config file") }
        let value: JSONValue
        do { value = try JSONParser.parse(data) } catch { throw TaskUsageError("\(file): invalid JSON: \(error)") }
        guard case let .object(pairs) = value else { throw TaskUsageError("\(file): expected a JSON object of options") }
        let names = plugin.options.map(\.name)
        var out: [String: String] = [:]
        for (k, v) in pairs {
            let name = k.replacingOccurrences(of: "_", with: "-")
            guard names.contains(name) else {
                let hint = closestMatch(to: name, in: names).map { " (did you mean \"\($0)\"?)" } ?? ""
                throw TaskUsageError("\(file): \(k): unknown option of \(plugin.name)\(hint)")
            }
            switch v {
            case let .string(s): out[name] = s
            case let .integer(i): out[name] = String(i)
            case let .number(d): out[name] = String(d)
            case let .bool(b): out[name] = b ? "true" : "false"
            case let .array(items):
                let paths = items.compactMap { item -> String? in if case let .string(p) = item { return p } else { return nil } }
                guard plugin.options.first(where: { $0.name == name })?.kind == .paths, paths.count == items.count, !paths.isEmpty else {
                    throw TaskUsageError("\(file): \(k): expected a string, number or boolean")
                }
                out[name] = paths.joined(separator: pathSeparator)
            default: throw TaskUsageError("\(file): \(k): expected a string, number or boolean")
            }
        }
        return out
    }

    /// Joins the values of a `.paths` option inside one string (a control character no path holds).
    static let pathSeparator = "\u{1F}"

    public func optionalString(_ name: String) -> String? { values[name] }

    /// The values of a `.paths` option (empty when it was not given).
    public func paths(_ name: String) -> [String] {
        values[name].map { $0.components(separatedBy: Self.pathSeparator) } ?? []
    }

    public func string(_ name: String) throws -> String {
        guard let v = values[name] else { throw TaskUsageError("zoo run \(task): --\(name) is required") }
        return v
    }

    public func int(_ name: String) throws -> Int {
        let v = try string(name)
        guard let i = Int(v) else { throw TaskUsageError("zoo run \(task): --\(name) expects an integer, got \(v)") }
        return i
    }

    public func double(_ name: String) throws -> Double {
        let v = try string(name)
        guard let d = Double(v) else { throw TaskUsageError("zoo run \(task): --\(name) expects a number, got \(v)") }
        return d
    }

    /// The number given for --name, or nil when it was not given.
    public func optionalDouble(_ name: String) throws -> Double? {
        values[name] == nil ? nil : try double(name)
    }

    /// A flag's value; parse() has already refused values other than these.
    public func flag(_ name: String) -> Bool { Self.flagValue(values[name] ?? "false") ?? false }

    /// true/false, 1/0, yes/no (any case); nil for anything else.
    static func flagValue(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: return nil
        }
    }
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
