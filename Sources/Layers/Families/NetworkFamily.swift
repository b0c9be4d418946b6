import Foundation
import Tensors
import Zoo

/// A network that is one `graph` of layer plugins from image to named outputs: a Keras model imported
/// from its HDF5 file, a CNN written as a spec. Its state-dict keys are the graph's node names
/// (`conv2d_1.weight`), as Keras layer names and PyTorch module names are.
///
/// `{"type": "network", "input": [C, H, W], "graph": {"type": "graph", …},
///   "classes": ["angry", …], "preprocessing": {…}}`; `classes` names the last output's entries and
/// `preprocessing` says how images become the input (see `NetworkPreprocessing`).
public enum NetworkFamily: ModelFamily {
    public static let name = "network"
    public static let summary = "one graph of layer plugins from image to named outputs (Keras models, CNN specs)"
    public static let roles = ["predict", "convert", "show"]

    static let fields = ["input", "graph", "classes", "preprocessing"]

    public static func build(_ root: SpecObject, context: ModelBuildContext) throws -> any ImageModel {
        try checkRootFields(root, known: fields)
        let input = try root.intArray("input", default: [])
        guard input.count == 3, input.allSatisfy({ SpecLimits.width.contains($0) }) else {
            throw SpecError.invalid(path: "input", message: "expected the image shape [channels, height, width], got \(input)")
        }
        guard let graphSpec = root.raw("graph") else { throw SpecError.missing(path: "graph", expected: "a graph layer") }
        let module = try context.layers.build(graphSpec, path: "graph", context: context.layerContext(initialization: .timm))
        guard let graph = module as? Graph else {
            throw SpecError.invalid(path: "graph.type", message: "a network's graph must have type \"graph\"")
        }
        do {
            _ = try graph.outputShapes(for: [[1] + input])
        } catch {
            throw SpecError.invalid(path: "graph", message: "does not take a [\(input.map(String.init).joined(separator: ", "))] image: \(error)")
        }
        var classes: [String]?
        if root.has("classes") {
            classes = try root.array("classes").enumerated().map { i, v in
                guard case let .string(s) = v else { throw SpecError.wrongType(path: "classes[\(i)]", expected: "a string", got: v.brief) }
                return s
            }
        }
        let preprocessing = try root.has("preprocessing") ? NetworkPreprocessing(try root.object("preprocessing")) : nil
        return NetworkModel(graph: graph, inputShape: input, classes: classes, preprocessing: preprocessing, generator: context.generator)
    }

    public static func describe(_ model: any ImageModel) -> [(String, JSONValue)] {
        guard let m = model as? NetworkModel else { return [] }
        var out: [(String, JSONValue)] = [("input", .array(m.inputShape.map { .integer($0) })),
                                          ("nodes", .integer(m.graph.nodes.count)),
                                          ("outputs", .array(m.graph.outputNames.map { .string($0) }))]
        if let classes = m.classes { out.append(("classes", .array(classes.map { .string($0) }))) }
        return out
    }
}

/// How a network's images are prepared: channels (rgb or grayscale, ITU-R 601-2 luma as Pillow's
/// convert("L")), the square size, then x · scale, then (x − mean) / std per channel.
public struct NetworkPreprocessing: Sendable {
    public var grayscale: Bool
    public var size: Int
    public var scale: Float
    public var mean: [Float]
    public var std: [Float]

    public init(grayscale: Bool, size: Int, scale: Float, mean: [Float], std: [Float]) {
        self.grayscale = grayscale
        self.size = size
        self.scale = scale
        self.mean = mean
        self.std = std
    }

    init(_ o: SpecObject) throws {
        grayscale = try o.choice("channels", ["rgb", "grayscale"], default: "rgb") == "grayscale"
        size = try o.positiveInt("size", in: 1...65_536)
        _ = try o.choice("resize", ["bilinear"], default: "bilinear")
        scale = Float(try o.double("scale", default: 1, in: 1e-9...1e9))
        func floats(_ key: String, _ d: Double) throws -> [Float] {
            guard o.has(key) else { return [Float(d)] }
            return try o.array(key).enumerated().map { i, v in
                switch v {
                case let .number(x): return Float(x)
                case let .integer(x): return Float(x)
                default: throw SpecError.wrongType(path: o.childPath(key) + "[\(i)]", expected: "a number", got: v.brief)
                }
            }
        }
        mean = try floats("mean", 0)
        std = try floats("std", 1)
        guard std.allSatisfy({ $0 != 0 }) else { throw SpecError.invalid(path: o.childPath("std"), message: "a std of 0") }
        let channels = grayscale ? 1 : 3
        for (key, values) in [("mean", mean), ("std", std)] where values.count != 1 && values.count != channels {
            throw SpecError.invalid(path: o.childPath(key), message: "expected 1 or \(channels) values, got \(values.count)")
        }
        try o.finish()
    }
}

/// A built `network`: the graph's nodes are its children, so its keys carry no prefix.
public final class NetworkModel: Module, ImageModel {
    public let graph: Graph
    public let inputShape: [Int]
    public let classes: [String]?
    public let preprocessing: NetworkPreprocessing?
    public let generator: Generator

    init(graph: Graph, inputShape: [Int], classes: [String]?, preprocessing: NetworkPreprocessing?, generator: Generator) {
        self.graph = graph
        self.inputShape = inputShape
        self.classes = classes
        self.preprocessing = preprocessing
        self.generator = generator
        super.init()
        for node in graph.nodes {
            switch node.operation {
            case let .unary(layer): if let m = layer as? Module { _ = child(node.name, m) }
            case let .merge(layer): if let m = layer as? Module { _ = child(node.name, m) }
            }
        }
    }

    public func outputs(_ images: Tensor, extra: [String: Tensor]) -> [(name: String, tensor: Tensor)] {
        graph.outputs(images)
    }

    /// The same graph ending before the final softmax (when the first output is one): the logits a
    /// cross-entropy loss trains on. Nil when the first output is not a softmax.
    public lazy var logitsGraph: Graph? = {
        guard let outputName = graph.outputNames.first,
              let index = graph.nodes.firstIndex(where: { $0.name == outputName }) else { return nil }
        let node = graph.nodes[index]
        guard case let .unary(layer) = node.operation, layer is Softmax, let slot = node.inputs.first else { return nil }
        let slotName = slot < graph.inputNames.count ? graph.inputNames[slot] : graph.nodes[slot - graph.inputNames.count].name
        let nodes: [(node: Graph.Node, module: Module)] = graph.nodes.compactMap { n in
            switch n.operation {
            case let .unary(l): return (l as? Module).map { (n, $0) }
            case let .merge(l): return (l as? Module).map { (n, $0) }
            }
        }
        guard nodes.count == graph.nodes.count else { return nil }
        return Graph(inputNames: graph.inputNames, nodes: nodes, outputNames: [slotName])
    }()
}
