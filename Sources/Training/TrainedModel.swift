import Fetch
import Checkpoint
import Foundation
import Zoo

/// The model a task evaluates or applies: from a run folder (`--run DIR`: its model.json and
/// checkpoint/weights.safetensors) or from `--model` and `--weights`.
public struct TrainedModelOptions: TaskOptionGroup {
    public var run: String?
    public var model: String?
    public var weights: String?
    public var key: String?
    public var randomWeights: Bool
    /// Leave out the checkpoint's classifier head where the model has none (a timm classifier into an encoder).
    public var dropHead: Bool

    public static let options: [TaskOption] = [
        TaskOption("run", .path, help: "a run folder: its model.json and checkpoint/weights.safetensors (instead of --model/--weights)"),
        TaskOption("model", .string, help: "catalog model name or JSON spec file (instead of --run)"),
        TaskOption("weights", .path, help: "checkpoint for --model (.pth/.pt/.bin, .safetensors or .h5), or a catalog name whose weights `zoo fetch` downloads"),
        TaskOption("key", .string, help: "checkpoint entry holding the state dict (default: model, state_dict, …)"),
        TaskOption("random-weights", .flag, help: "use --model with random weights (a released catalog model otherwise needs --weights)"),
        TaskOption("drop-head", .flag, help: "leave out the checkpoint's classifier head (head.*) where --model has none, e.g. a timm ImageNet classifier into an encoder"),
    ]

    public init(_ a: TaskArguments) throws {
        run = a.optionalString("run")
        model = a.optionalString("model")
        weights = a.optionalString("weights")
        key = a.optionalString("key")
        randomWeights = a.flag("random-weights")
        dropHead = a.flag("drop-head")
        if run != nil && (model != nil || weights != nil) { throw TaskUsageError("zoo run \(a.task): give --run DIR, or --model (and --weights), not both") }
        if run == nil && model == nil { throw TaskUsageError("zoo run \(a.task): give --run DIR or --model") }
        if weights != nil && randomWeights { throw TaskUsageError("--weights and --random-weights exclude each other") }
    }

    /// The task that trained `--run`'s model, from its summary.json (nil when unknown or unfinished).
    public var runTask: String? {
        guard let run, let data = FileManager.default.contents(atPath: run + "/summary.json"),
              case let .string(task)? = (try? JSONParser.parse(data))?["task"] else { return nil }
        return task
    }

    /// Builds the model and loads its weights (non-strict unless `strict`: a run's checkpoint may carry
    /// heads this use does not need, ID_head for eval). Returns the model and the weight file's tensor
    /// names, nil for random weights.
    public func load(strict: Bool = false) throws -> (model: ZooModel, loaded: Set<String>?) {
        let built: ZooModel, weights: String?
        if let run {
            built = try ModelBuilder().build(try ModelBuilder.loadSpec(file: run + "/model.json"))
            weights = run + "/checkpoint/weights.safetensors"
        } else {
            let catalog = try Catalog.locate()
            let given = try self.weights.map { try WeightsCache().resolveWeights($0, catalog: catalog) }
            try catalog.checkWeights(for: model!, weights: given, randomWeights: randomWeights)
            built = try catalog.buildModel(model!).model
            // A Keras file and a model zoo ships bring their own weights.
            weights = given ?? (randomWeights ? nil : catalog.intrinsicWeights(for: model!))
        }
        var loaded: Set<String>?
        if let weights {
            loaded = Set(try WeightLoader.readState(weights, key: key).tensors.map(\.name))
            try WeightLoader.load(weights, into: built, options: .init(strict: strict, dropHead: dropHead, key: key))
        }
        built.module.eval()
        return (built, loaded)
    }
}

/// Whether a checkpoint's tensor names include an MAE decoder (`decoder_*`, `mask_token`) for `model`:
/// an encoder or classifier checkpoint loaded non-strictly would leave the decoder random, silently.
public func requireDecoder(in loaded: Set<String>, for model: ZooModel, file: String) throws {
    let decoderKeys = model.module.namedParameters().map(\.key).filter { $0.hasPrefix("decoder") || $0 == "mask_token" }
    let missing = decoderKeys.filter { !loaded.contains($0) }
    guard !decoderKeys.isEmpty, !missing.isEmpty else { return }
    throw CheckpointError.modelMismatch(file: file, report: "holds no MAE decoder (missing \(missing.prefix(4).joined(separator: ", "))\(missing.count > 4 ? ", …" : "")): "
                                        + "it is an encoder or classifier checkpoint; reconstruction and pretraining need an MAE checkpoint with its decoder")
}
