import ArgumentParser
import Checkpoint
import Foundation
import Reports

/// `zoo report RUN… --out FILE.html`: one self-contained page of curves, per-AU bars, identity probes
/// and reconstructions.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write an HTML page (inline SVG, no network, no script) comparing runs: curves per epoch, per-AU bars, identity probes, reconstructions.")

    @Argument(help: "Run folders.") var runs: [String]
    @Option(help: "The HTML file to write.") var out: String
    @Option(help: "The page's title.") var title = "zoo runs"

    func run() throws {
        try reportingErrors {
            let page = HTMLReport.render(try RunRecord.load(runs), title: title)
            try writeAtomically(to: out) { try Data(page.utf8).write(to: URL(fileURLWithPath: $0)) }
            print(out)
        }
    }
}
