import BundledModels
import Checkpoint
import Keras
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
        /// SHA-256 (hex) of the weights file, checked by `zoo fetch` when given.
        public var sha256: String?
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
                sha256: o.has("sha256") ? try o.string("sha256") : nil,
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

    /// The catalog built into zoo (a copy of the repository's zoo.json), extended by `$ZOO_CATALOG` or,
    /// without it, by a zoo.json in the current directory: their entries replace built-in ones of the
    /// same name and add new ones. zoo therefore lists its models from any directory.
    public static func locate() throws -> Catalog {
        var catalog: Catalog
        do { catalog = try parse(try JSONParser.parse(Data(builtinCatalogJSON.utf8)), file: "(built-in catalog)") } catch {
            throw CatalogError.invalid(file: "(built-in catalog)", reason: "\(error)")
        }
        let local = FileManager.default.currentDirectoryPath + "/zoo.json"
        let file = ProcessInfo.processInfo.environment["ZOO_CATALOG"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (FileManager.default.fileExists(atPath: local) ? local : nil)
        if let file { catalog.extend(with: try load(file: file)) }
        return catalog
    }

    /// Adds `other`'s entries: a name already here takes the other's entry, in place; new names follow.
    public mutating func extend(with other: Catalog) {
        for entry in other.entries {
            if let i = entries.firstIndex(where: { $0.name == entry.name }) { entries[i] = entry } else { entries.append(entry) }
        }
        file = other.file
    }

    /// The Keras model in `path` when it is an HDF5 file holding a whole Keras model, else nil.
    public static func kerasModel(_ path: String) throws -> KerasModel? {
        let lower = path.lowercased()
        guard lower.hasSuffix(".h5") || lower.hasSuffix(".hdf5") || lower.hasSuffix(".keras.h5"),
              FileManager.default.fileExists(atPath: path) else { return nil }
        let file = try CheckpointReader.read(path: path, clean: false)
        return KerasImport.isKerasModel(file) ? try KerasImport.translate(file, path: path) : nil
    }

    /// Weights that come with a model without `--weights`: a Keras file's own, or a catalog entry's that
    /// zoo ships (`source: "bundled:…"`); nil otherwise.
    public func intrinsicWeights(for nameOrFile: String) -> String? {
        if let e = entry(named: nameOrFile) { return e.source.flatMap(BundledModels.path(forSource:)) }
        let lower = nameOrFile.lowercased()
        return (lower.hasSuffix(".h5") || lower.hasSuffix(".hdf5")) && FileManager.default.fileExists(atPath: nameOrFile) ? nameOrFile : nil
    }

    /// Refuses to use a released model's architecture with random weights by accident: a `pretrained` or
    /// `finetuned` entry without `weights` is an error that says where its weights come from, unless
    /// `randomWeights` says random weights are meant. Spec files and architectures pass.
    public func checkWeights(for nameOrFile: String, weights: String?, randomWeights: Bool) throws {
        guard weights == nil, !randomWeights, let e = entry(named: nameOrFile), e.kind != "architecture",
              intrinsicWeights(for: nameOrFile) == nil else { return }
        throw CatalogError.weightsNeeded(name: e.name, kind: e.kind, source: e.source, format: e.format, key: e.weightsKey)
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

    /// A model spec from a catalog name, a path to a JSON spec file, or a Keras model file (.h5/.hdf5
    /// saved whole), whose model_config becomes a `network` spec.
    public func spec(for nameOrFile: String) throws -> (name: String, spec: JSONValue) {
        if let e = entry(named: nameOrFile) { return (e.name, e.spec) }
        if let keras = try Self.kerasModel(nameOrFile) {
            return (nameOrFile, .object([("type", .string("network")), ("input", .array((keras.inputShape ?? []).map { .integer($0) })),
                                         ("graph", keras.graph)]))
        }
        if nameOrFile.hasSuffix(".json") || FileManager.default.fileExists(atPath: nameOrFile) {
            return (nameOrFile, try ModelBuilder.loadSpec(file: nameOrFile))
        }
        let hint = closestMatch(to: nameOrFile, in: entries.map(\.name)).map { " (did you mean \"\($0)\"?)" } ?? ""
        throw CatalogError.unknownModel(name: nameOrFile, hint: hint)
    }
}

public enum CatalogError: Error, CustomStringConvertible {
    case invalid(file: String, reason: String)
    case unknownModel(name: String, hint: String)
    case weightsNeeded(name: String, kind: String, source: String?, format: String?, key: String?)

    public var description: String {
        switch self {
        case let .weightsNeeded(name, kind, source, format, key):
            let origin = source.map { "its weights come from \($0)" + (format.map { " (\($0)" + (key.map { ", state dict under \"\($0)\"" } ?? "") + ")" } ?? "") }
                ?? "the catalog names no source for its weights"
            return "\(name) is a \(kind) model: \(origin); download them and pass --weights FILE, or pass --random-weights to use the architecture with random weights"
        case let .invalid(file, reason): return "\(file): \(reason)"
        case let .unknownModel(name, hint): return "no model \"\(name)\" in the catalog and no such spec file\(hint)"
        }
    }
}
