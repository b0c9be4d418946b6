import Foundation
import Tensors

/// A kind of model (a ViT classifier, an MAE, a detector cascade, …) built from the root of a model spec.
/// Like a layer plugin: one file defines the family, one `register` line makes it known; nothing in
/// Zoo switches over families. The spec's root `type` selects the family.
public protocol ModelFamily {
    /// The root `type` that selects this family in a spec.
    static var name: String { get }
    /// One line for `zoo list families` and `zoo show`.
    static var summary: String { get }
    /// The tasks (`zoo run NAME`) and roles its models serve, for `zoo list` and `zoo show`, and for the
    /// error a task gives a model it cannot use.
    static var roles: [String] { get }
    /// Whether a spec without a root `type` is this family's: the specs written before families had
    /// names (an encoder with heads, or with a decoder). False unless a family says otherwise.
    static func recognizesUntyped(_ root: SpecObject) -> Bool
    /// Builds the model from the spec's root (its `type`, when given, already read). The builder rejects
    /// fields left unread afterwards. A family reserves its parameters in `context.budget` (layer plugins
    /// do so for the layers it builds through `context.layers`).
    static func build(_ root: SpecObject, context: ModelBuildContext) throws -> any ImageModel
    /// What `zoo show` tells about a built model beyond its tensors (heads, patch grid, …).
    static func describe(_ model: any ImageModel) -> [(String, JSONValue)]
    /// Fits a checkpoint's state dict to `model` before the strict or non-strict load (timm's
    /// `checkpoint_filter_fn`): leaves out what the options allow to leave out, converts what differs
    /// only in layout (a position table for another grid). Nothing by default.
    static func adapt(_ state: inout StateDict, to model: any ImageModel, options: WeightLoader.Options) throws
    /// A hint to add to a failed load's report (the option that would have helped); nil by default.
    static func loadHint(for problems: LoadError, model: any ImageModel) -> String?
}

extension ModelFamily {
    public static func recognizesUntyped(_ root: SpecObject) -> Bool { false }
    public static func describe(_ model: any ImageModel) -> [(String, JSONValue)] {
        [("input", .array(model.inputShape.map { .integer($0) }))]
    }
    public static func adapt(_ state: inout StateDict, to model: any ImageModel, options: WeightLoader.Options) throws {}
    public static func loadHint(for problems: LoadError, model: any ImageModel) -> String? { nil }
}

/// What a family builds with: the layer registry for the layers it is made of, the generator that
/// initialises them, and the parameter budget of the whole model.
public struct ModelBuildContext {
    public var layers: LayerRegistry
    public var generator: Generator
    public var budget: ParameterBudget

    public init(layers: LayerRegistry, generator: Generator, budget: ParameterBudget) {
        self.layers = layers
        self.generator = generator
        self.budget = budget
    }

    /// A layer-building context with this model's registry, generator and budget.
    public func layerContext(initialization: WeightInitialization, inputDim: Int? = nil) -> BuildContext {
        BuildContext(registry: layers, generator: generator, inputDim: inputDim, initialization: initialization, budget: budget)
    }
}

/// Model families by name. The shared registry starts with the families of zoo's own specs (an encoder
/// with heads, an MAE); others register at start-up (`zoo`'s `registerBuiltins`) or in a test.
public final class ModelFamilyRegistry {
    /// The families that Zoo's own specs use; every registry made with `standard()` starts with them.
    public static let standardFamilies: [ModelFamily.Type] = [ClassifierFamily.self, MaskedAutoencoderFamily.self]
    public static let shared = ModelFamilyRegistry.standard()

    private var families: [String: ModelFamily.Type] = [:]
    private let lock = NSLock()

    /// An empty registry.
    public init() {}

    /// A registry holding the standard families.
    public static func standard() -> ModelFamilyRegistry {
        let r = ModelFamilyRegistry()
        r.register(standardFamilies)
        return r
    }

    public func register(_ family: ModelFamily.Type) {
        lock.lock(); defer { lock.unlock() }
        families[family.name] = family
    }

    public func register(_ list: [ModelFamily.Type]) { list.forEach(register) }

    /// All families, sorted by name.
    public var all: [ModelFamily.Type] {
        lock.lock(); defer { lock.unlock() }
        return families.values.sorted { $0.name < $1.name }
    }

    public func family(named name: String, path: String) throws -> ModelFamily.Type {
        lock.lock(); defer { lock.unlock() }
        guard let f = families[name] else { throw SpecError.unknownType(path: path, name: name, known: families.keys.sorted()) }
        return f
    }

    /// The family a spec's root selects: its `type`, or for a spec without one the family that
    /// recognises it (the first by name, so the choice never depends on registration order).
    public func family(for root: SpecObject) throws -> ModelFamily.Type {
        if root.has("type") { return try family(named: try root.string("type"), path: root.childPath("type")) }
        let all = self.all
        for family in all where family.recognizesUntyped(root) { return family }
        let known = all.map { $0.name }.joined(separator: ", ")
        throw SpecError.missing(path: root.childPath("type"), expected: "a model family (known: \(known))")
    }
}

/// A model that cannot serve what a task or command asks of it.
public struct ModelRoleError: Error, CustomStringConvertible {
    public let family: String
    public let needed: String
    public let user: String
    public let served: [String]

    public var description: String {
        "\(user): a \(family) model cannot serve as \(needed) (the \(family) family serves: \(served.joined(separator: ", ")))"
    }
}
