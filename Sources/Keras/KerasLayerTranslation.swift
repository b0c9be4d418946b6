import JSON

/// One Keras layer as zoo graph nodes and the weights they take. A layer becomes one node named as the
/// layer (so its weights are `<layer>.weight`, …), plus a node `<layer>_activation` when its config has a
/// fused activation; `Dropout` becomes nothing (inference is the identity).
///
/// Shapes are followed as Keras sees them, channels last ([H, W, C], or [F] after flattening), because
/// `Flatten`, `Dense` and the channel counts of every layer depend on them.
struct KerasLayerTranslation {
    static let supportedClasses = [
        "Activation", "Add", "BatchNormalization", "Conv2D", "Dense", "DepthwiseConv2D", "Dropout", "Flatten",
        "GlobalAveragePooling2D", "InputLayer", "MaxPooling2D", "ReLU", "SeparableConv2D", "Softmax", "SpatialDropout2D",
    ]

    /// A tensor's shape as Keras has it, batch left out.
    enum Shape: Equatable {
        case image(height: Int?, width: Int?, channels: Int)
        case flat(Int)

        var channels: Int {
            switch self {
            case let .image(_, _, c): return c
            case let .flat(f): return f
            }
        }
    }

    struct Node {
        var name: String
        var inputs: [String]
        var layer: JSONValue
    }

    /// Keras weight `kerasWeight` of layer `kerasLayer` becomes zoo tensor `zooName`: axes reordered by
    /// `permutation` (nil: kept), then given `shape` (a reshape of the reordered values, or nil).
    struct WeightMapping {
        var kerasLayer: String
        var kerasWeight: String
        var zooName: String
        var permutation: [Int]?
        var shape: [Int]?
        /// Values for a weight the file does not have (BatchNormalization with center or scale off: beta
        /// 0 or gamma 1 for each of `count` channels).
        var fill: (value: Float, count: Int)?
        /// Another name the weight goes by (Keras 3 calls DepthwiseConv2D's `depthwise_kernel` `kernel`).
        var alias: String?

        init(kerasLayer: String, kerasWeight: String, zooName: String, permutation: [Int]? = nil, shape: [Int]? = nil,
             fill: (value: Float, count: Int)? = nil, alias: String? = nil) {
            self.alias = alias
            self.kerasLayer = kerasLayer
            self.kerasWeight = kerasWeight
            self.zooName = zooName
            self.permutation = permutation
            self.shape = shape
            self.fill = fill
        }
    }

    struct Result {
        var nodes: [Node]
        var weights: [WeightMapping]
        /// The node whose output is this Keras layer's output.
        var output: String
        var shape: Shape
    }

    let file: String
    let layer: KerasModelConfig.Layer

    private func config(_ key: String) -> JSONValue? { layer.config[key] }

    private func bad(_ key: String, _ reason: String) -> KerasError {
        .badConfig(file: file, path: "\(layer.path).config.\(key)", reason: reason)
    }

    private func unsupported(_ key: String, _ value: JSONValue) -> KerasError {
        .unsupportedSetting(file: file, layer: layer.name, setting: key, value: value.brief)
    }

    private func int(_ key: String, default d: Int? = nil) throws -> Int {
        switch config(key) {
        case .integer(let n)? where n > 0: return n
        case nil, .null?: if let d { return d }
        default: break
        }
        throw bad(key, "expected a positive integer")
    }

    /// A Keras pair: [a, b] or a single number for both.
    private func pair(_ key: String, default d: (Int, Int)? = nil) throws -> (Int, Int) {
        switch config(key) {
        case .integer(let n)? where n > 0: return (n, n)
        case .array(let items)? where items.count == 2:
            if case .integer(let a) = items[0], case .integer(let b) = items[1], a > 0, b > 0 { return (a, b) }
        case nil, .null?: if let d { return d }
        default: break
        }
        throw bad(key, "expected a positive integer or a pair of them")
    }

    private func bool(_ key: String, default d: Bool) throws -> Bool {
        switch config(key) {
        case .bool(let b)?: return b
        case nil, .null?: return d
        default: throw bad(key, "expected true or false")
        }
    }

    private func padding() throws -> String {
        switch config("padding") {
        case .string(let p)? where p == "valid" || p == "same": return p
        case nil: return "valid"
        case let value?: throw unsupported("padding", value)
        }
    }

