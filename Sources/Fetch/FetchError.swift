import Foundation

/// Why a download did not end with the file in the cache. Each names the URL or file concerned.
public enum FetchError: Error, CustomStringConvertible, Equatable {
    /// The server answered with a status other than 200/206.
    case httpStatus(url: String, status: Int)
    /// No HTTP answer at all (name resolution, refused connection, TLS).
    case unreachable(url: String, reason: String)
    /// The connection failed or was cut; the partial file is kept for the next attempt to resume.
    case interrupted(url: String, received: Int64, expected: Int64?, partial: String, reason: String)
    /// The finished file's SHA-256 is not the catalog's; the file was removed.
    case checksumMismatch(file: String, expected: String, actual: String)
    /// Google Drive sent a web page instead of the file, and no confirm form could be followed.
    case driveRefused(id: String, reason: String)
    /// The catalog entry has nothing to fetch, or an unusable source.
    case noSource(model: String, reason: String)
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case let .httpStatus(url, status):
            return "\(url): the server answered HTTP \(status)"
        case let .unreachable(url, reason):
            return "\(url): no answer (\(reason))"
        case let .interrupted(url, received, expected, partial, reason):
            let of = expected.map { " of \(ByteCountText.format($0))" } ?? ""
            return "\(url): download interrupted after \(ByteCountText.format(received))\(of) (\(reason)); the partial file \(partial) is kept, run the same command again to resume"
        case let .checksumMismatch(file, expected, actual):
            return "\(file): SHA-256 is \(actual), the catalog expects \(expected); the file was removed, run the command again to download it afresh"
        case let .driveRefused(id, reason):
            return "Google Drive file \(id): \(reason)"
        case let .noSource(model, reason):
            return "\(model): \(reason)"
        case let .io(path, reason):
            return "\(path): \(reason)"
        }
    }
}

/// Byte counts as people read them: "512 B", "3.4 MB", "1.21 GB" (powers of 1000, as download tools show).
public enum ByteCountText {
    public static func format(_ bytes: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = Double(bytes), unit = 0
        while value >= 1000, unit < units.count - 1 { value /= 1000; unit += 1 }
        if unit == 0 { return "\(bytes) B" }
        return String(format: value < 10 ? "%.2f" : value < 100 ? "%.1f" : "%.0f", value) + " " + units[unit]
    }
}
