import Foundation
import Tensors
import Zoo

/// A directed acyclic graph of layers (a Keras functional model, MTCNN's two-headed networks): nodes in
/// an order where each reads only the graph's inputs and earlier nodes, so the list order is a
/// topological order and running them in it is the forward pass. Each node's parameters sit under its
/// name. A node with one input is a `UnaryLayer`; one with several is a `MultiInputLayer` (`add`).
public final class Graph: Module, UnaryLayer {
    public enum Operation {
        case unary(UnaryLayer)
        case merge(MultiInputLayer)
    }

    public struct Node {
        public let name: String
        public let operation: Operation
        /// Value slots read: 0..<inputNames.count are the graph's inputs, inputNames.count + i node i.
        public let inputs: [Int]

        public init(name: String, operation: Operation, inputs: [Int]) {
            self.name = name
            self.operation = operation
            self.inputs = inputs
        }
    }

    public let inputNames: [String]
    public let nodes: [Node]
    public let outputNames: [String]
    let outputSlots: [Int]
    /// For each value slot, the last node that reads it (nil: none, or it is an output): intermediate
    /// results are dropped as soon as nothing needs them, which bounds inference memory.
    let lastReader: [Int?]

    /// The graph plugin checks what this assumes: names unique, every input slot earlier than its node,
    /// every output a known name.
    public init(inputNames: [String], nodes: [(node: Node, module: Module)], outputNames: [String]) {
        self.inputNames = inputNames
        self.nodes = nodes.map(\.node)
        self.outputNames = outputNames
        let slotOf = Dictionary(uniqueKeysWithValues: (inputNames + nodes.map(\.node.name)).enumerated().map { ($1, $0) })
        outputSlots = outputNames.map { slotOf[$0]! }
        var last = [Int?](repeating: nil, count: inputNames.count + nodes.count)
        for (i, (node, _)) in nodes.enumerated() { for s in node.inputs { last[s] = i } }
        for s in outputSlots { last[s] = nil }
        lastReader = last
        super.init()
        for (node, module) in nodes { child(node.name, module) }
    }

    /// The outputs, in `outputNames` order, for the inputs in `inputNames` order.
    public func run(_ inputs: [Tensor]) -> [Tensor] {
        precondition(inputs.count == inputNames.count, "graph: \(inputs.count) inputs given, expected \(inputNames.count) (\(inputNames.joined(separator: ", ")))")
        var values = [Tensor?](repeating: nil, count: inputNames.count + nodes.count)
        for (i, t) in inputs.enumerated() { values[i] = t }
        for (i, node) in nodes.enumerated() {
            let arguments = node.inputs.map { values[$0]! }
            switch node.operation {
            case let .unary(layer): values[inputNames.count + i] = layer(arguments[0])
            case let .merge(layer): values[inputNames.count + i] = layer(arguments)
            }
            for s in node.inputs where lastReader[s] == i { values[s] = nil }
        }
        return outputSlots.map { values[$0]! }
    }

    /// Every output under its name.
    public func outputs(_ x: Tensor) -> [(name: String, tensor: Tensor)] {
        zip(outputNames, run([x])).map { (name: $0, tensor: $1) }
    }

    /// The first output of a one-input graph.
    public func callAsFunction(_ x: Tensor) -> Tensor { run([x])[0] }
}

/// `{"type": "graph", "inputs": ["input"], "nodes": [{"name", "inputs": [names], "layer": {type, …}}, …],
/// "outputs": [names]}`. `inputs` defaults to ["input"]; a node's `inputs` to the node before it (the
/// first node: the first graph input); `outputs` to the last node.
public enum GraphPlugin: LayerPlugin {
    public static let name = "graph"
    public static let summary = "DAG of named layer nodes (inputs, nodes: [{name, inputs, layer}], outputs)"

    public static let fields: [String]? = ["inputs", "nodes", "outputs"]
    static let nodeFields = ["name", "inputs", "layer"]

