import Checkpoint
import Foundation
import Tensors
import Training
import Zoo

/// Runs a model on tensors from a safetensors file and writes what it computes: the path that proves
/// numerical parity with PyTorch. IN holds `images` [B, C, H, W] (normalised) and, for MAE models, an
/// optional `noise` [B, L]; OUT gets `features` and one tensor per head (raw logits), or for an MAE
/// `loss`, `pred` and `mask`: whatever the model's family names its outputs.
public enum PredictTask: TaskPlugin {
    public static let name = "predict"
    public static let summary = "run a model on images (files or a folder; --faces: on each face MTCNN finds) or on input tensors (safetensors): AU / class probabilities or features"
    public static let options: [TaskOption] = TrainedModelOptions.options + [
        TaskOption("input", .path, required: true, help: "an image, a folder of images, or a safetensors file with images [B, C, H, W] (and MAE noise [B, L])"),
        TaskOption("output", .path, help: "for images: .json or .csv (default: print only); for tensors: the safetensors file to write"),
        TaskOption("preset", .string, default: "bp4d", help: "AU names for the head's outputs: bp4d, bp4d+, disfa"),
        TaskOption("classes", .string, help: "comma-separated class names: the head is an expression classifier (softmax)"),
        TaskOption("faces", .flag, help: "find faces with MTCNN and predict on each (a photo without faces gives an empty list)"),
        TaskOption("margin", .number, help: "with --faces: pixels of the final crop added around the box, as facenet-pytorch's extract_face (default 0)"),
        TaskOption("align", .flag, help: "with --faces: warp each face onto the ArcFace 5-point template (least-squares similarity) instead of cutting its box"),
        TaskOption("min-face-size", .number, help: "with --faces: smallest face searched for, in pixels (default 20)"),
        TaskOption("annotate", .path, help: "with --faces: a folder to write a JPEG per photo with boxes, landmarks and top labels"),
        TaskOption("features", .flag, help: "write the encoder's pooled features instead of the heads' outputs (.json, .csv or .safetensors)"),
        TaskOption("skip-bad", .flag, help: "report unreadable images and go on (else the first one stops the run)"),
    ]

    public static func run(_ arguments: TaskArguments) throws {
        let modelOptions = try TrainedModelOptions(arguments)
        if modelOptions.run == nil && modelOptions.weights == nil && !modelOptions.randomWeights,
           try Catalog.locate().intrinsicWeights(for: modelOptions.model ?? "") == nil {
            throw TaskUsageError("zoo run predict: give --run DIR, or --model and --weights (or --random-weights)")
        }
        // --model with --weights must match the checkpoint exactly: predictions from a half-loaded model mislead.
        let model = try modelOptions.load(strict: modelOptions.run == nil).model

        let inputPath = try arguments.string("input")
        if !Self.isSafetensors(inputPath) { return try ImagePrediction.run(model: model, input: inputPath, arguments: arguments) }
        for option in ["faces", "align", "features", "skip-bad"] where arguments.flag(option) {
            throw TaskUsageError("zoo run predict: --\(option) is for image input; \(inputPath) is a safetensors file (its outputs include the features)")
        }
        guard let outputPath = arguments.optionalString("output") else { throw TaskUsageError("zoo run predict: --output is required for tensor input") }
        let input = try SafeTensorsReader.read(path: inputPath)
        guard let stored = input["images"] else {
            throw CheckpointError.malformed(file: inputPath, reason: "no tensor named images (found: \(input.tensors.map(\.name).joined(separator: ", ")))")
        }
        let expected = model.inputShape
        guard stored.dtype.isFloatingPoint, stored.shape.count == 4, Array(stored.shape.dropFirst()) == expected, stored.shape[0] > 0 else {
            throw CheckpointError.malformed(file: inputPath, reason: "images is \(stored.dtype.rawValue) \(stored.shape), expected float [B, \(expected.map(String.init).joined(separator: ", "))]")
        }
        let images = stored.floatTensor()
        // Inputs besides the images that the model's family reads when given (an MAE's masking noise).
        var extra: [String: Tensor] = [:]
        for (name, shape) in model.network.extraInputShapes(batch: images.shape[0]) {
            guard let t = input[name] else { continue }
            guard t.dtype.isFloatingPoint, t.shape == shape else {
                throw CheckpointError.malformed(file: inputPath, reason: "\(name) is \(t.dtype.rawValue) \(t.shape), expected float \(shape)")
            }
            extra[name] = t.floatTensor()
        }
        let outputs = withNoGrad { model.network.outputs(images, extra: extra) }.map { (name: $0.name, tensor: StoredTensor($0.tensor)) }
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
