import Foundation
import Tensors

/// Builds models from JSON specs. The root's `type` names the model family (`classifier`, `mae`, or a
/// registered plugin's); specs without one are read as before families had names:
/// `{"encoder": {...}, "heads": [...]}` is a classifier, `{"encoder": {...}, "decoder": {...}, …}` an MAE.
public struct ModelBuilder {
    public var registry: LayerRegistry
    public var families: ModelFamilyRegistry
    public var seed: UInt64

    public init(registry: LayerRegistry = .shared, families: ModelFamilyRegistry = .shared, seed: UInt64 = 0) {
        self.registry = registry
        self.families = families
        self.seed = seed
    }

    /// The most parameters a built model may have; a spec asking for more is refused before allocation.
    public var parameterLimit = ParameterBudget.defaultLimit

    public func build(_ spec: JSONValue) throws -> ZooModel {
        let root = try SpecObject(spec, path: "")
        let family = try families.family(for: root)
        let context = ModelBuildContext(layers: registry, generator: Generator(seed: seed), budget: ParameterBudget(limit: parameterLimit))
        let network = try family.build(root, context: context)
        try root.finish()
        return ZooModel(family: family, network: network)
    }

    /// Reads a spec file; JSON syntax errors name the file, line and column.
    public static func loadSpec(file: String) throws -> JSONValue {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw SpecError.syntax(file: file, message: "cannot read the file")
        }
        do { return try JSONParser.parse(data) } catch let e as JSONParser.SyntaxError {
            throw SpecError.syntax(file: file, message: e.description)
        }
    }
}

/// Rejects root fields outside `known` (and `type`, which selects the family), suggesting the closest.
public func checkRootFields(_ root: SpecObject, known: [String]) throws {
    let allowed = ["type"] + known
    for (key, _) in root.pairs where !allowed.contains(key) {
        throw SpecError.unknownField(path: root.childPath(JSONValue.truncatedForMessage(key)), suggestion: closestMatch(to: key, in: allowed))
    }
}
