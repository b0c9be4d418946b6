import Foundation

/// Reads an image file whatever its format, told by its content rather than its name (datasets are full of
/// `.jpg` files that are something else): JPEG, PNG, or binary PPM (P6).
public enum ImageFile {
    public static func read(_ path: String) throws -> RGBImage {
        try decode(readImageFileBytes(path), name: path)
    }

    /// Decodes `bytes` in the format their first bytes announce; `name` is used in errors.
    public static func decode(_ bytes: [UInt8], name: String) throws -> RGBImage {
        guard !bytes.isEmpty else { throw ImageError.empty(file: name) }
        if bytes.count >= 2 && bytes[0] == 0xFF && bytes[1] == 0xD8 { return try JPEG.decode(bytes, name: name) }
        // "\x89PNG" alone, so that a signature damaged further on gets PNG's own error.
        if bytes.starts(with: PNG.signature.prefix(4)) { return try PNG.decode(bytes, name: name) }
        if bytes.count >= 2 && bytes[0] == UInt8(ascii: "P") && bytes[1] == UInt8(ascii: "6") { return try PPM.decode(bytes, name: name) }
        throw ImageError.wrongFormat(file: name, expected: "a JPEG, PNG or PPM image", looksLike: sniffedFormat(bytes))
    }
}

/// Pillow's limit (twice its MAX_IMAGE_PIXELS, where it raises DecompressionBombError): a damaged or hostile
/// header must not make a decoder allocate gigabytes before it notices anything is wrong.
let maximumImagePixels = 178_956_970

func checkPixelCount(width: Int, height: Int, file: String) throws {
    guard width * height <= maximumImagePixels else {
        throw ImageError.unsupported(file: file, reason: "\(width)×\(height) pixels, more than the limit of \(maximumImagePixels) (a decompression bomb?)")
    }
}

/// What a file's first bytes say it is, for error messages ("it looks like a PNG image").
func sniffedFormat(_ bytes: [UInt8]) -> String? {
    func starts(_ prefix: [UInt8]) -> Bool { bytes.count >= prefix.count && Array(bytes.prefix(prefix.count)) == prefix }
    if starts([0xFF, 0xD8]) { return "a JPEG image" }
    if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "a PNG image" }
    if starts(Array("GIF8".utf8)) { return "a GIF image" }
    if starts(Array("BM".utf8)) { return "a BMP image" }
    if starts(Array("RIFF".utf8)) && bytes.count >= 12 && Array(bytes[8..<12]) == Array("WEBP".utf8) { return "a WebP image" }
    if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) { return "a TIFF image" }
    if bytes.count >= 2 && bytes[0] == UInt8(ascii: "P") && (UInt8(ascii: "1")...UInt8(ascii: "6")).contains(bytes[1]) {
        return "a PNM image (P\(Character(UnicodeScalar(bytes[1]))))"
    }
    if starts(Array("ZOOSHRD1".utf8)) { return "a zoo image shard" }
    return nil
}

/// The whole file as bytes, with the OS's reason when it cannot be read.
func readImageFileBytes(_ path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw ImageError.unreadable(file: path, reason: String(cString: strerror(errno))) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw ImageError.unreadable(file: path, reason: String(cString: strerror(errno))) }
    guard (info.st_mode & S_IFMT) == S_IFREG else { throw ImageError.unreadable(file: path, reason: "not a regular file") }
    let size = Int(info.st_size)
    var failure: Int32 = 0
    let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
        while count < size {
            let n = read(fd, buffer.baseAddress! + count, size - count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { failure = n < 0 ? errno : 0; break }
            count += n
        }
    }
    guard bytes.count == size else {
        throw ImageError.unreadable(file: path, reason: failure != 0 ? String(cString: strerror(failure)) : "file shrank while reading")
    }
    return bytes
}
