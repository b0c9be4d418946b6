import Checkpoint
import Foundation
import Tensors

/// Puts a checkpoint's weights into a model the way FMAE's fine-tuning does, for every format zoo reads:
/// state dict found and cleaned (CheckpointReader), heads whose shape differs dropped, `pos_embed` for
/// another grid resampled, then the module's own strict or non-strict load.
public enum WeightLoader {
    public struct Options {
        /// Every model parameter must come from the file, and every file tensor must be used.
        public var strict = true
        /// Drop a head whose shape differs from the model's instead of failing (fine-tuning on new labels).
        public var dropMismatchedHeads = false
        /// Key of the checkpoint entry holding the state dict (`--key`); found automatically when nil.
        public var key: String?
        public init(strict: Bool = true, dropMismatchedHeads: Bool = false, key: String? = nil) {
            self.strict = strict
            self.dropMismatchedHeads = dropMismatchedHeads
            self.key = key
        }
    }

    /// Loads `path` into `model`; returns what was adapted (dropped heads, resampled tables) as messages.
    @discardableResult
    public static func load(_ path: String, into model: ZooModel, options: Options = Options()) throws -> [String] {
        let file = try CheckpointReader.read(path: path, key: options.key)
        var weights: [String: Tensor] = [:]
        for (name, t) in file.tensors {
            guard t.dtype.isFloatingPoint else { continue }  // e.g. BatchNorm counters; none in ViTs
            weights[name] = t.floatTensor()
        }
        var notes: [String] = []
        let expected = Dictionary(uniqueKeysWithValues: model.module.namedParameters().map { ($0.key, $0.tensor.shape) })

        if case let .classifier(classifier) = model, options.dropMismatchedHeads {
            for head in classifier.heads {
                let prefix = head.name + "."
                let mismatched = weights.keys.filter { $0.hasPrefix(prefix) && expected[$0] != weights[$0]?.shape }
                if !mismatched.isEmpty {
                    for k in weights.keys where k.hasPrefix(prefix) { weights[k] = nil }
                    notes.append("dropped \(head.name) from the checkpoint: its shape differs from the model's")
                }
            }
        }
        for key in ["pos_embed", "decoder_pos_embed"] {
            guard let w = weights[key], let shape = expected[key], w.shape != shape, w.rank == 3, w.shape[2] == shape[2] else { continue }
            let oldCount = w.shape[1] - 1, newCount = shape[1] - 1
            let oldGrid = Int(Double(oldCount).squareRoot().rounded()), newGrid = Int(Double(newCount).squareRoot().rounded())
            guard oldGrid * oldGrid == oldCount, newGrid * newGrid == newCount else { continue }
            weights[key] = resamplePositionTable(w, extraTokens: 1, to: newGrid)
            notes.append("resampled \(key) from a \(oldGrid)×\(oldGrid) to a \(newGrid)×\(newGrid) grid")
        }
        if !options.strict {
            // What a non-strict load leaves out, as PyTorch's load_state_dict reports it.
            let missing = expected.keys.filter { weights[$0] == nil }.sorted()
            let unexpected = weights.keys.filter { expected[$0] == nil }.sorted()
            func list(_ keys: [String]) -> String { keys.prefix(6).joined(separator: ", ") + (keys.count > 6 ? ", …" : "") }
            if !missing.isEmpty { notes.append("\(missing.count) model tensors not in the checkpoint, kept as initialised: \(list(missing))") }
            if !unexpected.isEmpty { notes.append("\(unexpected.count) checkpoint tensors unused: \(list(unexpected))") }
        }
        do {
            try model.module.load(weights, strict: options.strict)
        } catch let e as LoadError {
            throw CheckpointError.modelMismatch(file: path, report: e.description)
        }
        return notes
    }
}
