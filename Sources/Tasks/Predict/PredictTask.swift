import Checkpoint
import Foundation
import Tensors
import Zoo

/// Runs a model on tensors from a safetensors file and writes what it computes: the path that proves
/// numerical parity with PyTorch. IN holds `images` [B, C, H, W] (normalised) and, for MAE models, an
/// optional `noise` [B, L]; OUT gets `features` and one tensor per head (raw logits), or for an MAE
/// `loss`, `pred` and `mask`.
public enum PredictTask: TaskPlugin {
    public static let name = "predict"
    public static let summary = "run a model on input tensors (safetensors) and write features, head logits or MAE outputs"
    public static let options: [TaskOption] = [
        TaskOption("model", .string, help: "catalog model name or JSON spec file"),
        TaskOption("weights", .path, help: "checkpoint (.pth/.pt/.bin, .safetensors or .h5)"),
        TaskOption("key", .string, default: nil, help: "checkpoint entry holding the state dict (default: model, state_dict, …)"),
        TaskOption("input", .path, help: "safetensors file with images [B, C, H, W] float32 and optional noise [B, L]"),
        TaskOption("output", .path, help: "safetensors file to write"),
    ]

    public static func run(_ arguments: TaskArguments) throws {
        let catalog = try Catalog.locate()
        let (_, _, model) = try catalog.buildModel(try arguments.string("model"))
        let weights = try arguments.string("weights")
        try WeightLoader.load(weights, into: model, options: .init(strict: true, key: arguments.optionalString("key")))
        model.module.eval()

        let inputPath = try arguments.string("input"), outputPath = try arguments.string("output")
        let input = try SafeTensorsReader.read(path: inputPath)
        let encoder = model.encoder
        guard let stored = input["images"] else {
            throw CheckpointError.malformed(file: inputPath, reason: "no tensor named images (found: \(input.tensors.map(\.name).joined(separator: ", ")))")
        }
        let expected = [encoder.inChannels, encoder.imageSize, encoder.imageSize]
        guard stored.dtype.isFloatingPoint, stored.shape.count == 4, Array(stored.shape.dropFirst()) == expected, stored.shape[0] > 0 else {
            throw CheckpointError.malformed(file: inputPath, reason: "images is \(stored.dtype.rawValue) \(stored.shape), expected float [B, \(expected.map(String.init).joined(separator: ", "))]")
        }
        let images = stored.floatTensor()
        var outputs: [(name: String, tensor: StoredTensor)] = []
        try withNoGrad {
            switch model {
            case let .classifier(m):
                let out = m(images)
                outputs.append(("features", StoredTensor(out.features)))
                for (name, logits) in out.logits { outputs.append((name, StoredTensor(logits))) }
            case let .maskedAutoencoder(m):
                var noise: Tensor?
                if let n = input["noise"] {
                    guard n.dtype.isFloatingPoint, n.shape == [images.shape[0], encoder.patchCount] else {
                        throw CheckpointError.malformed(file: inputPath, reason: "noise is \(n.dtype.rawValue) \(n.shape), expected float [\(images.shape[0]), \(encoder.patchCount)]")
                    }
                    noise = n.floatTensor()
                }
                let out = m(images, noise: noise)
                outputs += [("loss", StoredTensor(out.loss)), ("pred", StoredTensor(out.prediction)), ("mask", StoredTensor(out.mask))]
            }
        }
        try SafeTensorsWriter.write(outputs, metadata: [("format", "pt"), ("zoo_task", "predict")], to: outputPath)
        print("wrote \(outputs.map { "\($0.name) \($0.tensor.shape)" }.joined(separator: ", ")) to \(outputPath)")
    }
}
