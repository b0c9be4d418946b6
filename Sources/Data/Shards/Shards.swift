import Foundation
import Images

// Image shards: a dataset packed into a few large files of fixed-size RGB images, so that training reads
// pre-resized pixels with a cheap decompression instead of decoding and resizing a JPEG per sample.
//
// Layout (all integers little-endian):
//
//     offset 0    "ZOOSHRD1"                      8 bytes, magic
//            8    version                         u32, 1
//           12    S                               u32, every image is S×S pixels, RGB, 8 bits
//           16    count                           u64, number of images
//           24    image 0: length L, frame        u64 L, then L bytes: one zstd frame of the S·S·3 bytes (rows top
//                 image 1: …                      to bottom, pixels interleaved RGB); each image compressed on its
//                 …                               own, so any one can be read without the others
//            F    footer                          UTF-8 JSON: {"offsets": [where image i's length field starts, …],
//                                                  "records": [{"key": "…", "labels": [floats], "subject": "…",
//                                                  "class": int}, …]}; subject and class may be absent; non-finite
//                                                  labels are the strings "nan", "inf", "-inf"
//     size − 8    F                               u64, where the footer starts
//
// The images are packed back to back: image i ends exactly where image i + 1 (or, for the last, the footer)
// starts; readers check this, which catches most damage before zstd sees it.

/// What a shard stores beside each image: its origin and its targets.
public struct ShardRecord: Codable, Equatable, Sendable {
    /// Where the image came from (a relative path, a video frame id, …).
    public var key: String
    /// Regression or multi-label targets, e.g. AU occurrences or intensities.
    public var labels: [Float]
    /// The person shown, for subject-independent splits and identity adversarial training.
    public var subject: String?
    /// A single-label class, e.g. an expression.
    public var classIndex: Int?

    public init(key: String, labels: [Float] = [], subject: String? = nil, classIndex: Int? = nil) {
        self.key = key
        self.labels = labels
        self.subject = subject
        self.classIndex = classIndex
    }

    enum CodingKeys: String, CodingKey {
        case key, labels, subject
        case classIndex = "class"
    }
}

/// Everything that can be wrong with a shard file; each message names the file.
public enum ShardError: Error, CustomStringConvertible, Equatable {
    case unreadable(file: String, reason: String)
    case notAShard(file: String)
    case unsupportedVersion(file: String, version: UInt32)
    case truncated(file: String, reason: String)
    case corrupt(file: String, reason: String)
    case wrongImageSize(file: String, expected: Int, width: Int, height: Int)
    case cannotWrite(file: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason): return "\(file): cannot read: \(reason)"
        case let .notAShard(file): return "\(file): not an image shard (no ZOOSHRD1 magic)"
        case let .unsupportedVersion(file, version): return "\(file): shard format version \(version), this zoo reads version \(ShardFormat.version)"
        case let .truncated(file, reason): return "\(file): truncated shard: \(reason)"
        case let .corrupt(file, reason): return "\(file): corrupt shard: \(reason)"
        case let .wrongImageSize(file, expected, width, height):
            return "\(file): shard images are \(expected)×\(expected), got a \(width)×\(height) image"
        case let .cannotWrite(file, reason): return "\(file): cannot write: \(reason)"
        }
    }
}

/// The constants of the layout above, and the footer as JSON.
enum ShardFormat {
    static let magic = Array("ZOOSHRD1".utf8)
    static let version: UInt32 = 1
    static let headerSize = 24
    static let countOffset = 16
    static let trailerSize = 8

    struct Footer: Codable {
        var offsets: [UInt64]
        var records: [ShardRecord]
    }

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }
}
