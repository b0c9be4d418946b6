import Tensors
import Zoo

/// Bounds of the window layers' numbers (convolution, pooling). Far above any real network (MTCNN's
/// largest kernel is 5, Xception's stride 2) and far below what could overflow the output-size
/// arithmetic on an image of SpecLimits.imageSize.
enum WindowLimits {
    static let kernel = 1...1024
    static let stride = 1...1024
    static let dilation = 1...1024
    static let padding = 0...1024
    /// Dimension indices (softmax, flatten): negative ones count from the end.
    static let dimension = -16...15
}

extension SpecObject {
    /// An integer or a pair of integers [height, width] in `range` (PyTorch's `int | tuple` sizes).
    func intPair(_ key: String, default d: (Int, Int)? = nil, in range: ClosedRange<Int>) throws -> (Int, Int) {
        // raw() marks the key as read even when absent, so finish() can suggest it for a typo.
        guard let value = raw(key), value != .null else {
            guard let d else { throw SpecError.missing(path: childPath(key), expected: "an integer or [height, width]") }
            return d
        }
        let values = try integers(value, key: key, counts: [1, 2], expected: "an integer or [height, width]", in: range)
        return values.count == 1 ? (values[0], values[0]) : (values[0], values[1])
    }

    /// A padding: "same", "valid", an integer, [height, width], or [top, bottom, left, right].
    func padding2D(_ key: String, default d: Padding2D) throws -> Padding2D {
        guard let value = raw(key), value != .null else { return d }
        if case let .string(s) = value {
            switch s {
            case "same": return .same
            case "valid": return .valid
            default: throw SpecError.invalid(path: childPath(key), message: "expected \"same\", \"valid\" or numbers, got \(JSONValue.quoteForMessage(s))")
            }
        }
        let p = try integers(value, key: key, counts: [1, 2, 4],
                             expected: "\"same\", \"valid\", an integer, [height, width] or [top, bottom, left, right]", in: WindowLimits.padding)
        switch p.count {
        case 1: return .symmetric(p[0], p[0])
        case 2: return .symmetric(p[0], p[1])
        default: return .explicit(top: p[0], bottom: p[1], left: p[2], right: p[3])
        }
    }

    private func integers(_ value: JSONValue, key: String, counts: [Int], expected: String, in range: ClosedRange<Int>) throws -> [Int] {
        let items: [JSONValue]
        switch value {
        case .integer: items = [value]
        case let .array(a) where counts.contains(a.count) && a.count > 1: items = a
        default: throw SpecError.wrongType(path: childPath(key), expected: expected, got: value.brief)
        }
        return try items.enumerated().map { i, item in
            let path = items.count == 1 && value == item ? childPath(key) : "\(childPath(key))[\(i)]"
            guard case let .integer(n) = item else { throw SpecError.wrongType(path: path, expected: "an integer", got: item.brief) }
            guard range.contains(n) else {
                throw SpecError.invalid(path: path, message: "expected an integer in \(range.lowerBound)…\(range.upperBound), got \(n)")
            }
            return n
        }
    }

    /// A dimension index in WindowLimits.dimension.
    func dimension(_ key: String, default d: Int) throws -> Int {
        let v = try int(key, default: d)
        guard WindowLimits.dimension.contains(v) else {
            throw SpecError.invalid(path: childPath(key), message:
                "expected a dimension in \(WindowLimits.dimension.lowerBound)…\(WindowLimits.dimension.upperBound), got \(v)")
        }
        return v
    }

    /// A `name` for a child of a container: non-empty, without dots (they separate state-dict keys).
    func childName(_ key: String = "name", default d: String? = nil) throws -> String {
        let name = try d.map { try string(key, default: $0) } ?? string(key)
        guard !name.isEmpty, !name.contains("."), name.utf8.count <= 256 else {
            throw SpecError.invalid(path: childPath(key), message: "expected a name without dots (1 to 256 bytes), got \(JSONValue.quoteForMessage(name))")
        }
        return name
    }
}

/// PyTorch's default initialisation of a convolution (kaiming_uniform with a = √5, and the bias): both
/// U(±1/√fan_in). Loaded weights replace it; it matters for layers trained from scratch.
func fillPyTorchDefault(_ tensor: Tensor, fanIn: Int, generator: Generator) {
    let bound = 1 / Double(max(fanIn, 1)).squareRoot()
    tensor.fillUniform(generator, lower: -bound, upper: bound)
}
