import Foundation

/// The file formats zoo reads and writes.
public enum CheckpointFormat: String, Sendable {
    case safetensors, hdf5, pytorchZip = "pytorch-zip", pytorchLegacy = "pytorch-legacy"
}

/// The named tensors of a checkpoint in file order, with string metadata and (for PyTorch files) the
/// other top-level entries, kept as readable text.
public struct TensorFile {
    public var format: CheckpointFormat
    public var tensors: [(name: String, tensor: StoredTensor)]
    public var metadata: [(key: String, value: String)]
    /// Top-level entries that are not tensors (`epoch`, `args` with its fields, …), for `zoo inspect`.
    public var extras: [(key: String, summary: String)]

    public init(format: CheckpointFormat, tensors: [(name: String, tensor: StoredTensor)],
                metadata: [(key: String, value: String)] = [], extras: [(key: String, summary: String)] = []) {
        self.format = format
        self.tensors = tensors
        self.metadata = metadata
        self.extras = extras
    }

    public subscript(name: String) -> StoredTensor? { tensors.first { $0.name == name }?.tensor }
    public var parameterCount: Int { tensors.reduce(0) { $0 + $1.tensor.elementCount } }
}

/// Writes `body`'s output to a temporary file beside `path` and renames it into place, so `path`
/// appears only when complete; an existing directory at `path` is refused.
public func writeAtomically(to path: String, _ body: (String) throws -> Void) throws {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
        throw CheckpointError.cannotWrite(file: path, reason: "is a directory")
    }
    let url = URL(fileURLWithPath: path)
    let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())").path
    do {
        try body(temporary)
        guard rename(temporary, path) == 0 else {
            throw CheckpointError.cannotWrite(file: path, reason: String(cString: strerror(errno)))
        }
    } catch {
        unlink(temporary)
        throw error
    }
}