    public static func build(_ spec: SpecObject, context: BuildContext) throws -> Module {
        let inputNames = try names(spec, "inputs", default: ["input"])
        var slotOf: [String: Int] = [:]
        for (i, name) in inputNames.enumerated() {
            guard slotOf.updateValue(i, forKey: name) == nil else {
                throw SpecError.invalid(path: "\(spec.childPath("inputs"))[\(i)]", message: "input \(JSONValue.quoteForMessage(name)) is named twice")
            }
        }
        let items = try spec.array("nodes")
        let listPath = spec.childPath("nodes")
        guard (1...SequentialPlugin.maximumChildren).contains(items.count) else {
            throw SpecError.invalid(path: listPath, message: "expected 1 to \(SequentialPlugin.maximumChildren) nodes, got \(items.count)")
        }
        // First pass, nothing built: names, references to earlier values, layer types and fields.
        var planned: [(name: String, inputs: [Int], layer: JSONValue, path: String)] = []
        for (i, item) in items.enumerated() {
            let path = "\(listPath)[\(i)]"
            let node = try SpecObject(item, path: path)
            let name = try node.childName()
            let previous = i == 0 ? inputNames[0] : planned[i - 1].name
            let inputs = try names(node, "inputs", default: [previous])
            let slots = try inputs.enumerated().map { k, input -> Int in
                guard let slot = slotOf[input] else {
                    throw SpecError.invalid(path: "\(node.childPath("inputs"))[\(k)]", message:
                        "\(JSONValue.quoteForMessage(input)) is neither a graph input nor an earlier node")
                }
                return slot
            }
            guard let layer = node.raw("layer") else { throw SpecError.missing(path: node.childPath("layer"), expected: "a layer object") }
            try context.registry.checkFields(layer, path: node.childPath("layer"))
            try node.finish()
            guard slotOf.updateValue(inputNames.count + i, forKey: name) == nil else {
                throw SpecError.invalid(path: node.childPath("name"), message: "name \(JSONValue.quoteForMessage(name)) is already a graph input or node")
            }
            planned.append((name, slots, layer, path))
        }
        let outputNames = try names(spec, "outputs", default: [planned.last!.name])
        for (k, output) in outputNames.enumerated() {
            let path = "\(spec.childPath("outputs"))[\(k)]"
            guard slotOf[output] != nil else { throw SpecError.invalid(path: path, message: "\(JSONValue.quoteForMessage(output)) names no node or input") }
            guard !outputNames[..<k].contains(output) else { throw SpecError.invalid(path: path, message: "output \(JSONValue.quoteForMessage(output)) is listed twice") }
        }
        try spec.finish()

        var built: [(node: Graph.Node, module: Module)] = []
        for entry in planned {
            let layerPath = entry.path + ".layer"
            let module = try context.registry.build(entry.layer, path: layerPath, context: context.with(inputDim: nil))
            let operation: Graph.Operation
            if let merge = module as? MultiInputLayer {
                guard merge.inputCount.contains(entry.inputs.count) else {
                    throw SpecError.invalid(path: entry.path + ".inputs", message:
                        "layer type \(entry.layer["type"]?.brief ?? "?") takes \(merge.inputCount.lowerBound)…\(merge.inputCount.upperBound) inputs, got \(entry.inputs.count)")
                }
                operation = .merge(merge)
            } else if let unary = module as? UnaryLayer {
                guard entry.inputs.count == 1 else {
                    throw SpecError.invalid(path: entry.path + ".inputs", message:
                        "layer type \(entry.layer["type"]?.brief ?? "?") takes one input, got \(entry.inputs.count)")
                }
                operation = .unary(unary)
            } else {
                throw SpecError.invalid(path: layerPath + ".type", message:
                    "layer type \(entry.layer["type"]?.brief ?? "?") is neither a one-input nor a multi-input layer and cannot be a graph node")
            }
            built.append((Graph.Node(name: entry.name, operation: operation, inputs: entry.inputs), module))
        }
        return Graph(inputNames: inputNames, nodes: built, outputNames: outputNames)
    }

    /// A non-empty list of distinct-or-not names (checked by the caller), each a valid child name.
    private static func names(_ spec: SpecObject, _ key: String, default d: [String]) throws -> [String] {
        guard spec.has(key), spec.raw(key) != .null else { _ = spec.raw(key); return d }
        let items = try spec.array(key)
        guard (1...SequentialPlugin.maximumChildren).contains(items.count) else {
            throw SpecError.invalid(path: spec.childPath(key), message: "expected 1 to \(SequentialPlugin.maximumChildren) names, got \(items.count)")
        }
        return try items.enumerated().map { i, item in
            let path = "\(spec.childPath(key))[\(i)]"
            guard case let .string(name) = item else { throw SpecError.wrongType(path: path, expected: "a name", got: item.brief) }
            guard !name.isEmpty, !name.contains("."), name.utf8.count <= 256 else {
                throw SpecError.invalid(path: path, message: "expected a name without dots (1 to 256 bytes), got \(JSONValue.quoteForMessage(name))")
            }
            return name
        }
    }
}
