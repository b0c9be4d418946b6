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
        // Rendering stops once the text is long enough: memoised values can be shared so widely that the
        // full text would be astronomically long.
        var text = ""
        let complete = render(into: &text, depth: 0, budget: 4 * limit + 16)
        return !complete || text.count > limit ? String(text.prefix(limit - 1)) + "…" : text
    }

    /// Appends this value's text to `out`; false once `out` has grown past `budget` UTF-8 bytes.
    private func render(into out: inout String, depth: Int, budget: Int) -> Bool {
        guard out.utf8.count <= budget else { return false }
        if depth > 4 { out += "…"; return true }
        func items(_ values: [PickleValue], _ open: String, _ close: String) -> Bool {
            out += open
            for (i, v) in values.enumerated() {
                if i > 0 { out += ", " }
                guard v.render(into: &out, depth: depth + 1, budget: budget) else { return false }
            }
            out += close
            return true
        }
        switch self {
        case .none: out += "None"
        case let .bool(b): out += b ? "True" : "False"
        case let .int(i): out += String(i)
        case .bigInt: out += "<big int>"
        case let .float(d): out += String(d)
        case let .string(s): out += "'\(s.utf8.count > budget ? String(s.prefix(budget)) : s)'"
        case let .bytes(b): out += "b<\(b.count) bytes>"
        case let .tuple(values): return items(values, "(", values.count == 1 ? ",)" : ")")
        case let .list(l): return items(l.items, "[", "]")
        case let .set(values): return items(values, "{", "}")
        case let .dict(d):
            out += "{"
            for (i, pair) in d.pairs.enumerated() {
                if i > 0 { out += ", " }
                guard pair.key.render(into: &out, depth: depth + 1, budget: budget) else { return false }
                out += ": "
                guard pair.value.render(into: &out, depth: depth + 1, budget: budget) else { return false }
            }
            out += "}"
        case let .global(m, n): out += "\(m).\(n)"
        case let .object(o):
            // argparse.Namespace and friends: show the fields set by BUILD.
            if case let .dict(state)? = o.state, o.arguments.isEmpty {
                out += "\(o.callee.name)("
                for (i, pair) in state.pairs.enumerated() {
                    if i > 0 { out += ", " }
                    if case let .string(s) = pair.key { out += s } else {
                        guard pair.key.render(into: &out, depth: depth + 1, budget: budget) else { return false }
                    }
                    out += "="
                    guard pair.value.render(into: &out, depth: depth + 1, budget: budget) else { return false }
                }
                out += ")"
            } else {
                return items(o.arguments, "\(o.callee.module).\(o.callee.name)(", ")")
            }
        case let .storage(s): out += "<storage \(s.dtype.rawValue) \(s.key)>"
        case let .tensor(t): out += "tensor(\(t.dtype.rawValue), \(t.shape))"
        }
        return out.utf8.count <= budget
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
    /// The pickle machine's record of how deeply this list nests, and whether another value holds it.
    var nesting = 1
    var isContained = false
    init(_ items: [PickleValue] = []) { self.items = items }
}

/// A dict with reference semantics that keeps insertion order (as Python's dict and OrderedDict do).
public final class PickleDict {
    public private(set) var pairs: [(key: PickleValue, value: PickleValue)] = []
    private var stringIndex: [String: Int] = [:]
    /// As for PickleList.
    var nesting = 1
    var isContained = false

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
    /// As for PickleList.
    var nesting = 1
    var isContained = false
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
