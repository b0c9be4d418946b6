import Foundation
import Tensors
import Zoo

/// Layers applied one after the other (torch.nn.Sequential with named children): each child's
/// parameters sit under its name, so a P-Net's keys read `conv1.weight`, `prelu1.weight`, `conv4_1.bias`.
public final class Sequential: Module, UnaryLayer {
    public let steps: [(name: String, layer: UnaryLayer)]

    public init(_ steps: [(name: String, layer: Module & UnaryLayer)]) {
        self.steps = steps.map { ($0.name, $0.layer as UnaryLayer) }
        super.init()
        for (name, layer) in steps { child(name, layer) }
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        steps.reduce(x) { h, step in step.layer(h) }
    }
}

/// `{"type": "sequential", "layers": [{"name": "conv1", "type": "conv2d", …}, {"name": "prelu1", "type": "prelu", …}]}`:
/// each layer object is a layer spec plus an optional `name` (default: its index, as nn.Sequential).
public enum SequentialPlugin: LayerPlugin {
    public static let name = "sequential"
    public static let summary = "layers in order, each under its name (layers: [{name, type, …}])"

    public static let fields: [String]? = ["layers"]
    /// Bounds the layers of one container (a spec is at most a few MB of JSON anyway).
    static let maximumChildren = 1 << 16

    public static func build(_ spec: SpecObject, context: BuildContext) throws -> Module {
        let items = try spec.array("layers")
        let listPath = spec.childPath("layers")
        guard (1...maximumChildren).contains(items.count) else {
            throw SpecError.invalid(path: listPath, message: "expected 1 to \(maximumChildren) layers, got \(items.count)")
        }
        // Every name and every layer's type and fields are checked before the first layer is built.
        var names = Set<String>(), checked: [(name: String, layer: JSONValue, path: String)] = []
        for (i, item) in items.enumerated() {
            let path = "\(listPath)[\(i)]"
            let object = try SpecObject(item, path: path)
            let name = try object.childName(default: String(i))
            guard names.insert(name).inserted else {
                throw SpecError.invalid(path: object.childPath("name"), message: "name \(JSONValue.quoteForMessage(name)) is used twice")
            }
            try context.registry.checkFields(item, path: path, extra: ["name"])
            checked.append((name, .object(object.pairs.filter { $0.0 != "name" }), path))
        }
        var steps: [(name: String, layer: Module & UnaryLayer)] = []
        for (i, entry) in checked.enumerated() {
            // Only the first layer sees the container's input size; later ones say their own.
            let module = try context.registry.build(entry.layer, path: entry.path, context: i == 0 ? context : context.with(inputDim: nil))
            guard let unary = module as? Module & UnaryLayer else {
                throw SpecError.invalid(path: entry.path + ".type", message:
                    "layer type \(entry.layer["type"]?.brief ?? "?") does not map one tensor to one and cannot be a step of a sequential")
            }
            steps.append((entry.name, unary))
        }
        return Sequential(steps)
    }
}
