import Foundation

/// Opens any checkpoint zoo reads — safetensors, HDF5, PyTorch zip or legacy — by its content, not its
/// extension, and returns its state dict cleaned as timm's loaders clean it.
public enum CheckpointReader {
    /// Keys under which training scripts nest the weights, tried in order (timm's checkpoint loaders).
    public static let stateDictKeys = ["model", "state_dict", "model_state_dict", "module"]
    /// Wrappers that prefix every key: DistributedDataParallel and torch.compile.
    public static let wrapperPrefixes = ["module.", "_orig_mod."]
    /// Bytes beyond the file's size that gathering strided views may allocate.
    static let gatherAllowance = 64 << 20

    /// Sniffs the format from content. Safetensors has no magic number, only an 8-byte header length, so it
    /// is recognised by a header that parses (length inside the file, a JSON object) and tried before the
    /// pickle check: a header length whose low byte is 0x80 would otherwise look like a pickle's PROTO
    /// opcode. A legacy PyTorch file is a pickle: 0x80 and a protocol byte 2…5.
    public static func format(of path: String) throws -> CheckpointFormat {
        let file = try MappedFile(path: path)
        let b = file.bytes
        if b.count >= 4, b.loadLittleEndian(UInt32.self, at: 0) == 0x0403_4B50 { return .pytorchZip }
        if b.count >= 8, b.loadLittleEndian(UInt64.self, at: 0) == 0x0A1A_0A0D_4644_4889 { return .hdf5 }
        if SafeTensorsReader.hasParsableHeader(b) { return .safetensors }
        // A damaged safetensors file still gets the safetensors reader's precise complaint.
        if b.count >= 9, b.base.load(fromByteOffset: 8, as: UInt8.self) == UInt8(ascii: "{") { return .safetensors }
        if TorchCheckpointReader.isPickle(b) { return .pytorchLegacy }
        if b.count < 8 { throw CheckpointError.malformed(file: path, reason: "file is \(b.count) bytes, too short for any checkpoint format") }
        throw CheckpointError.unknownFormat(file: path)
    }

    /// The tensors of the state dict (found under `key`, or the usual keys, or at the top level), with
    /// wrapper prefixes stripped when `clean`; other top-level entries are summarised in `extras`.
    public static func read(path: String, key: String? = nil, clean: Bool = true) throws -> TensorFile {
        var file: TensorFile
        switch try format(of: path) {
        case .safetensors: file = try SafeTensorsReader.read(path: path)
        case .hdf5: file = try HDF5Isolation.read(path: path)
        case .pytorchZip, .pytorchLegacy: file = try readTorch(path: path, key: key)
        }
        if let key, file.format == .safetensors || file.format == .hdf5 {
            // Flat formats nest by name: `--key model` selects the `model.*` tensors.
            let prefix = key + "."
            let selected = file.tensors.filter { $0.name.hasPrefix(prefix) }
            guard !selected.isEmpty else { throw CheckpointError.noStateDict(file: path, keys: Array(Set(file.tensors.map { String($0.name.split(separator: ".")[0]) })).sorted()) }
            file.tensors = selected.map { (String($0.name.dropFirst(prefix.count)), $0.tensor) }
        }
        if clean { file.tensors = try cleaned(file.tensors, file: path) }
        return file
    }

    /// Strips wrapper prefixes; two tensors that clean to one name are an error.
    public static func cleaned(_ tensors: [(name: String, tensor: StoredTensor)], file: String) throws -> [(name: String, tensor: StoredTensor)] {
        var seen = Set<String>()
        return try tensors.map { entry in
            var name = entry.name
            var stripped = true
            while stripped {
                stripped = false
                for p in wrapperPrefixes where name.hasPrefix(p) {
                    name.removeFirst(p.count)
                    stripped = true
                }
            }
            guard seen.insert(name).inserted else {
                throw CheckpointError.malformed(file: file, reason: "two tensors are named \(name) once prefixes are stripped")
            }
            return (name, entry.tensor)
        }
    }

    static func readTorch(path: String, key: String?) throws -> TensorFile {
        let checkpoint = try TorchCheckpointReader.load(path: path)
        let root = checkpoint.root
        var extras: [(key: String, summary: String)] = []
        let stateDict: PickleDict
        if case let .dict(top) = root {
            if let key {
                guard case let .dict(d)? = top[key] else { throw CheckpointError.noStateDict(file: path, keys: top.stringKeys) }
                stateDict = d
            } else if let found = stateDictKeys.lazy.compactMap({ k -> PickleDict? in
                if case let .dict(d)? = top[k], containsTensor(d) { return d }
                return nil
            }).first {
                stateDict = found
            } else if containsTensor(top) {
                stateDict = top
            } else {
                throw CheckpointError.noStateDict(file: path, keys: top.stringKeys)
            }
            if stateDict !== top {
                for (k, v) in top.pairs {
                    if case let .dict(d) = v, d === stateDict { continue }
                    extras.append((k.stringValue ?? k.summary(limit: 40), v.summary()))
                }
            }
        } else {
            throw CheckpointError.noStateDict(file: path, keys: ["(top level is \(root.summary(limit: 40)), not a dict)"])
        }
        var tensors: [(name: String, tensor: StoredTensor)] = []
        // Strided views are gathered into new memory; together they may take the file's size again plus
        // a little, so a few bytes of pickle cannot ask for terabytes.
        var copyBudget = checkpoint.fileSize + gatherAllowance
        for (k, v) in stateDict.pairs {
            guard case let .tensor(t) = v, let name = k.stringValue else { continue }
            tensors.append((name, try t.stored(file: path, name: name, copyBudget: &copyBudget)))
        }
        return TensorFile(format: checkpoint.format, tensors: tensors, extras: extras)
    }

    private static func containsTensor(_ d: PickleDict) -> Bool {
        d.pairs.contains { if case .tensor = $0.value { return true } else { return false } }
    }
}
