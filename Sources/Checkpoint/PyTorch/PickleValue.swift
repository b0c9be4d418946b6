import Foundation

/// A value built by the pickle interpreter. Nothing in it was ever executed: calls of globals are kept
/// as `.call` (what would have been called, with what) unless the loader knows what they mean.
public indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer too large for Int, kept as its little-endian two's-complement bytes.
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    case set([PickleValue])
    /// A reference to a global (module.name), not resolved.
    case global(module: String, name: String)
    /// `callee(*args)` with optional state from BUILD: an object the interpreter did not construct.
    case object(PickleObject)
    /// A storage handed out by the persistent-load hook (PyTorch tensors' data).
    case storage(TorchStorage)
    case tensor(TorchTensor)

    /// Short readable text, for `zoo inspect` and messages.
    public func summary(limit: Int = 200) -> String {
        let text = render(depth: 0)
        return text.count > limit ? String(text.prefix(limit - 1)) + "…" : text
    }

    private func render(depth: Int) -> String {
        if depth > 4 { return "…" }
        switch self {
        case .none: return "None"
        case let .bool(b): return b ? "True" : "False"
        case let .int(i): return String(i)
        case .bigInt: return "<big int>"
        case let .float(d): return String(d)
        case let .string(s): return "'\(s)'"
        case let .bytes(b): return "b<\(b.count) bytes>"
        case let .tuple(items): return "(" + items.map { $0.render(depth: depth + 1) }.joined(separator: ", ") + (items.count == 1 ? ",)" : ")")
        case let .list(l): return "[" + l.items.map { $0.render(depth: depth + 1) }.joined(separator: ", ") + "]"
        case let .set(items): return "{" + items.map { $0.render(depth: depth + 1) }.joined(separator: ", ") + "}"
        case let .dict(d):
            return "{" + d.pairs.map { "\($0.key.render(depth: depth + 1)): \($0.value.render(depth: depth + 1))" }.joined(separator: ", ") + "}"
        case let .global(m, n): return "\(m).\(n)"
        case let .object(o):
            // argparse.Namespace and friends: show the fields set by BUILD.
            if case let .dict(state)? = o.state, o.arguments.isEmpty {
                return "\(o.callee.name)(" + state.pairs.map { pair in
                    let key: String = { if case let .string(s) = pair.key { return s } else { return pair.key.render(depth: depth + 1) } }()
                    return "\(key)=\(pair.value.render(depth: depth + 1))"
                }.joined(separator: ", ") + ")"
            }
            return "\(o.callee.module).\(o.callee.name)(" + o.arguments.map { $0.render(depth: depth + 1) }.joined(separator: ", ") + ")"
        case let .storage(s): return "<storage \(s.dtype.rawValue) \(s.key)>"
        case let .tensor(t): return "tensor(\(t.dtype.rawValue), \(t.shape))"
        }
    }

    public var stringValue: String? { if case let .string(s) = self { return s } else { return nil } }
    public var intValue: Int? {
        switch self {
        case let .int(i): return i
        case let .bool(b): return b ? 1 : 0
        default: return nil
        }
    }
    public var dictValue: PickleDict? { if case let .dict(d) = self { return d } else { return nil } }
}

/// A list with reference semantics (APPEND mutates what the memo refers to).
public final class PickleList {
    public var items: [PickleValue]
    init(_ items: [PickleValue] = []) { self.items = items }
}

/// A dict with reference semantics that keeps insertion order (as Python's dict and OrderedDict do).
public final class PickleDict {
    public private(set) var pairs: [(key: PickleValue, value: PickleValue)] = []
    private var stringIndex: [String: Int] = [:]

    init() {}

    func set(_ key: PickleValue, _ value: PickleValue) {
        if let s = key.stringValue {
            if let i = stringIndex[s] { pairs[i].value = value; return }
            stringIndex[s] = pairs.count
        }
        pairs.append((key, value))
    }

    public subscript(key: String) -> PickleValue? { stringIndex[key].map { pairs[$0].value } }
    public var stringKeys: [String] { pairs.compactMap { $0.key.stringValue } }
}

public final class PickleObject {
    public let callee: (module: String, name: String)
    public let arguments: [PickleValue]
    public var state: PickleValue?
    init(callee: (module: String, name: String), arguments: [PickleValue]) {
        self.callee = callee
        self.arguments = arguments
    }
}

/// A typed storage: where its bytes live in the checkpoint and how to read them.
public final class TorchStorage {
    public let key: String
    public let dtype: DType
    public let elementCount: Int
    /// Filled by the container format (zip member or legacy record).
    public var bytes: ByteBuffer?
    init(key: String, dtype: DType, elementCount: Int) {
        self.key = key
        self.dtype = dtype
        self.elementCount = elementCount
    }
}

/// A tensor as `_rebuild_tensor_v2` describes it: a view of a storage.
public struct TorchTensor {
    public let storage: TorchStorage
    public let storageOffset: Int
    public let shape: [Int]
    public let strides: [Int]
    public var dtype: DType { storage.dtype }
}
