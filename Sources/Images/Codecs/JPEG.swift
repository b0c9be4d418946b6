import CJPEGCodec
import Foundation

/// JPEG decoding and encoding with libjpeg(-turbo), with the library's defaults (accurate integer DCT, fancy
/// upsampling): the same settings as Pillow, so decoded pixels match what a PyTorch pipeline sees.
///
/// Every problem is a thrown `ImageError` naming the file: libjpeg's fatal errors and its warnings about
/// damaged data (which it would otherwise patch over with gray) alike. The libjpeg calls and their
/// setjmp/longjmp error handling live in C (the CJPEGCodec target), since Swift cannot call setjmp.
public enum JPEG {
    /// Decodes a baseline or progressive JPEG; grayscale becomes RGB, CMYK/YCCK are refused.
    public static func decode(_ bytes: [UInt8], name: String) throws -> RGBImage {
        guard !bytes.isEmpty else { throw ImageError.empty(file: name) }
        guard bytes.count >= 2, bytes[0] == 0xFF, bytes[1] == 0xD8 else {
            throw ImageError.wrongFormat(file: name, expected: "a JPEG image", looksLike: sniffedFormat(bytes))
        }
        return try bytes.withUnsafeBufferPointer { input in
            guard let decoder = zoo_jpeg_decoder_create(input.baseAddress!, input.count) else {
                throw ImageError.unreadable(file: name, reason: "out of memory for the JPEG decoder")
            }
            defer { zoo_jpeg_decoder_destroy(decoder) }
            var status = zoo_jpeg_status()
            var header = zoo_jpeg_header()
            guard zoo_jpeg_read_header(decoder, &header, &status) == 1 else { throw failure(status, file: name, byteCount: bytes.count) }
            switch header.color {
            case ZOO_JPEG_GRAY, ZOO_JPEG_COLOR: break
            case ZOO_JPEG_CMYK: throw ImageError.unsupported(file: name, reason: "CMYK JPEG (convert it to RGB first)")
            default: throw ImageError.unsupported(file: name, reason: "JPEG with \(header.components) colour components")
            }
            let width = Int(header.width), height = Int(header.height)
            try checkPixelCount(width: width, height: height, file: name)
            var decoded = false
            let pixels = [UInt8](unsafeUninitializedCapacity: width * height * 3) { buffer, count in
                decoded = zoo_jpeg_read_rgb(decoder, buffer.baseAddress!, &status) == 1
                count = decoded ? width * height * 3 : 0
            }
            guard decoded else { throw failure(status, file: name, byteCount: bytes.count) }
            return RGBImage(width: width, height: height, pixels: pixels)
        }
    }

    public static func decode(file path: String) throws -> RGBImage {
        try decode(readImageFileBytes(path), name: path)
    }

    /// Baseline JPEG, 4:2:0 chroma subsampling (libjpeg's defaults), `quality` 1…100.
    public static func encode(_ image: RGBImage, quality: Int = 90) throws -> [UInt8] {
        guard (1...100).contains(quality) else { throw ImageError.cannotEncode(reason: "JPEG quality \(quality) is outside 1…100") }
        var output: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        var status = zoo_jpeg_status()
        let ok = image.pixels.withUnsafeBufferPointer { pixels in
            zoo_jpeg_encode_rgb(pixels.baseAddress!, Int32(image.width), Int32(image.height), Int32(quality), &output, &size, &status)
        }
        defer { zoo_jpeg_free(output) }
        guard ok == 1, let output else { throw ImageError.cannotEncode(reason: text(status.message)) }
        return Array(UnsafeBufferPointer(start: output, count: Int(size)))
    }

    /// The thrown error for libjpeg's report, classified by its message template.
    private static func failure(_ status: zoo_jpeg_status, file: String, byteCount: Int) -> ImageError {
        let template = text(status.template_text)
        var message = text(status.message)
        if template == "Premature end of JPEG file" {
            return .truncated(file: file, reason: "the data ends after \(byteCount) bytes, before the image does")
        }
        // Valid JPEGs that libjpeg cannot decode (lossless or 12-bit); everything else is damage.
        if template.hasPrefix("Unsupported JPEG process") || template.hasPrefix("Unsupported JPEG data precision") {
            return .unsupported(file: file, reason: message)
        }
        if message.hasPrefix("Corrupt JPEG data: ") { message.removeFirst("Corrupt JPEG data: ".count) }
        return .corrupt(file: file, reason: message)
    }

    /// A fixed-size C char array as a String.
    private static func text<T>(_ tuple: T) -> String {
        withUnsafeBytes(of: tuple) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
    }
}
