import ArgumentParser
import Foundation
import Zoo

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List catalog models, model families, layer plugins or task plugins.")

    enum What: String, ExpressibleByArgument, CaseIterable { case all, models, families, layers, tasks }

    @Argument(help: "What to list: models, families, layers, tasks (default: all).") var what: What = .all
    @Option(help: "Only names matching this glob (*, ?).") var filter: String?
    @Flag(help: "Print a JSON array of objects.") var json = false

    func run() throws {
        try reportingErrors {
            var rows: [(section: String, name: String, description: String, extra: [(String, JSONValue)])] = []
            if what == .all || what == .models {
                let catalog = try Catalog.locate()
                for e in catalog.entries {
                    var extra: [(String, JSONValue)] = [("kind", .string(e.kind))]
                    if let s = e.source { extra.append(("source", .string(s))) }
                    rows.append(("models", e.name, e.description, extra))
                }
            }
            if what == .all || what == .families {
                for f in ModelFamilyRegistry.shared.all {
                    rows.append(("families", f.name, f.summary, [("serves", .array(f.roles.map { .string($0) }))]))
                }
            }
            if what == .all || what == .layers {
                for p in LayerRegistry.shared.all { rows.append(("layers", p.name, p.summary, [])) }
            }
            if what == .all || what == .tasks {
                for p in TaskRegistry.shared.all { rows.append(("tasks", p.name, p.summary, [])) }
            }
            if let filter { rows = rows.filter { Glob(filter).matches($0.name) } }

            if json {
                printJSON(.array(rows.map { r in
                    .object([("name", .string(r.name)), ("kind", .string(r.section == "families" ? "family" : String(r.section.dropLast()))),
                             ("description", .string(r.description))] + r.extra.filter { $0.0 != "kind" || r.section != "models" } +
                            (r.section == "models" ? r.extra.filter { $0.0 == "kind" }.map { ("model_kind", $0.1) } : []))
                }))
                return
            }
            for section in ["models", "families", "layers", "tasks"] where what == .all || what.rawValue == section {
                let items = rows.filter { $0.section == section }
                print("\(section.uppercased()) (\(items.count))")
                let width = items.map(\.name.count).max() ?? 0
                for r in items {
                    let kind = r.extra.first { $0.0 == "kind" }.map { if case let .string(s) = $0.1 { return " [\(s)]" } else { return "" } } ?? ""
                    print("  " + r.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + r.description + kind)
                }
                if items.isEmpty { print("  (none)") }
                print("")
            }
        }
    }
}

/// Shell-style wildcard matching: `*` any run, `?` one character.
struct Glob {
    let pattern: [Character]
    init(_ pattern: String) { self.pattern = Array(pattern) }

    func matches(_ text: String) -> Bool {
        let t = Array(text)
        var p = 0, s = 0, star = -1, mark = 0
        while s < t.count {
            if p < pattern.count && (pattern[p] == "?" || pattern[p] == t[s]) { p += 1; s += 1 }
            else if p < pattern.count && pattern[p] == "*" { star = p; mark = s; p += 1 }
            else if star >= 0 { p = star + 1; mark += 1; s = mark }
            else { return false }
        }
        while p < pattern.count && pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }
}
