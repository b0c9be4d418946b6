import Foundation

/// A model spec that cannot be built. Every case names the JSON path of the offending value
/// (`encoder.depth`, `heads[1].out_features`) and says what was expected.
public enum SpecError: Error, CustomStringConvertible, Equatable {
    case wrongType(path: String, expected: String, got: String)
    case missing(path: String, expected: String)
    case unknownField(path: String, suggestion: String?)
    case unknownType(path: String, name: String, known: [String])
    case invalid(path: String, message: String)
    case syntax(file: String, message: String)

    public var description: String {
        switch self {
        case let .wrongType(path, expected, got): return "\(path): expected \(expected), got \(got)"
        case let .missing(path, expected): return "\(path): missing (expected \(expected))"
        case let .unknownField(path, suggestion):
            return "\(path): unknown field" + (suggestion.map { " (did you mean \"\($0)\"?)" } ?? "")
        case let .unknownType(path, name, known):
            return "\(path): unknown type \(JSONValue.quoteForMessage(name)) (known: \(known.joined(separator: ", ")))"
        case let .invalid(path, message): return "\(path): \(message)"
        case let .syntax(file, message): return "\(file): invalid JSON: \(message)"
        }
    }
}

/// The closest of `candidates` to `word` by edit distance, when close enough to be a likely typo.
public func closestMatch(to word: String, in candidates: [String]) -> String? {
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, ca) in a.enumerated() {
            var current = [i + 1] + [Int](repeating: 0, count: b.count)
            for (j, cb) in b.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (ca == cb ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
    // Names are short; a long word is no typo of one (and would cost its length times each candidate's).
    guard word.count <= 64 else { return nil }
    let w = Array(word.lowercased())
    let scored = candidates.map { ($0, distance(w, Array($0.lowercased()))) }.min { $0.1 < $1.1 }
    guard let (best, d) = scored, d <= max(2, w.count / 3) else { return nil }
    return best
}
