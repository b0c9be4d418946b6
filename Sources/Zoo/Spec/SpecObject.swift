import Foundation

/// Typed reading of one JSON object of a spec. Each accessor marks its field as known, so that
/// `finish()` can reject the fields nobody read (typos) with the closest known name.
public final class SpecObject {
    public let path: String
    public let pairs: [(String, JSONValue)]
    private var read: Set<String> = []

    public init(_ value: JSONValue, path: String) throws {
        guard case let .object(pairs) = value else {
            throw SpecError.wrongType(path: path.isEmpty ? "(root)" : path, expected: "an object", got: value.brief)
        }
        self.path = path
        self.pairs = pairs
    }

    public func childPath(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    public func has(_ key: String) -> Bool { pairs.contains { $0.0 == key } }

    public func raw(_ key: String) -> JSONValue? {
        read.insert(key)
        return pairs.first { $0.0 == key }?.1
    }

    private func value(_ key: String, expected: String) throws -> JSONValue {
        guard let v = raw(key), v != .null else { throw SpecError.missing(path: childPath(key), expected: expected) }
        return v
    }

    public func int(_ key: String) throws -> Int {
        let v = try value(key, expected: "an integer")
        if case let .integer(i) = v { return i }
        throw SpecError.wrongType(path: childPath(key), expected: "an integer", got: v.brief)
    }

    public func int(_ key: String, default d: Int) throws -> Int { has(key) && raw(key) != .null ? try int(key) : markRead(key, d) }

    /// A positive integer, at most `range.upperBound` (a width by default: SpecLimits.width), so that
    /// sizes multiplied together later cannot overflow.
    public func positiveInt(_ key: String, default d: Int? = nil, in range: ClosedRange<Int> = SpecLimits.width) throws -> Int {
        let v = try d.map { try int(key, default: $0) } ?? int(key)
        guard range.contains(v) else {
            throw SpecError.invalid(path: childPath(key), message: "expected an integer in \(range.lowerBound)…\(range.upperBound), got \(v)")
        }
        return v
    }

    public func double(_ key: String) throws -> Double {
        let v = try value(key, expected: "a number")
        switch v {
        case let .integer(i): return Double(i)
        case let .number(d): return d
        default: throw SpecError.wrongType(path: childPath(key), expected: "a number", got: v.brief)
        }
    }

    public func double(_ key: String, default d: Double) throws -> Double { has(key) && raw(key) != .null ? try double(key) : markRead(key, d) }

    /// A number in `range` (a probability, a ratio).
    public func double(_ key: String, default d: Double, in range: ClosedRange<Double>) throws -> Double {
        try checked(key, try double(key, default: d), in: range)
    }

    /// A required number in `range`.
    public func double(_ key: String, in range: ClosedRange<Double>) throws -> Double {
        try checked(key, try double(key), in: range)
    }

    private func checked(_ key: String, _ v: Double, in range: ClosedRange<Double>) throws -> Double {
        guard range.contains(v) else {
            throw SpecError.invalid(path: childPath(key), message: "expected a number in \(range.lowerBound)…\(range.upperBound), got \(v)")
        }
        return v
    }

    public func bool(_ key: String, default d: Bool) throws -> Bool {
        guard has(key), let v = raw(key), v != .null else { return markRead(key, d) }
        if case let .bool(b) = v { return b }
        throw SpecError.wrongType(path: childPath(key), expected: "true or false", got: v.brief)
    }

    public func string(_ key: String) throws -> String {
        let v = try value(key, expected: "a string")
        if case let .string(s) = v { return s }
        throw SpecError.wrongType(path: childPath(key), expected: "a string", got: v.brief)
    }

    public func string(_ key: String, default d: String) throws -> String { has(key) && raw(key) != .null ? try string(key) : markRead(key, d) }

    /// One of `choices`.
    public func choice(_ key: String, _ choices: [String], default d: String) throws -> String {
        let v = try string(key, default: d)
        guard choices.contains(v) else {
            throw SpecError.invalid(path: childPath(key), message: "expected one of \(choices.map { "\"\($0)\"" }.joined(separator: ", ")), got \"\(v)\"")
        }
        return v
    }

    public func object(_ key: String) throws -> SpecObject {
        try SpecObject(try value(key, expected: "an object"), path: childPath(key))
    }

    public func array(_ key: String) throws -> [JSONValue] {
        let v = try value(key, expected: "an array")
        if case let .array(items) = v { return items }
        throw SpecError.wrongType(path: childPath(key), expected: "an array", got: v.brief)
    }

    public func intArray(_ key: String, default d: [Int]) throws -> [Int] {
        guard has(key) else { return markRead(key, d) }
        return try array(key).enumerated().map { i, v in
            if case let .integer(n) = v { return n }
            throw SpecError.wrongType(path: "\(childPath(key))[\(i)]", expected: "an integer", got: v.brief)
        }
    }

    /// Rejects fields that no accessor asked for.
    public func finish() throws {
        let known = Array(read)
        for (key, _) in pairs where !read.contains(key) {
            throw SpecError.unknownField(path: childPath(JSONValue.truncatedForMessage(key)), suggestion: closestMatch(to: key, in: known))
        }
    }

    private func markRead<T>(_ key: String, _ value: T) -> T {
        read.insert(key)
        return value
    }
}
