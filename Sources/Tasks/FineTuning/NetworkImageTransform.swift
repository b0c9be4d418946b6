import Images
import Layers
import Tensors

/// Images as a `network` model's spec prepares them (`NetworkPreprocessing`): grayscale as Pillow's
/// convert("L"), resized square with Pillow's bilinear filter, then x · scale, then (x − mean) / std per
/// channel; C × H × W floats. `predict` (whole photos and face crops) and `fer` fine-tuning share it.
struct NetworkImageTransform {
    let preprocessing: NetworkPreprocessing

    var channels: Int { preprocessing.grayscale ? 1 : 3 }
    var size: Int { preprocessing.size }

    /// The whole preparation; `flip` mirrors the result left to right (training augmentation).
    func apply(_ image: RGBImage, flip: Bool = false) -> [Float] {
        let source = preprocessing.grayscale ? image.grayscale() : image
        let square = source.width == size && source.height == size ? source : source.resized(width: size, height: size, filter: .bilinear)
        return normalize(flip ? square.flippedHorizontally() : square)
    }

    /// Scale, mean and std on an image already grey (when the model is) and of the model's size.
    func normalize(_ image: RGBImage) -> [Float] {
        let p = preprocessing, c = channels, plane = image.width * image.height
        var out = [Float](repeating: 0, count: c * plane)
        for channel in 0..<c {
            let mean = p.mean[p.mean.count == 1 ? 0 : channel], std = p.std[p.std.count == 1 ? 0 : channel]
            for i in 0..<plane { out[channel * plane + i] = (Float(image.pixels[3 * i + channel]) * p.scale - mean) / std }
        }
        return out
    }
}
