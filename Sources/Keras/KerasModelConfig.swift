import JSON

/// A Keras model's architecture as its `model_config` attribute holds it: layers with their class,
/// config and the layers that feed them, plus the model's inputs and outputs. Reads Keras 2 (`Model`,
/// `Sequential`, old-style inbound nodes `[[["name", 0, 0, {}]]]`) and Keras 3 (`Functional`,
/// inbound nodes `[{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": [...]}}]}]`).
struct KerasModelConfig {
    struct Layer {
        var name: String
        var className: String
        var config: JSONValue
        /// Names of the layers whose outputs this layer reads, in argument order; empty for an input.
        var inputs: [String]
        /// Where the layer sits in model_config, for messages ("config.layers[3]").
        var path: String
    }

    var layers: [Layer]
    var inputs: [String]
    var outputs: [String]
    /// [H, W, C] from the input layer's batch_input_shape (channels last), when it gives one.
    var inputShape: [Int]?

    static func parse(_ root: JSONValue, file: String) throws -> KerasModelConfig {
        func bad(_ path: String, _ reason: String) -> KerasError { .badConfig(file: file, path: path, reason: reason) }
        guard case .string(let className)? = root["class_name"] else { throw bad("class_name", "expected a string") }
        switch className {
        case "Model", "Functional":
            return try functional(root, file: file)
        case "Sequential":
            return try sequential(root, file: file)
        default:
            throw bad("class_name", "a \(JSONValue.quoteForMessage(className)) model is not supported (Model, Functional and Sequential are)")
        }
    }

    private static func functional(_ root: JSONValue, file: String) throws -> KerasModelConfig {
        func bad(_ path: String, _ reason: String) -> KerasError { .badConfig(file: file, path: path, reason: reason) }
        guard case .array(let items)? = root["config"]?["layers"] else { throw bad("config.layers", "expected a list of layers") }
        var layers: [Layer] = []
        for (i, item) in items.enumerated() {
            let path = "config.layers[\(i)]"
            guard case .string(let className)? = item["class_name"] else { throw bad(path + ".class_name", "expected a string") }
            guard case .string(let name)? = item["name"] ?? item["config"]?["name"] else { throw bad(path + ".name", "expected a string") }
            var inputs: [String] = []
            if case .array(let nodes)? = item["inbound_nodes"] {
                guard nodes.count <= 1 else {
                    throw bad(path, "layer \(name) is called \(nodes.count) times (a shared layer); zoo graphs call each layer once")
                }
                if let node = nodes.first { inputs = historyNames(node) }
            }
            layers.append(Layer(name: name, className: className, config: item["config"] ?? .object([]), inputs: inputs, path: path))
        }
        let inputs = try endpointNames(root["config"]?["input_layers"], path: "config.input_layers", file: file)
        let outputs = try endpointNames(root["config"]?["output_layers"], path: "config.output_layers", file: file)
        let shape = layers.first { $0.name == inputs.first }.flatMap { inputShape(of: $0.config) }
        return KerasModelConfig(layers: layers, inputs: inputs, outputs: outputs, inputShape: shape)
    }

    /// A Sequential model: each layer reads the one before; the first layer (or an InputLayer) gives the
    /// input shape.
    private static func sequential(_ root: JSONValue, file: String) throws -> KerasModelConfig {
        func bad(_ path: String, _ reason: String) -> KerasError { .badConfig(file: file, path: path, reason: reason) }
        // Keras ≤ 2.1 stored the layer list directly as `config`.
        let list: [JSONValue]
        let listPath: String
        if case .array(let items)? = root["config"] { list = items; listPath = "config" } else if case .array(let items)? = root["config"]?["layers"] {
            list = items; listPath = "config.layers"
        } else { throw bad("config.layers", "expected a list of layers") }
        var layers: [Layer] = []
        var shape: [Int]?
        var previous = "input"
        for (i, item) in list.enumerated() {
            let path = "\(listPath)[\(i)]"
            guard case .string(let className)? = item["class_name"] else { throw bad(path + ".class_name", "expected a string") }
            guard case .string(let name)? = item["config"]?["name"] ?? item["name"] else { throw bad(path + ".config.name", "expected a string") }
            let config = item["config"] ?? .object([])
            if shape == nil { shape = inputShape(of: config) }
            if className == "InputLayer" { previous = name; continue }
            layers.append(Layer(name: name, className: className, config: config, inputs: [previous], path: path))
            previous = name
        }
        guard let last = layers.last else { throw bad(listPath, "a Sequential model with no layers") }
        let input = Layer(name: "input", className: "InputLayer", config: .object([]), inputs: [], path: listPath)
        let inputName = list.first.flatMap { $0["class_name"] == .string("InputLayer") ? $0["config"]?["name"] : nil }
        if case .string(let name)? = inputName {
            return KerasModelConfig(layers: [Layer(name: name, className: "InputLayer", config: .object([]), inputs: [], path: listPath)] + layers,
                                    inputs: [name], outputs: [last.name], inputShape: shape)
        }
        return KerasModelConfig(layers: [input] + layers, inputs: ["input"], outputs: [last.name], inputShape: shape)
    }

    /// The layer names in one inbound node, Keras 2 or 3 style.
    private static func historyNames(_ node: JSONValue) -> [String] {
        var names: [String] = []
        func visit(_ v: JSONValue) {
            switch v {
            case .array(let items):
                // Keras 2: ["name", nodeIndex, tensorIndex, {kwargs}].
                if items.count >= 3, case .string(let name) = items[0], case .integer = items[1], case .integer = items[2] {
                    names.append(name)
                    return
                }
                items.forEach(visit)
            case .object:
                if case .array(let history)? = v["config"]?["keras_history"], case .string(let name)? = history.first {
                    names.append(name)
                    return
                }
                if let args = v["args"] { visit(args) }
            default:
                break
            }
        }
        visit(node)
        return names
    }

    /// input_layers / output_layers: [["name", 0, 0], …] or, for one, ["name", 0, 0].
    private static func endpointNames(_ value: JSONValue?, path: String, file: String) throws -> [String] {
        guard case .array(let items)? = value, !items.isEmpty else {
            throw KerasError.badConfig(file: file, path: path, reason: "expected a list of [layer, node, tensor] entries")
        }
        if case .string(let name) = items[0] { return [name] }
        return try items.enumerated().map { i, item in
            guard case .array(let entry) = item, case .string(let name)? = entry.first else {
                throw KerasError.badConfig(file: file, path: "\(path)[\(i)]", reason: "expected [layer name, node, tensor]")
            }
            return name
        }
    }

    /// [H, W, C] of `batch_input_shape` / `batch_shape` = [null, H, W, C].
    private static func inputShape(of config: JSONValue) -> [Int]? {
        guard case .array(let dims)? = config["batch_input_shape"] ?? config["batch_shape"], dims.count == 4 else { return nil }
        let values = dims.dropFirst().compactMap { d -> Int? in if case .integer(let n) = d { return n } else { return nil } }
        return values.count == 3 ? values : nil
    }
}
