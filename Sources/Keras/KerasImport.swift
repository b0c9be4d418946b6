import Checkpoint
import Foundation
import JSON

/// A Keras model saved whole (`model.save("m.h5")`: the `model_config` attribute plus the weights) as a
/// zoo model: a `graph` spec of layer plugins and a state dict under zoo's names in NCHW layout.
///
/// Keras works channels last and stores kernels [kh, kw, in, out]; zoo works NCHW with PyTorch's
/// [out, in, kh, kw]. The graph therefore takes [N, C, H, W] images, every kernel is transposed once here,
/// and a Flatten gets a reorder to channels last in front of it so that a Dense after it reads features
/// in Keras' order. Dropout layers are left out (the identity at inference).
public struct KerasModel {
    /// `{"type": "graph", "inputs": [...], "nodes": [...], "outputs": [...]}`.
    public var graph: JSONValue
    /// Zoo state dict: `<layer>.weight`, `<layer>.bias`, `<layer>.running_mean`, …
    public var tensors: [(name: String, tensor: StoredTensor)]
    /// [C, H, W] of the input, when the file gives it.
    public var inputShape: [Int]?
    public var inputNames: [String]
    public var outputNames: [String]
    /// The Keras version that wrote the file, when recorded.
    public var kerasVersion: String?
}

public enum KerasImport {
    /// Whether a tensor file is a whole Keras model (it has the architecture attribute).
    public static func isKerasModel(_ file: TensorFile) -> Bool {
        file.metadata.contains { $0.key == "model_config" }
    }

    public static func translate(_ file: TensorFile, path: String) throws -> KerasModel {
        guard let text = file.metadata.first(where: { $0.key == "model_config" })?.value else { throw KerasError.noModelConfig(file: path) }
        let root: JSONValue
        do { root = try JSONParser.parse(text) } catch {
            throw KerasError.badConfig(file: path, path: "", reason: "not JSON (\(error))")
        }
        let config = try KerasModelConfig.parse(root, file: path)
        let inputShape = config.inputShape
        guard config.inputs.count == 1 else {
            throw KerasError.badConfig(file: path, path: "config.input_layers", reason: "\(config.inputs.count) inputs; zoo imports one-input models")
        }

        var produced: [String: (node: String, shape: KerasLayerTranslation.Shape)] = [:]
        for input in config.inputs {
            guard let shape = inputShape else {
                throw KerasError.badConfig(file: path, path: "config.layers", reason: "the input layer \(input) gives no batch_input_shape [null, H, W, C]")
            }
            produced[input] = (input, .image(height: shape[0], width: shape[1], channels: shape[2]))
        }
        var nodes: [KerasLayerTranslation.Node] = []
        var mappings: [KerasLayerTranslation.WeightMapping] = []
        var pending = config.layers.filter { $0.className != "InputLayer" }
        // Keras lists layers in a topological order; take them in that order, and any that come before
        // their inputs once those are done.
        while !pending.isEmpty {
            guard let index = pending.firstIndex(where: { $0.inputs.allSatisfy { produced[$0] != nil } }) else {
                let stuck = pending[0]
                let missing = stuck.inputs.filter { produced[$0] == nil }
                throw KerasError.badConfig(file: path, path: stuck.path, reason: "layer \(stuck.name) reads \(missing.joined(separator: ", ")), which no layer produces")
            }
            let layer = pending.remove(at: index)
            let inputs = layer.inputs.map { produced[$0]! }
            let result = try KerasLayerTranslation(file: path, layer: layer).translate(inputs: inputs)
            nodes += result.nodes
            mappings += result.weights
            produced[layer.name] = (result.output, result.shape)
        }
        let outputs = try config.outputs.map { name -> String in
            guard let out = produced[name] else {
                throw KerasError.badConfig(file: path, path: "config.output_layers", reason: "output layer \(name) is not a layer of the model")
            }
            return out.node
        }

        let graph = JSONValue.object([
            ("type", .string("graph")),
            ("inputs", .array(config.inputs.map { .string($0) })),
            ("nodes", .array(nodes.map { n in
                .object([("name", .string(n.name)), ("inputs", .array(n.inputs.map { .string($0) })), ("layer", n.layer)])
            })),
            ("outputs", .array(outputs.map { .string($0) })),
        ])
        let tensors = try weights(mappings, from: file, path: path)
        return KerasModel(graph: graph, tensors: tensors, inputShape: inputShape.map { [$0[2], $0[0], $0[1]] },
                          inputNames: config.inputs, outputNames: outputs,
                          kerasVersion: file.metadata.first { $0.key == "keras_version" }?.value)
    }

