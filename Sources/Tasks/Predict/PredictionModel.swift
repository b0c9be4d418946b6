import Data
import Foundation
import Images
import Layers
import Tensors
import Zoo

/// What `predict` needs of a model to run it on pictures (whole photos or faces cut from them): the square
/// size it takes, how a picture becomes its input (the model's own preprocessing), and what it gives back
/// per picture: AU probabilities, class probabilities, or the encoder's pooled features.
struct PredictionModel {
    enum Output {
        /// Sigmoid of the "head" logits, one per AU.
        case actionUnits(names: [String])
        /// Softmax over the classes (a network ending in a softmax is taken as it is).
        case classes(names: [String])
        /// The encoder's pooled features.
        case features
    }

    let output: Output
    /// Pictures are resized to size × size.
    let size: Int
    /// Grey models see Pillow's luma (convert("L")) before the resize, as fer prepares its faces.
    let grayscale: Bool
    private let channels: Int
    /// What turns the model's output into the scores: sigmoid (AU logits), softmax (class logits) or nothing.
    private let activation: Activation
    private enum Activation { case sigmoid, softmax, none }
    private let normalize: (RGBImage) -> [Float]
    private let evaluate: (Tensor) -> Tensor

    init(model: ZooModel, preset: String, classes: [String]?, features: Bool) throws {
        if features {
            let encoder = try model.role((any EncodingModel).self, "an image encoder", for: "zoo run predict --features").featureEncoder
            guard encoder.inChannels == 3 else { throw TaskUsageError("zoo run predict --features: the encoder takes \(encoder.inChannels) channels; photos give 3") }
            let transform = EvalTransform(size: encoder.imageSize)
            self.init(output: .features, size: encoder.imageSize, grayscale: false, channels: 3, activation: .none,
                      normalize: { transform.apply($0) }, evaluate: { encoder.features($0) })
            return
        }
        if let classifier = model.classifier {
            guard classifier.heads.contains(where: { $0.name == "head" }), classifier.encoder.inChannels == 3 else {
                throw TaskUsageError("zoo run predict: image input needs a model on 3 channels with a head named \"head\"")
            }
            let transform = EvalTransform(size: classifier.encoder.imageSize)
            let output: Output = try classes.map { .classes(names: $0) } ?? .actionUnits(names: AUDatasetPreset.named(preset).actionUnits.map { "AU\($0)" })
            self.init(output: output, size: classifier.encoder.imageSize, grayscale: false, channels: 3,
                      activation: classes == nil ? .sigmoid : .softmax, normalize: { transform.apply($0) }, evaluate: { classifier($0)["head"]! })
            return
        }
        if let network = model.network as? NetworkModel {
            try self.init(network: network, classes: classes)
            return
        }
        throw TaskUsageError("zoo run predict: image input needs a classifier (encoder and head) or a network with preprocessing; \(model.family.name) is neither")
    }

    private init(output: Output, size: Int, grayscale: Bool, channels: Int, activation: Activation,
                 normalize: @escaping (RGBImage) -> [Float], evaluate: @escaping (Tensor) -> Tensor) {
        self.output = output
        self.activation = activation
        self.size = size
        self.grayscale = grayscale
        self.channels = channels
        self.normalize = normalize
        self.evaluate = evaluate
    }

    /// A `network` (a Keras model): its spec's `preprocessing` and `classes` (or --classes).
    private init(network: NetworkModel, classes given: [String]?) throws {
        guard let p = network.preprocessing else {
            // A Keras file says nothing of how its images were prepared; a catalog entry or spec does.
            throw TaskUsageError("zoo run predict: the network's spec has no \"preprocessing\" (channels, size, scale, mean, std), so images cannot be prepared for it; "
                                 + "for fer's emotion_model.hdf5 use --model fer-emotion --weights FILE, else a spec with \"preprocessing\" and \"classes\"")
        }
        let c = network.inputShape[0]
        guard network.inputShape == [c, p.size, p.size], c == (p.grayscale ? 1 : 3) else {
            throw TaskUsageError("zoo run predict: preprocessing gives [\(p.grayscale ? 1 : 3), \(p.size), \(p.size)], the network takes \(network.inputShape)")
        }
        guard [1, c].contains(p.mean.count), [1, c].contains(p.std.count) else {
            throw TaskUsageError("zoo run predict: preprocessing mean and std need 1 or \(c) values")
        }
        guard let names = given ?? network.classes else {
            throw TaskUsageError("zoo run predict: the network names no classes; give --classes")
        }
        // A network whose output node is a softmax already gives probabilities (fer's "predictions").
        let last = network.graph.outputNames.last
        let endsInSoftmax = network.graph.nodes.contains { node in
            guard node.name == last, case let .unary(layer) = node.operation else { return false }
            return layer is Softmax
        }
        let transform = NetworkImageTransform(preprocessing: p)
        self.init(output: .classes(names: names), size: p.size, grayscale: p.grayscale, channels: c,
                  activation: endsInSoftmax ? .none : .softmax, normalize: { transform.normalize($0) },
                  evaluate: { network.outputs($0, extra: [:]).last!.tensor })
    }

    /// Column names of what `run` gives (features are f0, f1, …).
    func names(width: Int) -> [String] {
        switch output {
        case let .actionUnits(names), let .classes(names): return names
        case .features: return (0..<width).map { "f\($0)" }
        }
    }

    /// The model's input for one picture of any size: channels, resize (Pillow's bilinear), normalisation.
    func prepare(_ image: RGBImage) -> [Float] {
        let source = grayscale ? image.grayscale() : image
        let square = source.width == size && source.height == size ? source : source.resized(width: size, height: size, filter: .bilinear)
        return normalize(square)
    }

    /// One row per prepared picture, in batches of 32.
    func run(_ inputs: [[Float]]) throws -> [[Float]] {
        var rows: [[Float]] = []
        for start in stride(from: 0, to: inputs.count, by: 32) {
            let part = inputs[start..<min(inputs.count, start + 32)]
            let result = withNoGrad { evaluate(Tensor(part.flatMap { $0 }, shape: [part.count, channels, size, size])) }
            guard result.shape.count == 2, result.shape[0] == part.count else {
                throw TaskUsageError("zoo run predict: the model gave \(result.shape), expected [\(part.count), K]")
            }
            let width = result.shape[1], values = result.scalars
            for i in 0..<part.count { rows.append(Array(values[(i * width)..<((i + 1) * width)])) }
        }
        guard let width = rows.first?.count else { return rows }
        switch output {
        case let .actionUnits(names):
            guard names.count == width else { throw TaskUsageError("the head has \(width) outputs, the preset has \(names.count) AUs (use --preset or --classes)") }
        case let .classes(names):
            guard names.count == width else { throw TaskUsageError("--classes or the spec names \(names.count) classes, the model has \(width) outputs") }
        case .features:
            break
        }
        switch activation {
        case .sigmoid: return rows.map { $0.map { 1 / (1 + expf(-$0)) } }
        case .softmax:
            return rows.map { row in
                let m = row.max()!, e = row.map { expf($0 - m) }, z = e.reduce(0, +)
                return e.map { $0 / z }
            }
        case .none: return rows
        }
    }
}