    private func requireChannelsLast() throws {
        switch config("data_format") {
        case nil, .null?, .string("channels_last")?: return
        case let value?: throw unsupported("data_format", value)
        }
    }

    private func image(_ shape: Shape) throws -> (Int?, Int?, Int) {
        guard case let .image(h, w, c) = shape else {
            throw KerasError.badConfig(file: file, path: layer.path, reason: "\(layer.className) \(layer.name) needs an image input, got flat features")
        }
        return (h, w, c)
    }

    /// The window of a convolution layer (Conv2D, DepthwiseConv2D, SeparableConv2D): kernel, strides,
    /// dilation and padding, as zoo spec fields, and the output's height and width for an input.
    private struct Window {
        var kernel: (Int, Int), stride: (Int, Int), dilation: (Int, Int), padding: String

        var fields: [(String, JSONValue)] {
            [("kernel_size", .array([.integer(kernel.0), .integer(kernel.1)])), ("stride", .array([.integer(stride.0), .integer(stride.1)])),
             ("padding", .string(padding)), ("dilation", .array([.integer(dilation.0), .integer(dilation.1)]))]
        }

        func output(height: Int?, width: Int?, channels: Int) -> Shape {
            .image(height: KerasLayerTranslation.windowOutput(height, kernel: kernel.0, stride: stride.0, dilation: dilation.0, padding: padding),
                   width: KerasLayerTranslation.windowOutput(width, kernel: kernel.1, stride: stride.1, dilation: dilation.1, padding: padding),
                   channels: channels)
        }
    }

    private func window() throws -> Window {
        Window(kernel: try pair("kernel_size"), stride: try pair("strides", default: (1, 1)),
               dilation: try pair("dilation_rate", default: (1, 1)), padding: try padding())
    }

    /// Output size of a window along one axis (TensorFlow's rule for "same").
    private static func windowOutput(_ size: Int?, kernel: Int, stride: Int, dilation: Int, padding: String) -> Int? {
        guard let size else { return nil }
        if padding == "same" { return (size + stride - 1) / stride }
        let span = (kernel - 1) * dilation + 1
        return size >= span ? (size - span) / stride + 1 : 0
    }

    /// The fused `activation` of Conv2D, Dense, …: a node after the layer, or none for "linear".
    private func activationNode(after name: String) throws -> Node? {
        guard let value = config("activation"), value != .null else { return nil }
        guard case .string(let activation) = value else { throw bad("activation", "expected a name") }
        guard let layer = try Self.activationLayer(activation) else {
            if activation == "linear" { return nil }
            throw unsupported("activation", value)
        }
        return Node(name: name + "_activation", inputs: [name], layer: layer)
    }

    static func activationLayer(_ name: String) throws -> JSONValue? {
        switch name {
        case "relu": return .object([("type", .string("relu"))])
        case "softmax": return .object([("type", .string("softmax")), ("dim", .integer(1))])
        default: return nil
        }
    }

