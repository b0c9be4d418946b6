import CPNGCodec
import Foundation

/// PNG decoding with libpng, to the RGB bytes Pillow's `Image.open(f).convert("RGB")` gives, so decoded
/// pixels match what a PyTorch pipeline sees: every colour type and bit depth, Adam7 interlacing too. Grey
/// of 1, 2, 4 bits is scaled to 0…255, 16-bit grey is clamped to 255 (Pillow's "I;16" → "RGB"), other
/// 16-bit samples keep their high byte, alpha and tRNS are dropped (not composited), a palette index past
/// the palette is black. Gamma and colour profiles are ignored, as Pillow ignores them.
///
/// Every problem is a thrown `ImageError` naming the file: libpng's fatal errors and its warnings (a bad
/// CRC in an ancillary chunk, extra data) alike. The libpng calls and their setjmp/longjmp error handling
/// live in C (the CPNGCodec target), since Swift cannot call setjmp.
public enum PNG {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    public static func decode(_ bytes: [UInt8], name: String) throws -> RGBImage {
        guard !bytes.isEmpty else { throw ImageError.empty(file: name) }
        guard bytes.starts(with: signature.prefix(4)) else {
            throw ImageError.wrongFormat(file: name, expected: "a PNG image", looksLike: sniffedFormat(bytes))
        }
        // "\x89PNG" then damage in the line-ending bytes is the classic sign of a transfer in text mode.
        guard bytes.starts(with: signature) else {
            if bytes.count < signature.count {
                throw ImageError.truncated(file: name, reason: "the data ends after \(bytes.count) bytes, inside the PNG signature")
            }
            throw ImageError.corrupt(file: name, reason: "damaged PNG signature (line endings changed by a transfer in text mode?)")
        }
        return try bytes.withUnsafeBufferPointer { input in
            guard let decoder = zoo_png_decoder_create(input.baseAddress!, input.count) else {
                throw ImageError.unreadable(file: name, reason: "out of memory for the PNG decoder")
            }
            defer { zoo_png_decoder_destroy(decoder) }
            var status = zoo_png_status()
            var header = zoo_png_header()
            guard zoo_png_read_header(decoder, &header, &status) == 1 else { throw failure(status, file: name) }
            // libpng has checked IHDR (sizes 1…2^31−1, a valid colour type and bit depth); the size is still
            // untrusted until checked against the limit, before anything is allocated for the pixels.
            let width = Int(header.width), height = Int(header.height)
            try checkPixelCount(width: width, height: height, file: name)
            var decoded = false
            let pixels = [UInt8](unsafeUninitializedCapacity: width * height * 3) { buffer, count in
                decoded = zoo_png_read_rgb(decoder, buffer.baseAddress!, &status) == 1
                count = decoded ? width * height * 3 : 0
            }
            guard decoded else { throw failure(status, file: name) }
            return RGBImage(width: width, height: height, pixels: pixels)
        }
    }

    public static func decode(file path: String) throws -> RGBImage {
        try decode(readImageFileBytes(path), name: path)
    }

    /// The thrown error for libpng's report (or the reader's: running out of data is truncation).
    private static func failure(_ status: zoo_png_status, file: String) -> ImageError {
        let message = withUnsafeBytes(of: status.message) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        if status.truncated != 0 { return .truncated(file: file, reason: message) }
        return .corrupt(file: file, reason: message)
    }
}
