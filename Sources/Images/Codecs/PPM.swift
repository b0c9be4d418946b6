/// Binary PPM (P6): a text header "P6 width height maxval", one whitespace byte, then raw RGB rows. Lossless
/// and trivial, which makes it the format for test fixtures and debugging dumps.
public enum PPM {
    public static func decode(_ bytes: [UInt8], name: String) throws -> RGBImage {
        guard !bytes.isEmpty else { throw ImageError.empty(file: name) }
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "P") else {
            throw ImageError.wrongFormat(file: name, expected: "a PPM image", looksLike: sniffedFormat(bytes))
        }
        guard bytes[1] == UInt8(ascii: "6") else {
            throw ImageError.unsupported(file: name, reason: "PNM variant P\(Character(UnicodeScalar(bytes[1]))) (only binary RGB, P6)")
        }
        var header = HeaderReader(bytes: bytes, position: 2, file: name)
        let width = try header.number("width"), height = try header.number("height"), maxValue = try header.number("maxval")
        guard width > 0, height > 0 else { throw ImageError.corrupt(file: name, reason: "PPM size \(width)×\(height)") }
        try checkPixelCount(width: width, height: height, file: name)
        guard (1...255).contains(maxValue) else {
            throw ImageError.unsupported(file: name, reason: "PPM maxval \(maxValue) (only 8-bit samples, maxval ≤ 255)")
        }
        // Exactly one whitespace byte separates the header from the samples (which may themselves look like
        // whitespace).
        guard header.position < bytes.count else { throw ImageError.truncated(file: name, reason: "PPM header ends after its maxval") }
        guard bytes[header.position] == 0x20 || (0x09...0x0D).contains(bytes[header.position]) else {
            throw ImageError.corrupt(file: name, reason: "PPM header: expected whitespace after the maxval at byte \(header.position)")
        }
        let start = header.position + 1
        let count = width * height * 3
        guard start <= bytes.count, bytes.count - start >= count else {
            throw ImageError.truncated(file: name, reason: "a \(width)×\(height) PPM needs \(width * height * 3) bytes of samples, the file has \(max(0, bytes.count - start))")
        }
        var pixels = Array(bytes[start..<(start + count)])
        if maxValue != 255 {
            for i in pixels.indices { pixels[i] = UInt8((min(Int(pixels[i]), maxValue) * 255 + maxValue / 2) / maxValue) }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    public static func encode(_ image: RGBImage) -> [UInt8] {
        Array("P6\n\(image.width) \(image.height)\n255\n".utf8) + image.pixels
    }
}

/// Whitespace-separated decimal numbers with `#` comments, as in the PNM header.
private struct HeaderReader {
    let bytes: [UInt8]
    var position: Int
    let file: String

    mutating func number(_ what: String) throws -> Int {
        while position < bytes.count {
            let c = bytes[position]
            if c == UInt8(ascii: "#") {
                while position < bytes.count && bytes[position] != UInt8(ascii: "\n") { position += 1 }
            } else if c == 0x20 || (0x09...0x0D).contains(c) {
                position += 1
            } else {
                break
            }
        }
        var value = 0, digits = 0
        while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]), digits < 9 {
            value = value * 10 + Int(bytes[position] - UInt8(ascii: "0"))
            position += 1
            digits += 1
        }
        if position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
            throw ImageError.corrupt(file: file, reason: "PPM header: the \(what) is too large")
        }
        guard digits > 0 else {
            if position >= bytes.count { throw ImageError.truncated(file: file, reason: "PPM header ends before its \(what)") }
            throw ImageError.corrupt(file: file, reason: "PPM header: expected the \(what) at byte \(position)")
        }
        return value
    }
}
