import Foundation

/// Everything that can be wrong with a checkpoint file; each message names the file and the problem.
/// Codable so that a child process can hand its error back unchanged (`HDF5Isolation`).
public enum CheckpointError: Error, CustomStringConvertible, Equatable, Codable {
    case unreadable(file: String, reason: String)
    case unknownFormat(file: String)
    case malformed(file: String, reason: String)
    case unsupportedDType(file: String, tensor: String, dtype: String)
    case unsafePickle(file: String, global: String)
    case unsupportedPickle(file: String, reason: String)
    case missingRecord(file: String, record: String)
    case noStateDict(file: String, keys: [String])
    case modelMismatch(file: String, report: String)
    case cannotWrite(file: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason): return "\(file): cannot read: \(reason)"
        case let .unknownFormat(file): return "\(file): not a safetensors, HDF5 or PyTorch checkpoint"
        case let .malformed(file, reason): return "\(file): \(reason)"
        case let .unsupportedDType(file, tensor, dtype): return "\(file): tensor \(tensor) has unsupported dtype \(dtype)"
        case let .unsafePickle(file, global):
            return "\(file): refusing unsafe pickle: it calls \(global), which could run code"
        case let .unsupportedPickle(file, reason): return "\(file): unsupported pickle: \(reason)"
        case let .missingRecord(file, record): return "\(file): missing storage record \(record)"
        case let .noStateDict(file, keys):
            return "\(file): no state dict found (top-level keys: \(keys.joined(separator: ", "))); pick one with --key"
        case let .modelMismatch(file, report): return "\(file): does not fit the model: \(report)"
        case let .cannotWrite(file, reason): return "\(file): cannot write: \(reason)"
        }
    }
}
