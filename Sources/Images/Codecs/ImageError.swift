import Foundation

/// Everything that can be wrong with an image file; each message names the file and the problem, so a bad
/// file in a dataset of thousands can be found and removed.
public enum ImageError: Error, CustomStringConvertible, Equatable {
    case unreadable(file: String, reason: String)
    case empty(file: String)
    /// The bytes are not the format the caller asked for; `looksLike` names what they seem to be instead.
    case wrongFormat(file: String, expected: String, looksLike: String?)
    case unsupported(file: String, reason: String)
    /// The data ends before the image does.
    case truncated(file: String, reason: String)
    /// The decoder found damaged data (for JPEG: libjpeg's own message).
    case corrupt(file: String, reason: String)
    case cannotEncode(reason: String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason): return "\(file): cannot read: \(reason)"
        case let .empty(file): return "\(file): empty file"
        case let .wrongFormat(file, expected, looksLike):
            return "\(file): not \(expected)" + (looksLike.map { " (it looks like \($0))" } ?? "")
        case let .unsupported(file, reason): return "\(file): unsupported image: \(reason)"
        case let .truncated(file, reason): return "\(file): truncated: \(reason)"
        case let .corrupt(file, reason): return "\(file): corrupt image data: \(reason)"
        case let .cannotEncode(reason): return "cannot encode image: \(reason)"
        }
    }
}