    /// Finds each mapped weight in the file (the dataset whose path starts with the layer's group and ends
    /// with the weight's name), transposes it, and checks that no weight of the file is left over.
    private static func weights(_ mappings: [KerasLayerTranslation.WeightMapping], from file: TensorFile, path: String) throws
        -> [(name: String, tensor: StoredTensor)] {
        var used = Set<String>()
        var out: [(name: String, tensor: StoredTensor)] = []
        for m in mappings {
            func matching(_ weight: String) -> [(name: String, tensor: StoredTensor)] {
                file.tensors.filter { t in
                    let parts = t.name.split(separator: ".")
                    return parts.first.map(String.init) == m.kerasLayer && parts.last.map(String.init) == weight
                }
            }
            var candidates = matching(m.kerasWeight)
            if candidates.isEmpty, let alias = m.alias { candidates = matching(alias) }
            guard candidates.count <= 1 else {
                throw KerasError.badWeight(file: path, layer: m.kerasLayer, weight: m.kerasWeight, reason:
                    "\(candidates.count) datasets match (\(candidates.map(\.name).joined(separator: ", ")))")
            }
            guard let found = candidates.first else {
                if let fill = m.fill {
                    out.append((m.zooName, StoredTensor.filled(fill.value, shape: [fill.count])))
                    continue
                }
                throw KerasError.missingWeight(file: path, layer: m.kerasLayer, weight: m.kerasWeight)
            }
            used.insert(found.name)
            var tensor = found.tensor.converted(to: .f32)
            if let permutation = m.permutation {
                guard permutation.count == tensor.shape.count else {
                    throw KerasError.badWeight(file: path, layer: m.kerasLayer, weight: m.kerasWeight, reason:
                        "shape \(tensor.shape) has \(tensor.shape.count) axes, expected \(permutation.count)")
                }
                tensor = tensor.permuted(permutation)
            }
            if let shape = m.shape {
                guard StoredTensor.elementCount(of: shape) == tensor.elementCount else {
                    throw KerasError.badWeight(file: path, layer: m.kerasLayer, weight: m.kerasWeight, reason:
                        "\(tensor.elementCount) values do not fill \(shape)")
                }
                tensor = StoredTensor(dtype: tensor.dtype, shape: shape, bytes: tensor.bytes)
            }
            out.append((m.zooName, tensor))
        }
        let leftover = file.tensors.map(\.name).filter { !used.contains($0) }
        guard leftover.isEmpty else {
            throw KerasError.badWeight(file: path, layer: String(leftover[0].split(separator: ".").first ?? ""), weight: leftover[0], reason:
                "the file has \(leftover.count) weight(s) no layer of model_config takes: \(leftover.prefix(5).joined(separator: ", "))")
        }
        return out
    }
}

extension StoredTensor {
    /// A float32 tensor of `shape` holding `value` everywhere.
    static func filled(_ value: Float, shape: [Int]) -> StoredTensor {
        let count = StoredTensor.elementCount(of: shape) ?? 0
        let (buffer, pointer) = ByteBuffer.allocate(count * 4)
        let floats = pointer.bindMemory(to: Float.self, capacity: count)
        for i in 0..<count { floats[i] = value }
        return StoredTensor(dtype: .f32, shape: shape, bytes: buffer)
    }

    /// The values with their axes reordered (out axis i is axis `order[i]` of self), as float32.
    func permuted(_ order: [Int]) -> StoredTensor {
        let source = converted(to: .f32)
        let inShape = source.shape
        let outShape = order.map { inShape[$0] }
        let count = source.elementCount
        let (buffer, pointer) = ByteBuffer.allocate(count * 4)
        let dst = pointer.bindMemory(to: Float.self, capacity: count)
        let src = source.bytes.base.assumingMemoryBound(to: Float.self)
        var inStrides = [Int](repeating: 1, count: inShape.count)
        for i in stride(from: inShape.count - 2, through: 0, by: -1) { inStrides[i] = inStrides[i + 1] * inShape[i + 1] }
        let strides = order.map { inStrides[$0] }
        var index = [Int](repeating: 0, count: outShape.count)
        for o in 0..<count {
            var offset = 0
            for a in 0..<index.count { offset += index[a] * strides[a] }
            dst[o] = src[offset]
            var a = index.count - 1
            while a >= 0 {
                index[a] += 1
                if index[a] < outShape[a] { break }
                index[a] = 0
                a -= 1
            }
        }
        return StoredTensor(dtype: .f32, shape: outShape, bytes: buffer)
    }
}
