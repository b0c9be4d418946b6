import Foundation
import Tensors

/// Reads the float32 tensors of a safetensors fixture (header length, JSON header, raw little-endian
/// data), enough for test fixtures written by the committed Python scripts.
public struct FixtureFile {
    public let tensors: [String: Tensor]

    public init(path: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard data.count >= 8 else { throw FixtureError("\(path): shorter than a safetensors header") }
        let headerLength = data.prefix(8).withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        guard 8 + headerLength <= data.count,
              let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + headerLength))) as? [String: Any] else {
            throw FixtureError("\(path): bad header")
        }
        var tensors: [String: Tensor] = [:]
        for (name, value) in header where name != "__metadata__" {
            guard let entry = value as? [String: Any], entry["dtype"] as? String == "F32",
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int] else {
                throw FixtureError("\(path): tensor \(name) is not a float32 entry")
            }
            let start = 8 + headerLength + offsets[0], end = 8 + headerLength + offsets[1]
            let t = Tensor(zeros: shape)
            guard end - start == t.count * 4, end <= data.count else { throw FixtureError("\(path): tensor \(name) has a bad size") }
            data.subdata(in: start..<end).withUnsafeBytes { raw in
                for i in 0..<t.count { t.data[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
            }
            tensors[name] = t
        }
        self.tensors = tensors
    }

    public subscript(name: String) -> Tensor? { tensors[name] }

    /// Tensors whose names start with `prefix`, with the prefix removed.
    public func group(_ prefix: String) -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: tensors.compactMap { k, v in k.hasPrefix(prefix) ? (String(k.dropFirst(prefix.count)), v) : nil })
    }
}

public struct FixtureError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

/// max|a − b| ≤ tolerance · max|b|: the parity criterion against PyTorch outputs.
public func maxRelativeError(_ a: Tensor, _ b: Tensor) -> Double {
    precondition(a.shape == b.shape, "shapes \(a.shape) and \(b.shape) differ")
    var diff: Float = 0, scale: Float = 0
    for i in 0..<a.count {
        diff = max(diff, abs(a.data[i] - b.data[i]))
        scale = max(scale, abs(b.data[i]))
    }
    return Double(diff) / Double(max(scale, 1e-30))
}
