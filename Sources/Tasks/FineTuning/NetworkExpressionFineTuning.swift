import Data
import Foundation
import Images
import JSON
import Layers
import Metrics
import Tensors
import Training
import Zoo

/// `zoo run fer` on a `network` model (a Keras .h5/.hdf5, the catalog's `fer-emotion`): the whole network is
/// fine-tuned on ImageFolder data with cross-entropy on its logits (the input of its final softmax),
/// images prepared as its spec's `preprocessing` says. The class count must be the model's: a
/// convolutional classifier (fer's ends in conv → pool → softmax) has no separate head to replace.
/// Layer-wise lr decay is a ViT notion and does not apply; BatchNormalization trains on batch statistics
/// and updates its running ones, and evaluation uses the running ones.
enum NetworkExpressionFineTuning {
    static func isNetwork(_ a: TaskArguments) throws -> Bool {
        guard let model = a.optionalString("model") else { return false }
        let (_, spec) = try Catalog.locate().spec(for: model)
        return spec["type"] == .string(NetworkFamily.name)
    }

    static func run(_ a: TaskArguments, data dataOptions: ExpressionDataOptions, train: ImageFolderDataset, test: ImageFolderDataset) throws {
        let o = try TrainingOptions(a, recipe: .fineTuning)
        // Copies of a network would each keep their own BatchNorm statistics; refused before --out is touched.
        guard o.replicas == 1 else { throw TaskUsageError("zoo run fer: --replicas is for encoder models; network models train one copy") }
        let modelOptions = try FineTuningModelOptions(a)
        let fineTuningData = try FineTuningDataOptions(a)
        let output = try RunOutputOptions(a)
        let catalog = try modelOptions.start.checkedCatalog()
        let (_, spec) = try catalog.spec(for: modelOptions.model)
        let model = try ModelBuilder(seed: o.seed).build(spec)
        let network = try model.role(NetworkModel.self, "a network", for: "zoo run fer --model")
        guard let logitsGraph = network.logitsGraph else {
            throw TaskUsageError("zoo run fer: \(modelOptions.model) does not end in a softmax, so it has no class logits to train")
        }
        guard let preprocessing = network.preprocessing ?? defaultPreprocessing(network) else {
            throw TaskUsageError("zoo run fer: \(modelOptions.model) takes \(network.inputShape) images, which no preprocessing in its spec describes")
        }
        let transform = NetworkImageTransform(preprocessing: preprocessing)
        let classes = train.classes.count
        let outputs = try logitsGraph.outputShapes(for: [[1] + network.inputShape])
        guard outputs.first == [1, classes] else {
            throw TaskUsageError("zoo run fer: \(modelOptions.model) gives \(outputs.first ?? []) logits, the data has \(classes) classes (\(train.classes.joined(separator: ", ")))")
        }
        let run = try RunFolder.open(output, task: a.task, options: a.values)
        let weights = modelOptions.weights ?? (modelOptions.start.randomWeights ? nil : catalog.intrinsicWeights(for: modelOptions.model))
        if let weights { try WeightLoader.load(weights, into: model, options: .init(strict: true, key: modelOptions.key)) }
        if o.layerDecay != 1 { log("fer: layer-wise lr decay applies to ViT blocks only; this network trains every layer at the base lr") }
        let groups = ParameterGroups.make(model.module.namedParameters(), depth: 0, weightDecay: o.weightDecay, layerDecay: 1)
        let trainer = Trainer(model: model, groups: groups, options: o, run: run)
        let start = try trainer.start(resume: output.resume)
        if case let .finished(epochs) = start {
            log("\(run.path): the run is finished (\(epochs) of \(o.epochs) epochs); its results are in \(run.path)/summary.json. Nothing to do.")
            return
        }
        try run.writeJSON("model.json", spec)

        let augment = fineTuningData.augment
        let trainSource = train.batches(batchSize: o.globalBatchSize, imageSize: transform.size, channels: transform.channels, shuffle: true,
                                        seed: o.seed, skipBad: fineTuningData.skipBad,
                                        transform: { image, g in transform.apply(image, flip: augment && g.uniform() < 0.5) })
        trainSource.part = trainer.group.rank
        trainSource.parts = trainer.group.size
        let smoothing = dataOptions.labelSmoothing
        let objective: Trainer.Objective = { batch in
            let targets = batch.targets["class"]!.scalars.map { Int($0) }
            return (Tensor.crossEntropy(logits: logitsGraph(batch.images), targets: targets, labelSmoothing: smoothing), [:])
        }
        var matrix: ConfusionMatrix?
        let evaluate: (Int) throws -> [String: Double] = { _ in
            let source = test.batches(batchSize: o.batchSize, imageSize: transform.size, channels: transform.channels, shuffle: false, seed: 0,
                                      skipBad: fineTuningData.skipBad, transform: { image, _ in transform.apply(image) })
            network.eval()
            defer { network.train() }
            let (scores, labels) = try ShardedEvaluation.gather(batches: source.batchesPerEpoch, group: trainer.group) { i in
                let batch = try source.batch(epoch: 0, index: i)
                return (withNoGrad { logitsGraph(batch.images) }.scalars, batch.targets["class"]!.scalars)
            }
            let m = ConfusionMatrix(scores: scores, truth: labels.map { Int($0) }, classCount: classes)
            matrix = m
            return ["test_accuracy": m.accuracy ?? .nan, "test_mean_class_accuracy": m.meanClassAccuracy ?? .nan]
        }
        log("fer: \(train.samples.count) training images, \(test.samples.count) test images, classes \(train.classes.joined(separator: ", ")); "
            + "\(modelOptions.model) as a \(network.inputShape) network")
        try trainer.train(data: trainSource, objective: objective, evaluate: evaluate)
        if matrix == nil { _ = try evaluate(trainer.epoch) }
        let (metrics, extra) = ExpressionEvaluation.summary(matrix, classes: train.classes)
        try run.writeSummary(task: a.task, fields: [("epochs", .integer(trainer.epoch)),
                                                    ("final_train_loss", trainer.losses.last.map { .number(Double($0)) } ?? .null),
                                                    ("skipped", .integer(trainSource.skipped.count))],
                             metrics: metrics, extra: extra)
    }

    /// Without a preprocessing block: a square input taken as pixels / 255.
    private static func defaultPreprocessing(_ network: NetworkModel) -> NetworkPreprocessing? {
        let shape = network.inputShape
        guard shape.count == 3, shape[1] == shape[2], shape[0] == 1 || shape[0] == 3 else { return nil }
        return NetworkPreprocessing(grayscale: shape[0] == 1, size: shape[1], scale: 1 / 255, mean: [0], std: [1])
    }
}
