import Images
import Layers
import Tensors

/// Images as a `network` model's spec prepares them (`NetworkPreprocessing`): grayscale as Pillow's
/// convert("L") (ITU-R 601-2 luma in 16-bit fixed point), resized square with Pillow's bilinear filter,
/// then x · scale, then (x − mean) / std per channel; C × H × W floats.
struct NetworkImageTransform {
    let preprocessing: NetworkPreprocessing

    var channels: Int { preprocessing.grayscale ? 1 : 3 }
    var size: Int { preprocessing.size }

    func apply(_ image: RGBImage, flip: Bool = false) -> [Float] {
        var source = image
        if preprocessing.grayscale {
            // Pillow's L24: (R·19595 + G·38470 + B·7471 + 0x8000) >> 16, kept in all three channels so
            // the RGB resize below resizes the grey image.
            var pixels = source.pixels
            for i in stride(from: 0, to: pixels.count, by: 3) {
                let l = (UInt32(pixels[i]) * 19595 + UInt32(pixels[i + 1]) * 38470 + UInt32(pixels[i + 2]) * 7471 + 0x8000) >> 16
                let v = UInt8(min(l, 255))
                pixels[i] = v; pixels[i + 1] = v; pixels[i + 2] = v
            }
            source = RGBImage(width: source.width, height: source.height, pixels: pixels)
        }
        if source.width != size || source.height != size { source = source.resized(width: size, height: size, filter: .bilinear) }
        let n = size * size, c = channels
        var out = [Float](repeating: 0, count: c * n)
        for y in 0..<size {
            for x in 0..<size {
                let sx = flip ? size - 1 - x : x
                let p = 3 * (y * size + sx)
                for k in 0..<c {
                    let mean = preprocessing.mean[preprocessing.mean.count == 1 ? 0 : k]
                    let std = preprocessing.std[preprocessing.std.count == 1 ? 0 : k]
                    out[k * n + y * size + x] = (Float(source.pixels[p + k]) * preprocessing.scale - mean) / std
                }
            }
        }
        return out
    }
}
