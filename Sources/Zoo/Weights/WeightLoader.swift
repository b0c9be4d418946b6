import Checkpoint
import Keras
import Foundation
import Tensors

/// Puts a checkpoint's weights into a model, for every format zoo reads and every model family: the state
/// dict found and cleaned (CheckpointReader), adapted by the model's family (heads left out, position
/// tables resampled, …), then the module's own strict or non-strict load.
public enum WeightLoader {
    public struct Options {
        /// Every model parameter must come from the file, and every file tensor must be used.
        public var strict = true
        /// Drop a head whose shape differs from the model's instead of failing (fine-tuning on new labels).
        public var dropMismatchedHeads = false
        /// Leave out the checkpoint's classifier head (`head.*`) where the model has no tensor of that name
        /// and shape (`--drop-head`: a timm ImageNet classifier into a headless encoder).
        public var dropHead = false
        /// Key of the checkpoint entry holding the state dict (`--key`); found automatically when nil.
        public var key: String?
        public init(strict: Bool = true, dropMismatchedHeads: Bool = false, dropHead: Bool = false, key: String? = nil) {
            self.strict = strict
            self.dropMismatchedHeads = dropMismatchedHeads
            self.dropHead = dropHead
            self.key = key
        }
    }

    /// A checkpoint's tensors under zoo's names: a whole Keras model's weights are translated (renamed,
    /// kernels to NCHW) as its model_config says; every other format is read as it is.
    public static func readState(_ path: String, key: String? = nil) throws -> TensorFile {
        // Keras weight names are read as they are (no wrapper prefixes stripped): the translation needs them.
        var file = try CheckpointReader.read(path: path, key: key, clean: false)
        if file.format == .hdf5, key == nil, KerasImport.isKerasModel(file) {
            file.tensors = try KerasImport.translate(file, path: path).tensors
        } else {
            file.tensors = try CheckpointReader.cleaned(file.tensors, file: path)
        }
        return file
    }

    /// The checkpoint's state dict after `model`'s family adapted it (nothing loaded yet).
    public static func adapt(_ file: TensorFile, to model: ZooModel, options: Options) throws -> StateDict {
        var state = StateDict(file.tensors)
        try model.family.adapt(&state, to: model.network, options: options)
        return state
    }

    /// Loads `path` into `model`; returns what was adapted or left out (dropped heads, resampled tables,
    /// for a non-strict load the keys on either side without a match) as messages.
    @discardableResult
    public static func load(_ path: String, into model: ZooModel, options: Options = Options()) throws -> [String] {
        let state = try adapt(try readState(path, key: options.key), to: model, options: options)
        let weights = state.floatTensors()
        var notes = state.notes
        if !options.strict {
            // What a non-strict load leaves out, as PyTorch's load_state_dict reports it.
            let expected = Set(model.module.namedParameters().map(\.key))
            let missing = expected.filter { weights[$0] == nil }.sorted()
            let unused = state.names.filter { weights[$0] != nil && !expected.contains($0) }
            func list(_ keys: [String]) -> String { keys.prefix(6).joined(separator: ", ") + (keys.count > 6 ? ", …" : "") }
            if !missing.isEmpty { notes.append("\(missing.count) model tensors not in the checkpoint, kept as initialised: \(list(missing))") }
            if !unused.isEmpty {
                let shown = unused.prefix(6).map { "\($0) \(StateDict.format(weights[$0]!.shape))" }.joined(separator: ", ")
                notes.append("\(unused.count) checkpoint tensors unused: \(shown)\(unused.count > 6 ? ", …" : "")")
            }
        }
        do {
            try model.module.load(weights, strict: options.strict)
        } catch let e as LoadError {
            throw CheckpointError.modelMismatch(file: path, report: report(e, model: model))
        }
        return notes
    }

    /// Checks an adapted state dict against `model` strictly without loading it: every model parameter
    /// present with its shape and nothing else, all problems listed at once (`zoo convert --model`).
    public static func checkStrictly(_ state: StateDict, against model: ZooModel, file: String) throws {
        var problems = LoadError()
        let shapes = Dictionary(state.tensors.map { ($0.name, $0.tensor.shape) }, uniquingKeysWith: { a, _ in a })
        let expected = model.module.namedParameters()
        for (k, t) in expected {
            guard let s = shapes[k] else { problems.missing.append(k); continue }
            if s != t.shape { problems.mismatched.append((k, t.shape, s)) }
        }
        let known = Set(expected.map(\.key))
        problems.unexpected = state.names.filter { !known.contains($0) }
        if !problems.isEmpty { throw CheckpointError.modelMismatch(file: file, report: report(problems, model: model)) }
    }

    /// The load error's report, with the family's hint when it has one.
    static func report(_ problems: LoadError, model: ZooModel) -> String {
        problems.description + (model.family.loadHint(for: problems, model: model.network).map { "; " + $0 } ?? "")
    }
}
