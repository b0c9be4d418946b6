import Data
import Foundation
import Zoo

/// Where an evaluation writes its results (optional): `--out`, replaced only with `--overwrite`.
struct ResultOutputOptions: TaskOptionGroup {
    var out: String?
    var overwrite: Bool

    static let options: [TaskOption] = [
        TaskOption("out", .path, help: "write summary.json and metrics.jsonl here (default: print only)"),
        TaskOption("overwrite", .flag, help: "replace the results already in --out"),
    ]

    init(_ a: TaskArguments) throws {
        out = a.optionalString("out")
        overwrite = a.flag("overwrite")
    }
}