    func translate(inputs: [(node: String, shape: Shape)]) throws -> Result {
        let name = layer.name
        guard let first = inputs.first else {
            throw KerasError.badConfig(file: file, path: layer.path, reason: "layer \(name) has no inputs")
        }
        if layer.className != "Add", inputs.count != 1 {
            throw KerasError.badConfig(file: file, path: layer.path, reason: "layer \(name) (\(layer.className)) reads \(inputs.count) tensors, expected 1")
        }
        func node(_ layer: [(String, JSONValue)]) -> Node { Node(name: name, inputs: [first.node], layer: .object(layer)) }
        func finish(_ main: Node, _ weights: [WeightMapping], _ shape: Shape) throws -> Result {
            if let activation = try activationNode(after: main.name) {
                return Result(nodes: [main, activation], weights: weights, output: activation.name, shape: shape)
            }
            return Result(nodes: [main], weights: weights, output: main.name, shape: shape)
        }

        switch layer.className {
        case "Conv2D", "DepthwiseConv2D":
            try requireChannelsLast()
            let (h, w, c) = try image(first.shape)
            let window = try self.window()
            let kernel = window.kernel
            let bias = try bool("use_bias", default: true)
            let depthwise = layer.className == "DepthwiseConv2D"
            let groups = depthwise ? c : try int("groups", default: 1)
            let multiplier = depthwise ? try int("depth_multiplier", default: 1) : 1
            let out = depthwise ? c * multiplier : try int("filters")
            guard c % groups == 0, out % groups == 0 else { throw bad("groups", "\(groups) groups do not divide \(c) → \(out) channels") }
            var weights = [
                depthwise
                    // [kh, kw, C, M] → [C, M, kh, kw] → [C·M, 1, kh, kw]: output channel c·M + m, as grouped convolution orders them.
                    ? WeightMapping(kerasLayer: name, kerasWeight: "depthwise_kernel", zooName: name + ".weight",
                                    permutation: [2, 3, 0, 1], shape: [c * multiplier, 1, kernel.0, kernel.1], alias: "kernel")
                    : WeightMapping(kerasLayer: name, kerasWeight: "kernel", zooName: name + ".weight", permutation: [3, 2, 0, 1]),
            ]
            if bias { weights.append(WeightMapping(kerasLayer: name, kerasWeight: "bias", zooName: name + ".bias")) }
            let main = node([("type", .string("conv2d")), ("in_channels", .integer(c)), ("out_channels", .integer(out))] + window.fields
                            + [("groups", .integer(groups)), ("bias", .bool(bias))])
            let shape = window.output(height: h, width: w, channels: out)
            return try finish(main, weights, shape)

        case "SeparableConv2D":
            try requireChannelsLast()
            let (h, w, c) = try image(first.shape)
            let window = try self.window()
            let bias = try bool("use_bias", default: true)
            let multiplier = try int("depth_multiplier", default: 1)
            let out = try int("filters")
            var weights = [
                WeightMapping(kerasLayer: name, kerasWeight: "depthwise_kernel", zooName: name + ".depthwise.weight",
                              permutation: [2, 3, 0, 1], shape: [c * multiplier, 1, window.kernel.0, window.kernel.1]),
                WeightMapping(kerasLayer: name, kerasWeight: "pointwise_kernel", zooName: name + ".pointwise.weight", permutation: [3, 2, 0, 1]),
            ]
            if bias { weights.append(WeightMapping(kerasLayer: name, kerasWeight: "bias", zooName: name + ".pointwise.bias")) }
            let main = node([("type", .string("separable_conv2d")), ("in_channels", .integer(c)), ("out_channels", .integer(out)),
                             ("depth_multiplier", .integer(multiplier))] + window.fields + [("bias", .bool(bias))])
            return try finish(main, weights, window.output(height: h, width: w, channels: out))

        case "BatchNormalization":
            let channels = first.shape.channels
            switch config("axis") {
            case nil, .integer(-1)?, .integer(3)?, .array([.integer(-1)])?, .array([.integer(3)])?: break
            case .integer(1)? where { if case .flat = first.shape { return true } else { return false } }(): break
            case let value?: throw unsupported("axis", value)
            }
            let epsilon: Double
            switch config("epsilon") {
            case .number(let e)?: epsilon = e
            case .integer(let e)?: epsilon = Double(e)
            case nil: epsilon = 1e-3
            default: throw bad("epsilon", "expected a number")
            }
            let momentum: Double
            switch config("momentum") {
            case .number(let m)?: momentum = m
            case .integer(let m)?: momentum = Double(m)
            case nil: momentum = 0.99
            default: throw bad("momentum", "expected a number")
            }
            let center = try bool("center", default: true), scale = try bool("scale", default: true)
            let weights = [
                WeightMapping(kerasLayer: name, kerasWeight: "gamma", zooName: name + ".weight", fill: scale ? nil : (1, channels)),
                WeightMapping(kerasLayer: name, kerasWeight: "beta", zooName: name + ".bias", fill: center ? nil : (0, channels)),
                WeightMapping(kerasLayer: name, kerasWeight: "moving_mean", zooName: name + ".running_mean"),
                WeightMapping(kerasLayer: name, kerasWeight: "moving_variance", zooName: name + ".running_var"),
            ]
            // Keras keeps `momentum` of the old running value, PyTorch replaces `momentum` of it; Keras
            // averages the biased batch variance.
            let main = node([
                ("type", .string("batch_norm")), ("num_features", .integer(channels)), ("eps", .number(epsilon)),
                ("momentum", .number(1 - momentum)), ("running_var_unbiased", .bool(false)),
            ])
            return try finish(main, weights, first.shape)

        case "Activation":
            guard case .string(let activation)? = config("activation") else { throw bad("activation", "expected a name") }
            if activation == "linear" { return Result(nodes: [], weights: [], output: first.node, shape: first.shape) }
            guard let layerJSON = try Self.activationLayer(activation) else { throw unsupported("activation", .string(activation)) }
            return Result(nodes: [Node(name: name, inputs: [first.node], layer: layerJSON)], weights: [], output: name, shape: first.shape)

        case "ReLU":
            for key in ["max_value", "negative_slope", "threshold"] {
                switch config(key) {
                case nil, .null?, .integer(0)?, .number(0)?: continue
                case let value?: throw unsupported(key, value)
                }
            }
            return Result(nodes: [node([("type", .string("relu"))])], weights: [], output: name, shape: first.shape)

        case "Softmax":
            switch config("axis") {
            case nil, .integer(-1)?, .array([.integer(-1)])?: break
            case let value?: throw unsupported("axis", value)
            }
            return Result(nodes: [node([("type", .string("softmax")), ("dim", .integer(1))])], weights: [], output: name, shape: first.shape)

        case "MaxPooling2D":
            try requireChannelsLast()
            let (h, w, c) = try image(first.shape)
            let size = try pair("pool_size", default: (2, 2))
            let stride = try pair("strides", default: size)
            let pad = try padding()
            let main = node([
                ("type", .string("max_pool2d")), ("kernel_size", .array([.integer(size.0), .integer(size.1)])),
                ("stride", .array([.integer(stride.0), .integer(stride.1)])), ("padding", .string(pad)),
            ])
            let shape = Shape.image(height: Self.windowOutput(h, kernel: size.0, stride: stride.0, dilation: 1, padding: pad),
                                    width: Self.windowOutput(w, kernel: size.1, stride: stride.1, dilation: 1, padding: pad), channels: c)
            return Result(nodes: [main], weights: [], output: name, shape: shape)

        case "GlobalAveragePooling2D":
            try requireChannelsLast()
            let (_, _, c) = try image(first.shape)
            if try bool("keepdims", default: false) { throw unsupported("keepdims", .bool(true)) }
            return Result(nodes: [node([("type", .string("global_avg_pool"))])], weights: [], output: name, shape: .flat(c))

        case "Add":
            guard inputs.count >= 2, inputs.allSatisfy({ $0.shape == first.shape }) else {
                throw KerasError.badConfig(file: file, path: layer.path, reason:
                    "Add \(name) needs two or more inputs of one shape, got \(inputs.map { "\($0.shape)" }.joined(separator: ", "))")
            }
            return Result(nodes: [Node(name: name, inputs: inputs.map(\.node), layer: .object([("type", .string("add"))]))],
                          weights: [], output: name, shape: first.shape)

        case "Flatten":
            try requireChannelsLast()
            switch first.shape {
            case .flat:
                return Result(nodes: [], weights: [], output: first.node, shape: first.shape)
            case let .image(h?, w?, c):
                // Keras flattens channels last (h, w, c); zoo's tensors are NCHW, so reorder first.
                let permute = Node(name: name + "_to_channels_last", inputs: [first.node],
                                   layer: .object([("type", .string("permute")), ("dims", .array([0, 2, 3, 1].map { .integer($0) }))]))
                let flatten = Node(name: name, inputs: [permute.name], layer: .object([("type", .string("flatten"))]))
                return Result(nodes: [permute, flatten], weights: [], output: name, shape: .flat(h * w * c))
            case .image:
                throw KerasError.badConfig(file: file, path: layer.path, reason: "Flatten \(name) needs the input's height and width (batch_input_shape)")
            }

        case "Dense":
            guard case let .flat(features) = first.shape else {
                throw KerasError.badConfig(file: file, path: layer.path, reason: "Dense \(name) on an image tensor is not supported (flatten or pool first)")
            }
            let units = try int("units")
            let bias = try bool("use_bias", default: true)
            var weights = [WeightMapping(kerasLayer: name, kerasWeight: "kernel", zooName: name + ".weight", permutation: [1, 0])]
            if bias { weights.append(WeightMapping(kerasLayer: name, kerasWeight: "bias", zooName: name + ".bias")) }
            let main = node([("type", .string("linear")), ("in_features", .integer(features)), ("out_features", .integer(units)), ("bias", .bool(bias))])
            return try finish(main, weights, .flat(units))

        case "Dropout", "SpatialDropout2D":
            return Result(nodes: [], weights: [], output: first.node, shape: first.shape)

        default:
            throw KerasError.unsupportedLayer(file: file, layer: name, className: layer.className)
        }
    }
}
