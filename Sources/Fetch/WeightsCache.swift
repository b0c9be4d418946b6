import BundledModels
import Foundation
import Zoo

/// Released weights by catalog name: `zoo fetch NAME` downloads an entry's `source` into a cache folder
/// and `--weights NAME` finds it there (fetching first when it is missing).
///
/// The cache is `$ZOO_CACHE`, else `~/.cache/zoo` (as torch hub and Hugging Face keep theirs under
/// ~/.cache). An entry's file is `<name>.<format>`; while downloading it is `<name>.<format>.part`, which a
/// later run resumes. The finished file is checked against the entry's `sha256` when the catalog gives
/// one, then renamed into place, so the cache never holds a file that is half written or wrong.
public struct WeightsCache {
    public var folder: String
    /// Transfers retried in one run after an interruption, each resuming where the last stopped.
    public var attempts = 3
    /// Prints progress on stderr when set.
    public var showProgress = true

    public init(folder: String? = nil) {
        if let folder { self.folder = folder; return }
        let env = ProcessInfo.processInfo.environment
        if let cache = env["ZOO_CACHE"], !cache.isEmpty {
            self.folder = cache
        } else {
            let home = env["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
            self.folder = home + "/.cache/zoo"
        }
    }

    /// Where `entry`'s weights live once fetched.
    public func path(for entry: Catalog.Entry) -> String {
        "\(folder)/\(entry.name).\(entry.format ?? "bin")"
    }

    public func isCached(_ entry: Catalog.Entry) -> Bool {
        FileManager.default.fileExists(atPath: path(for: entry))
    }

    /// Downloads `entry`'s weights unless they are already cached; returns the cached file's path.
    @discardableResult
    public func fetch(_ entry: Catalog.Entry) throws -> String {
        // Files zoo ships need no download.
        if let source = entry.source, source.hasPrefix("bundled:") {
            guard let shipped = BundledModels.path(forSource: source) else {
                throw FetchError.noSource(model: entry.name, reason: "the file \(source) should ship with zoo but is missing from its resources")
            }
            return shipped
        }
        let destination = path(for: entry)
        if FileManager.default.fileExists(atPath: destination) { return destination }
        guard let source = entry.source else {
            throw FetchError.noSource(model: entry.name, reason: "the catalog gives no source to download (\(entry.kind) entry); pass --weights FILE")
        }
        if let sha = entry.sha256, !SHA256Digest.isHexDigest(sha) {
            throw FetchError.noSource(model: entry.name, reason: "the catalog's sha256 \"\(sha)\" is not 64 hex digits")
        }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw FetchError.io(path: folder, reason: "cannot create the cache folder: \(error.localizedDescription)")
        }
        let partial = destination + ".part"
        let progress = showProgress ? DownloadProgress(label: "fetching \(entry.name)") : nil
        try download(source: source, model: entry.name, to: partial, progress: progress)

        if let expected = entry.sha256?.lowercased() {
            let actual = try SHA256Digest.hex(ofFile: partial)
            guard actual == expected else {
                try? FileManager.default.removeItem(atPath: partial)
                throw FetchError.checksumMismatch(file: destination, expected: expected, actual: actual)
            }
        }
        guard rename(partial, destination) == 0 else {
            throw FetchError.io(path: destination, reason: "cannot move the download into place: \(String(cString: strerror(errno)))")
        }
        return destination
    }

    /// The file `--weights` names: an existing path as it is, else a catalog entry's cached weights
    /// (fetched when missing), else the argument unchanged, for the checkpoint reader to report.
    public func resolveWeights(_ argument: String, catalog: Catalog) throws -> String {
        if FileManager.default.fileExists(atPath: argument) { return argument }
        guard let entry = catalog.entry(named: argument), entry.source != nil else { return argument }
        return try fetch(entry)
    }

    private func download(source: String, model: String, to partial: String, progress: DownloadProgress?) throws {
        var url: URL
        var driveID: String?
        if source.hasPrefix("gdrive:") {
            let id = String(source.dropFirst("gdrive:".count))
            guard !id.isEmpty, id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }),
                  let first = GoogleDriveConfirm.firstURL(id: id) else {
                throw FetchError.noSource(model: model, reason: "source \"\(source)\" is not a Google Drive file id")
            }
            url = first
            driveID = id
        } else if let parsed = URL(string: source), ["http", "https"].contains(parsed.scheme?.lowercased() ?? "") {
            url = parsed
        } else {
            throw FetchError.noSource(model: model, reason: "source \"\(source)\" is neither an http(s) URL nor gdrive:ID")
        }

        var confirmed = false
        var attempt = 0
        while true {
            attempt += 1
            do {
                let outcome = try HTTPDownload(url: url, partial: partial, progress: progress).run()
                guard let page = outcome.htmlPage else { return }
                // A web page instead of the file: Drive's confirm step, followed once.
                guard let id = driveID else {
                    throw FetchError.noSource(model: model, reason: "\(url.absoluteString) sent a web page, not a checkpoint")
                }
                guard !confirmed, let next = GoogleDriveConfirm.confirmURL(page: page, pageURL: url) else {
                    throw FetchError.driveRefused(id: id, reason: confirmed
                        ? "Drive sent a web page again after the confirm step (daily quota exceeded, or the file is not shared)"
                        : "Drive sent a web page without a download form (quota exceeded, or the file is not shared)")
                }
                url = next
                confirmed = true
                attempt = 0
            } catch let error as FetchError {
                guard case .interrupted = error, attempt < attempts else { throw error }
                // Resume from what arrived; a short pause so a flapping link is not hammered.
                Thread.sleep(forTimeInterval: 0.2 * Double(attempt))
            }
        }
    }
}
