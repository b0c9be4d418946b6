import Foundation
import Zoo

/// The model a task evaluates or applies: from a run folder (`--run DIR`: its model.json and
/// checkpoint/weights.safetensors) or from `--model` and `--weights`.
public enum TrainedModel {
    /// The model of `--run DIR` or `--model`/`--weights`, weights loaded (heads may be absent or extra).
    public static func load(_ a: TaskArguments) throws -> ZooModel {
        let specValue: JSONValue, weights: String?
        if let dir = a.optionalString("run") {
            specValue = try ModelBuilder.loadSpec(file: dir + "/model.json")
            weights = dir + "/checkpoint/weights.safetensors"
        } else {
            guard let name = a.optionalString("model") else { throw TaskUsageError("zoo run \(a.task): give --run DIR or --model") }
            specValue = try Catalog.locate().spec(for: name).spec
            weights = a.optionalString("weights")
        }
        let model = try ModelBuilder().build(specValue)
        // Non-strict: a run's checkpoint may carry heads this use does not need (ID_head for eval).
        if let weights { try WeightLoader.load(weights, into: model, options: .init(strict: false, key: a.optionalString("key"))) }
        model.module.eval()
        return model
    }
}
