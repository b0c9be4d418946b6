import Foundation

/// The model catalog (`zoo.json`): released checkpoints with their specs and sources, and plain
/// architectures. Names resolve to specs for `zoo show`, `zoo bench` and the tasks.
public struct Catalog {
    public struct Entry {
        public var name: String
        public var description: String
        /// "architecture" (random weights only), "pretrained" (MAE) or "finetuned".
        public var kind: String
        public var spec: JSONValue
        /// Where the weights come from (URL or Google Drive id); nil for architectures.
        public var source: String?
        /// Checkpoint file format ("pth", "safetensors", …).
        public var format: String?
        /// Key of the checkpoint entry that holds the state dict ("model").
        public var weightsKey: String?
        public var paper: String?
    }

    public var entries: [Entry]
    /// The file the catalog was read from.
    public var file: String

    public func entry(named name: String) -> Entry? { entries.first { $0.name == name } }

    public static func parse(_ value: JSONValue, file: String) throws -> Catalog {
        let root = try SpecObject(value, path: "")
        var entries: [Entry] = []
        for (i, item) in try root.array("models").enumerated() {
            let o = try SpecObject(item, path: "models[\(i)]")
            let name = try o.string("name")
            if entries.contains(where: { $0.name == name }) {
                throw SpecError.invalid(path: o.childPath("name"), message: "duplicate model name \"\(name)\"")
            }
            let entry = Entry(
                name: name,
                description: try o.string("description"),
                kind: try o.choice("kind", ["architecture", "pretrained", "finetuned"], default: "architecture"),
                spec: JSONValue.object(try o.object("spec").pairs),
                source: o.has("source") ? try o.string("source") : nil,
                format: o.has("format") ? try o.string("format") : nil,
                weightsKey: o.has("weights_key") ? try o.string("weights_key") : nil,
                paper: o.has("paper") ? try o.string("paper") : nil)
            try o.finish()
            entries.append(entry)
        }
        try root.finish()
        return Catalog(entries: entries, file: file)
    }

    public static func load(file: String) throws -> Catalog {
        let value = try ModelBuilder.loadSpec(file: file)
        do { return try parse(value, file: file) } catch let e as SpecError {
            throw CatalogError.invalid(file: file, reason: e.description)
        }
    }

    /// Finds `zoo.json`: `$ZOO_CATALOG`, then the current directory and its parents, then the folders
    /// above the running executable (a build inside the repository).
    public static func locate() throws -> Catalog {
        let env = ProcessInfo.processInfo.environment
        if let path = env["ZOO_CATALOG"] { return try load(file: path) }
        var candidates: [URL] = []
        var dir = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        for _ in 0..<6 { candidates.append(dir); dir.deleteLastPathComponent() }
        var exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 { candidates.append(exe); exe.deleteLastPathComponent() }
        for c in candidates {
            let file = c.appendingPathComponent("zoo.json").path
            if FileManager.default.fileExists(atPath: file) { return try load(file: file) }
        }
        throw CatalogError.notFound
    }

    /// Builds the model a catalog name or spec file describes; errors in a spec file name the file.
    public func buildModel(_ nameOrFile: String, registry: LayerRegistry = .shared, seed: UInt64 = 0) throws -> (name: String, spec: JSONValue, model: ZooModel) {
        let (name, spec) = try self.spec(for: nameOrFile)
        do {
            return (name, spec, try ModelBuilder(registry: registry, seed: seed).build(spec))
        } catch let e as SpecError where entry(named: nameOrFile) == nil {
            throw CatalogError.invalid(file: nameOrFile, reason: e.description)
        }
    }

    /// A model spec from a catalog name or a path to a JSON spec file.
    public func spec(for nameOrFile: String) throws -> (name: String, spec: JSONValue) {
        if let e = entry(named: nameOrFile) { return (e.name, e.spec) }
        if nameOrFile.hasSuffix(".json") || FileManager.default.fileExists(atPath: nameOrFile) {
            return (nameOrFile, try ModelBuilder.loadSpec(file: nameOrFile))
        }
        let hint = closestMatch(to: nameOrFile, in: entries.map(\.name)).map { " (did you mean \"\($0)\"?)" } ?? ""
        throw CatalogError.unknownModel(name: nameOrFile, hint: hint)
    }
}

public enum CatalogError: Error, CustomStringConvertible {
    case notFound
    case invalid(file: String, reason: String)
    case unknownModel(name: String, hint: String)

    public var description: String {
        switch self {
        case .notFound: return "zoo.json not found (set ZOO_CATALOG or run from the repository)"
        case let .invalid(file, reason): return "\(file): \(reason)"
        case let .unknownModel(name, hint): return "no model \"\(name)\" in the catalog and no such spec file\(hint)"
        }
    }
}
