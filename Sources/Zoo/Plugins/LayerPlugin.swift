import Foundation
import Tensors

/// A layer type that can be built from a JSON object of a model spec. One file defines the module and
/// its plugin; one line in the built-in list registers it.
public protocol LayerPlugin {
    /// The `type` value that selects this plugin in a spec.
    static var name: String { get }
    /// One line for `zoo list layers`.
    static var summary: String { get }
    /// The fields this layer reads besides `type`, so a model's spec can be checked for unknown fields
    /// before anything is built; nil (the default) leaves that to `SpecObject.finish()` after the build.
    static var fields: [String]? { get }
    /// Builds the module from `spec` (its `type` already read). Unread fields are rejected afterwards.
    /// A plugin reserves its parameters in `context.budget` before allocating them.
    static func build(_ spec: SpecObject, context: BuildContext) throws -> Module
}

extension LayerPlugin {
    public static var fields: [String]? { nil }
}

/// The two random initialisations FMAE's code uses, so that a model trained from scratch starts where its
/// PyTorch twin would. They matter only for weights that no checkpoint replaces.
public enum WeightInitialization: String, CaseIterable, Sendable {
    /// timm's VisionTransformer (FMAE's models_vit, the fine-tuning model): Linear weights
    /// trunc_normal(0.02), the patch convolution PyTorch's default U(±1/√fan_in), cls token N(0, 1e-6).
    case timm
    /// MAE's `initialize_weights` (models_mae, the pretraining model): xavier-uniform Linear weights and
    /// patch projection, cls and mask tokens N(0, 0.02).
    case mae
}

/// What a layer needs to know beyond its own JSON: the feature size flowing into it, the encoder's
/// geometry (decoders), the registry (for nested layers) and the generator that initialises weights.
public struct BuildContext {
    public var registry: LayerRegistry
    public var generator: Generator
    /// Size of the last dimension of this layer's input (heads and linear layers default to it).
    public var inputDim: Int?
    /// Set when building an MAE decoder: the encoder it decodes.
    public var encoder: (any PatchEncoder)?
    /// How layers initialise weights when their spec does not say (`weight_init`).
    public var initialization: WeightInitialization
    /// The parameters the model may still allocate, shared by all its layers.
    public var budget: ParameterBudget

    public init(registry: LayerRegistry, generator: Generator, inputDim: Int? = nil, encoder: (any PatchEncoder)? = nil,
                initialization: WeightInitialization = .timm, budget: ParameterBudget = ParameterBudget()) {
        self.registry = registry
        self.budget = budget
        self.generator = generator
        self.inputDim = inputDim
        self.encoder = encoder
        self.initialization = initialization
    }

    public func with(inputDim: Int?) -> BuildContext {
        var c = self
        c.inputDim = inputDim
        return c
    }

    /// The input size, or a spec error at `path` when neither the spec nor the context gives one.
    public func requireInputDim(_ spec: SpecObject, key: String) throws -> Int {
        if spec.has(key) { return try spec.positiveInt(key, in: SpecLimits.width) }
        _ = spec.raw(key)
        guard let inputDim else { throw SpecError.missing(path: spec.childPath(key), expected: "a positive integer") }
        return inputDim
    }
}

/// Layer plugins by name.
public final class LayerRegistry {
    public static let shared = LayerRegistry()
    private var plugins: [String: LayerPlugin.Type] = [:]

    public init() {}

    public func register(_ plugin: LayerPlugin.Type) {
        plugins[plugin.name] = plugin
    }

    public func register(_ list: [LayerPlugin.Type]) { list.forEach(register) }

    /// All plugins, sorted by name.
    public var all: [LayerPlugin.Type] { plugins.values.sorted { $0.name < $1.name } }

    public func plugin(named name: String, path: String) throws -> LayerPlugin.Type {
        guard let p = plugins[name] else {
            throw SpecError.unknownType(path: path, name: name, known: plugins.keys.sorted())
        }
        return p
    }

    /// Checks a layer's JSON object without building it: an object, a known `type`, and (for plugins that
    /// declare their fields) no field outside `fields` and `extra`.
    public func checkFields(_ value: JSONValue, path: String, extra: [String] = []) throws {
        let spec = try SpecObject(value, path: path)
        let plugin = try plugin(named: try spec.string("type"), path: spec.childPath("type"))
        guard let fields = plugin.fields else { return }
        let known = ["type"] + fields + extra
        for (key, _) in spec.pairs where !known.contains(key) {
            throw SpecError.unknownField(path: spec.childPath(JSONValue.truncatedForMessage(key)), suggestion: closestMatch(to: key, in: known))
        }
    }

    /// Builds the layer a JSON object describes, dispatching on its `type`.
    public func build(_ value: JSONValue, path: String, context: BuildContext) throws -> Module {
        let spec = try SpecObject(value, path: path)
        let type = try spec.string("type")
        let plugin = try plugin(named: type, path: spec.childPath("type"))
        let module = try plugin.build(spec, context: context)
        try spec.finish()
        return module
    }

    /// Builds a layer that must play a given role (an encoder, a decoder, a head).
    public func build<Role>(_ value: JSONValue, path: String, context: BuildContext, as role: Role.Type, roleName: String) throws -> Role {
        let module = try build(value, path: path, context: context)
        guard let typed = module as? Role else {
            let type = value["type"]?.brief ?? "?"
            throw SpecError.invalid(path: path.isEmpty ? "type" : path + ".type", message: "layer type \(type) cannot serve as \(roleName)")
        }
        return typed
    }
}
