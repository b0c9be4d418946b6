/// Pillow's `convert("L")`: ITU-R 601-2 luma L = R·299/1000 + G·587/1000 + B·114/1000 in Pillow's fixed
/// point (R·19595 + G·38470 + B·7471 + 2¹⁵) >> 16, so grey levels match Pillow's byte for byte.
public extension RGBImage {
    /// The luma kept in all three channels: resize, crop and the encoders then serve a grey image unchanged
    /// (each channel is resampled alone, so the three stay equal).
    func grayscale() -> RGBImage {
        var out = pixels
        for i in stride(from: 0, to: out.count, by: 3) {
            let luma = (UInt32(pixels[i]) * 19595 + UInt32(pixels[i + 1]) * 38470 + UInt32(pixels[i + 2]) * 7471 + 0x8000) >> 16
            out[i] = UInt8(truncatingIfNeeded: luma)
            out[i + 1] = out[i]
            out[i + 2] = out[i]
        }
        return RGBImage(width: width, height: height, pixels: out)
    }
}
