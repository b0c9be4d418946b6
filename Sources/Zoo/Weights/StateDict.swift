import Checkpoint
import Foundation
import Tensors

/// A checkpoint's tensors by name, in file order, as a model family adapts them before loading: what it
/// left out (with the shapes, for the report) and what it changed (as notes).
public struct StateDict {
    public private(set) var tensors: [(name: String, tensor: StoredTensor)]
    /// Tensors removed by `leaveOut`, in file order.
    public private(set) var leftOut: [(name: String, shape: [Int])] = []
    /// What the adaptation did, one line each ("resampled pos_embed from a 4×4 to a 6×6 grid").
    public var notes: [String] = []

    public init(_ tensors: [(name: String, tensor: StoredTensor)]) {
        self.tensors = tensors
    }

    public var names: [String] { tensors.map(\.name) }

    public subscript(name: String) -> StoredTensor? {
        get { tensors.first { $0.name == name }?.tensor }
        set {
            guard let i = tensors.firstIndex(where: { $0.name == name }) else {
                if let newValue { tensors.append((name, newValue)) }
                return
            }
            if let newValue { tensors[i].tensor = newValue } else { tensors.remove(at: i) }
        }
    }

    /// Removes the tensors `predicate` picks and remembers them; returns their names.
    @discardableResult
    public mutating func leaveOut(where predicate: (String, StoredTensor) -> Bool) -> [String] {
        var removed: [String] = []
        tensors.removeAll { entry in
            guard predicate(entry.name, entry.tensor) else { return false }
            leftOut.append((entry.name, entry.tensor.shape))
            removed.append(entry.name)
            return true
        }
        return removed
    }

    /// "head.weight [1000, 384], head.bias [1000]" for the given left-out names.
    public func describeLeftOut(_ names: [String]) -> String {
        leftOut.filter { names.contains($0.name) }.map { "\($0.name) \(StateDict.format($0.shape))" }.joined(separator: ", ")
    }

    /// The floating-point tensors as float32 tensors (integer ones, such as BatchNorm's counters, are not
    /// parameters of any module here).
    public func floatTensors() -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (name, t) in tensors where t.dtype.isFloatingPoint { out[name] = t.floatTensor() }
        return out
    }

    static func format(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
}
