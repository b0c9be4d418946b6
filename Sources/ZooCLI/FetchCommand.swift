import ArgumentParser
import Fetch
import Foundation
import Zoo

struct FetchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Download a catalog model's released weights into the cache ($ZOO_CACHE, default ~/.cache/zoo).",
        discussion: """
        Resumes a partial download, follows Google Drive's confirm step for large files, checks the SHA-256 \
        when the catalog gives one, and moves the file into place only when it is whole. Afterwards \
        `--weights NAME` uses the cached file. Prints the cached file's path.
        """)

    @Argument(help: "Catalog model name (see `zoo list`).") var name: String
    @Option(help: "Cache folder (default: $ZOO_CACHE, else ~/.cache/zoo).") var cache: String?
    @Flag(help: "Print no progress.") var quiet = false

    func run() throws {
        try reportingErrors {
            let catalog = try Catalog.locate()
            guard let entry = catalog.entry(named: name) else {
                throw UserFacingError("no model \"\(name)\" in the catalog (see `zoo list`)")
            }
            var store = WeightsCache(folder: cache)
            store.showProgress = !quiet
            let shipped = entry.source?.hasPrefix("bundled:") == true
            let wasCached = store.isCached(entry)
            let path = try store.fetch(entry)
            if !quiet, shipped || wasCached {
                FileHandle.standardError.write(Data("\(name): \(shipped ? "shipped with zoo" : "already in the cache")\n".utf8))
            }
            print(path)
        }
    }
}
