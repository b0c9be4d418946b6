import Foundation

/// An 8-bit RGB image, rows top to bottom, pixels interleaved (HWC), as decoders produce and encoders take.
public struct RGBImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// width × height × 3 bytes.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0 && pixels.count == width * height * 3, "RGB image \(width)×\(height) needs \(width * height * 3) bytes")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A blank image of one colour.
    public init(width: Int, height: Int, fill: (r: UInt8, g: UInt8, b: UInt8) = (0, 0, 0)) {
        var p = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            p[3 * i] = fill.r
            p[3 * i + 1] = fill.g
            p[3 * i + 2] = fill.b
        }
        self.init(width: width, height: height, pixels: p)
    }

    @inline(__always) public func index(x: Int, y: Int) -> Int { (y * width + x) * 3 }
}
