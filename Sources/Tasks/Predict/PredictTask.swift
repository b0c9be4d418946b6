import Checkpoint
import Foundation
import Tensors
import Training
import Zoo

/// Runs a model on tensors from a safetensors file and writes what it computes: the path that proves
/// numerical parity with PyTorch. IN holds `images` [B, C, H, W] (normalised) and, for MAE models, an
/// optional `noise` [B, L]; OUT gets `features` and one tensor per head (raw logits), or for an MAE
/// `loss`, `pred` and `mask`.
public enum PredictTask: TaskPlugin {
    public static let name = "predict"
    public static let summary = "run a model on images (files or a folder: AU probabilities / expression classes to JSON or CSV) or on input tensors (safetensors)"
    public static let options: [TaskOption] = TrainedModelOptions.options + [
        TaskOption("input", .path, required: true, help: "an image, a folder of images, or a safetensors file with images [B, C, H, W] (and MAE noise [B, L])"),
        TaskOption("output", .path, help: "for images: .json or .csv (default: print only); for tensors: the safetensors file to write"),
        TaskOption("preset", .string, default: "bp4d", help: "AU names for the head's outputs: bp4d, bp4d+, disfa"),
        TaskOption("classes", .string, help: "comma-separated class names: the head is an expression classifier (softmax)"),
    ]

    public static func run(_ arguments: TaskArguments) throws {
        let modelOptions = try TrainedModelOptions(arguments)
        if modelOptions.run == nil && modelOptions.weights == nil && !modelOptions.randomWeights {
            throw TaskUsageError("zoo run predict: give --run DIR, or --model and --weights (or --random-weights)")
        }
        // --model with --weights must match the checkpoint exactly: predictions from a half-loaded model mislead.
        let model = try modelOptions.load(strict: modelOptions.run == nil).model

        let inputPath = try arguments.string("input")
        if !Self.isSafetensors(inputPath) { return try ImagePrediction.run(model: model, input: inputPath, arguments: arguments) }
        guard let outputPath = arguments.optionalString("output") else { throw TaskUsageError("zoo run predict: --output is required for tensor input") }
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
                    guard n.dtype.isFloatingPoint, n.shape == [images.shape[0], m.encoder.patchCount] else {
                        throw CheckpointError.malformed(file: inputPath, reason: "noise is \(n.dtype.rawValue) \(n.shape), expected float [\(images.shape[0]), \(m.encoder.patchCount)]")
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

extension PredictTask {
    /// Tensor input is a safetensors file (by content); anything else is treated as images.
    static func isSafetensors(_ path: String) -> Bool {
        (try? CheckpointReader.format(of: path)) == .safetensors
    }
}
