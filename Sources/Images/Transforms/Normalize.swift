/// ImageNet channel statistics, which MAE/FMAE pretraining and fine-tuning normalise with.
public let imagenetMean: [Float] = [0.485, 0.456, 0.406]
public let imagenetStd: [Float] = [0.229, 0.224, 0.225]

public extension RGBImage {
    /// The image as a model input, C×H×W floats (x / 255 − mean) / std: torchvision's `ToTensor` then
    /// `Normalize`, bit for bit.
    func tensorCHW(mean: [Float] = imagenetMean, std: [Float] = imagenetStd) -> [Float] {
        [Float](unsafeUninitializedCapacity: 3 * width * height) { buffer, count in
            writeCHW(into: buffer.baseAddress!, mean: mean, std: std)
            count = 3 * width * height
        }
    }

    /// Writes the C×H×W input into `target` (3·H·W floats), e.g. one slot of a [B, 3, H, W] batch tensor,
    /// without an intermediate array.
    func writeCHW(into target: UnsafeMutablePointer<Float>, mean: [Float] = imagenetMean, std: [Float] = imagenetStd) {
        precondition(mean.count == 3 && std.count == 3, "mean and std need one value per channel")
        // One 256-entry table per channel, computed in float32 in torchvision's order (divide by 255, subtract the
        // mean, divide by the std) so results match exactly; the loop is then a lookup per byte.
        var tables = [Float](repeating: 0, count: 3 * 256)
        for c in 0..<3 {
            for v in 0..<256 { tables[c * 256 + v] = (Float(v) / 255 - mean[c]) / std[c] }
        }
        let plane = width * height
        tables.withUnsafeBufferPointer { table in
            pixels.withUnsafeBufferPointer { p in
                let red = table.baseAddress!, green = red + 256, blue = red + 512
                for i in 0..<plane {
                    target[i] = red[Int(p[3 * i])]
                    target[plane + i] = green[Int(p[3 * i + 1])]
                    target[2 * plane + i] = blue[Int(p[3 * i + 2])]
                }
            }
        }
    }
}
