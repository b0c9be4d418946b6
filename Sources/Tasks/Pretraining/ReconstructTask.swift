import Checkpoint
import Data
import Foundation
import Images
import Tensors
import Training
import Zoo

/// `zoo run reconstruct`: MAE reconstructions saved as a JPEG grid, one row per image:
/// original | masked input | reconstruction (visible patches pasted back, as MAE's demo shows them).
public enum ReconstructTask: TaskPlugin {
    public static let name = "reconstruct"
    public static let summary = "MAE reconstruction of images, saved as a JPEG grid (original | masked | reconstruction)"
    public static let options: [TaskOption] = TrainedModelOptions.options + [
        TaskOption("data", .path, required: true, help: "an image, a folder of images or a list file"),
        TaskOption("count", .integer, default: "4", help: "images to show (the first ones)"),
        TaskOption("output", .path, required: true, help: "JPEG file to write"),
        TaskOption("seed", .integer, default: "0", help: "seed of the masking"),
    ]

    public static func run(_ a: TaskArguments) throws {
        let modelOptions = try TrainedModelOptions(a)
        let (model, loaded) = try modelOptions.load()
        let mae = try model.role(MaskedAutoencoderModel.self, "an MAE", for: "zoo run reconstruct")
        if let loaded { try requireDecoder(in: loaded, for: model, file: modelOptions.weights ?? modelOptions.run! + "/checkpoint/weights.safetensors") }
        mae.generator.restore(stateWords: Generator(seed: UInt64(try a.int("seed"))).stateWords)
        let data = try a.string("data")
        let files = FileManager.default.fileExists(atPath: data) && ImageFolderDataset.imageExtensions.contains((data as NSString).pathExtension.lowercased())
            ? [data] : try ImageList.load(data)
        let chosen = Array(files.prefix(max(1, try a.int("count"))))
        let size = mae.encoder.imageSize, p = mae.encoder.patchSize
        let eval = EvalTransform(size: size)
        var values: [Float] = []
        for file in chosen { values += eval.apply(try ImageFile.read(file)) }
        let batch = Tensor(values, shape: [chosen.count, 3, size, size])
        let out = withNoGrad { mae(batch) }
        // Undo norm-pix: each predicted patch takes the mean and spread of the original patch.
        let target = MaskedAutoencoderModel.patchify(batch, patchSize: p)
        let prediction = mae.normPixelLoss ? MaskedAutoencoderModel.denormalizePatches(out.prediction, like: target) : out.prediction
        let l = mae.encoder.patchCount, d = target.shape[2]
        let masked = target.copy(), pasted = prediction.copy()
        for b in 0..<chosen.count {
            // Removed patches show as 0 in normalised space: the ImageNet mean colour, a neutral grey.
            for i in 0..<l where out.mask.data[b * l + i] == 1 {
                (masked.data + (b * l + i) * d).update(repeating: 0, count: d)
            }
            for i in 0..<l where out.mask.data[b * l + i] == 0 {
                (pasted.data + (b * l + i) * d).update(from: target.data + (b * l + i) * d, count: d)
            }
        }
        let panels = [batch, MaskedAutoencoderModel.unpatchify(masked, patchSize: p, channels: 3),
                      MaskedAutoencoderModel.unpatchify(pasted, patchSize: p, channels: 3)]
        var grid = RGBImage(width: 3 * size, height: chosen.count * size, fill: (255, 255, 255))
        for row in 0..<chosen.count {
            for (column, panel) in panels.enumerated() {
                let plane = 3 * size * size
                let image = RGBImage(normalizedCHW: Array(UnsafeBufferPointer(start: panel.data + row * plane, count: plane)), size: size)
                for y in 0..<size {
                    let from = image.index(x: 0, y: y), to = grid.index(x: column * size, y: row * size + y)
                    grid.pixels.replaceSubrange(to..<(to + 3 * size), with: image.pixels[from..<(from + 3 * size)])
                }
            }
        }
        let output = try a.string("output")
        let bytes = try JPEG.encode(grid, quality: 92)
        try writeAtomically(to: output) { try Data(bytes).write(to: URL(fileURLWithPath: $0)) }
        log("wrote \(chosen.count) reconstructions (loss \(String(format: "%.4f", out.loss.item))) to \(output)")
    }
}

extension RGBImage {
    /// Back from ImageNet-normalised C×H×W floats to 8-bit pixels (clamped).
    init(normalizedCHW values: [Float], size: Int, mean: [Float] = imagenetMean, std: [Float] = imagenetStd) {
        var pixels = [UInt8](repeating: 0, count: size * size * 3)
        for c in 0..<3 {
            for i in 0..<(size * size) {
                let v = (values[c * size * size + i] * std[c] + mean[c]) * 255
                pixels[i * 3 + c] = UInt8(max(0, min(255, v.rounded())))
            }
        }
        self.init(width: size, height: size, pixels: pixels)
    }
}
