import Checkpoint
import Data
import Foundation
import Metrics
import Tensors
import Training
import Zoo

/// AU detection fine-tuning as FMAE does it, shared by the `au` and `iat` tasks: an encoder from
/// pretrained weights (decoder dropped, heads new), average pooling, BCE-with-logits, AdamW with layer-wise
/// lr decay, drop path, warm-up + cosine; with identity adversarial training (`iat`) an identity head
/// behind gradient reversal whose loss is added.
public enum AUFineTuning {
    public static let commonOptions: [TaskOption] = FineTuningSetup.trainingOptions + AUDataOptions.options

    /// Identity adversarial training settings (`iat`).
    public struct Identity {
        public var lambda: Double
        public var head: String      // "linear" or "mlp"
        public var loss: String      // "bce" (FMAE: BCE on one-hot) or "ce"
        /// Multiplies the identity head's learning rate (1 in FMAE).
        public var learningRateScale: Double = 1
        /// What the head sends back to the encoder (FMAE: gradient reversal).
        public var objective: IdentityObjective = .reverse

        public init(lambda: Double, head: String, loss: String, learningRateScale: Double = 1, objective: IdentityObjective = .reverse) {
            self.lambda = lambda
            self.head = head
            self.loss = loss
            self.learningRateScale = learningRateScale
            self.objective = objective
        }
    }

    public static func run(_ a: TaskArguments, identity: Identity?) throws {
        let dataOptions = try AUDataOptions(a)
        let preset = dataOptions.preset
        let skipBad = try FineTuningDataOptions(a).skipBad
        let seed = try TrainingOptions(a, recipe: .fineTuning).seed

        // Data: training subjects split into train and validation (threshold choice), subject-exclusive.
        let train = try AUData.load(dataOptions.train, root: dataOptions.root, preset: preset, skipBad: skipBad)
        let test = try AUData.load(dataOptions.test, root: dataOptions.root, preset: preset, skipBad: skipBad)
        let (fitting, validation) = train.splitBySubject(fraction: dataOptions.validationFraction, seed: seed)
        let subjects = train.subjects  // identity classes: every training subject
        let adversary = identity.map { IdentityAdversary(settings: $0, subjects: subjects.count) }

        let setup = try FineTuningSetup(a, heads: { std in
            var heads: [JSONValue] = [.object([("name", .string("head")), ("type", .string("linear")),
                                              ("out_features", .integer(preset.actionUnits.count)), ("init_std", .number(std))])]
            if let adversary { heads.append(adversary.headSpec) }
            return heads
        }, extraLearningRateScales: identity.map { [("ID_head.", Float($0.learningRateScale))] } ?? [])
        if case .finished = setup.start { return }
        let classifier = setup.classifier, options = setup.options

        let pipeline = ImagePipeline(size: classifier.encoder.imageSize, augment: setup.data.augment)
        let subjectIndex = Dictionary(uniqueKeysWithValues: subjects.enumerated().map { ($1, $0) })
        // The global batch of all ranks; each takes its share (one process: the whole batch).
        let source = fitting.batches(batchSize: options.globalBatchSize, imageSize: pipeline.size, shuffle: true, seed: seed, skipBad: skipBad,
                                     transform: pipeline.train) { sample in
            var t = ["au": sample.labels]
            if identity != nil {
                var onehot = [Float](repeating: 0, count: subjects.count)
                onehot[subjectIndex[sample.subject]!] = 1
                t["identity"] = onehot
            }
            return t
        }
        source.part = setup.trainer.group.rank
        source.parts = setup.trainer.group.size

        // Made for each copy of the model that trains (`--replicas`).
        let objectiveFor: (ZooModel) throws -> Trainer.Objective = { model in
            let classifier = try model.role(ClassifierModel.self, "an encoder with heads", for: "zoo run \(a.task)")
            return { batch in
                let out = classifier(batch.images)
                let auLoss = Tensor.binaryCrossEntropyWithLogits(logits: out["head"]!, targets: batch.targets["au"]!)
                guard let adversary, let onehot = batch.targets["identity"] else { return (auLoss, [:]) }
                let (identityLoss, logged) = adversary.loss(out, classifier: classifier, onehot: onehot)
                return (auLoss + identityLoss, logged.merging(["au_loss": Double(auLoss.item)]) { $1 })
            }
        }

        var last: [String: Double] = [:]
        var lastReport: AUEvaluation?
        let evaluate: (Int) throws -> [String: Double] = { epoch in
            let report = try AUEvaluation.run(classifier: classifier, validation: validation, test: test, pipeline: pipeline,
                                              batchSize: options.batchSize, actionUnits: preset.actionUnits, skipBad: skipBad,
                                              group: setup.trainer.group)
            lastReport = report
            last = report.metrics
            return report.metrics
        }
        log("\(a.task): \(fitting.samples.count) training frames (\(fitting.subjects.count) subjects), \(validation.samples.count) validation (\(validation.subjects.count) subjects), \(test.samples.count) test (\(test.subjects.count) subjects); \(identity.map { "identity head over \(subjects.count) subjects (\($0.objective.rawValue)), λ \($0.lambda), lr ×\($0.learningRateScale)" } ?? "no identity head")")
        try setup.trainer.train(data: source, objectiveFor: objectiveFor, evaluate: evaluate)
        // A run that had trained its last epoch but not written its summary (killed in between) is evaluated once more.
        if last.isEmpty { _ = try evaluate(setup.trainer.epoch) }
        if let lastReport { log(lastReport.text(title: "test subjects (unseen in training) after epoch \(setup.trainer.epoch)")) }
        let skipped = train.skipped + test.skipped + source.skipped
        if !skipped.isEmpty { log("skipped \(skipped.count) bad entries:\n  " + skipped.prefix(20).joined(separator: "\n  ")) }
        try setup.writeSummary(task: a.task, metrics: last, skipped: skipped.count,
                               extra: lastReport.map { [("per_au", $0.perAUJSON)] } ?? [])
    }
}
