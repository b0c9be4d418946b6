import Data
import Foundation
import Layers
import Tensors
import Training
import XCTest
import Zoo

final class TrainingMachineryTests: XCTestCase {
    func testLayerDecayGroupsFollowFMAE() throws {
        let registry = LayerRegistry()
        registry.register(builtinLayerPlugins)
        let model = try ModelBuilder(registry: registry).build(JSONParser.parse(#"""
            {"encoder": {"type": "vit", "img_size": 16, "patch_size": 8, "embed_dim": 8, "depth": 2, "num_heads": 2, "global_pool": "avg"},
             "heads": [{"name": "head", "type": "linear", "out_features": 3}]}
            """#))
        let named = model.module.namedParameters()
        XCTAssertEqual(ParameterGroups.layerIndex(of: "cls_token", depth: 2), 0)
        XCTAssertEqual(ParameterGroups.layerIndex(of: "patch_embed.proj.weight", depth: 2), 0)
        XCTAssertEqual(ParameterGroups.layerIndex(of: "blocks.1.mlp.fc1.weight", depth: 2), 2)
        XCTAssertEqual(ParameterGroups.layerIndex(of: "fc_norm.weight", depth: 2), 3)
        XCTAssertEqual(ParameterGroups.layerIndex(of: "head.weight", depth: 2), 3)
        let groups = ParameterGroups.make(named, depth: 2, weightDecay: 0.05, layerDecay: 0.65)
        func group(of key: String) -> ParameterGroup {
            let t = named.first { $0.key == key }!.tensor
            return groups.first { g in g.parameters.contains { $0 === t } }!
        }
        // scale = 0.65^(3 − layer); decay 0 for 1-D tensors and the embedding tokens.
        XCTAssertEqual(group(of: "cls_token").lrScale, powf(0.65, 3), accuracy: 1e-7)
        XCTAssertEqual(group(of: "cls_token").weightDecay, 0)
        XCTAssertEqual(group(of: "pos_embed").weightDecay, 0)
        XCTAssertEqual(group(of: "patch_embed.proj.weight").weightDecay, 0.05)
        XCTAssertEqual(group(of: "blocks.0.attn.qkv.weight").lrScale, powf(0.65, 2), accuracy: 1e-7)
        XCTAssertEqual(group(of: "blocks.0.attn.qkv.bias").weightDecay, 0)
        XCTAssertEqual(group(of: "head.weight").lrScale, 1)
        XCTAssertEqual(group(of: "head.weight").weightDecay, 0.05)
        XCTAssertEqual(group(of: "fc_norm.weight").weightDecay, 0)
        XCTAssertEqual(groups.reduce(0) { $0 + $1.parameters.count }, named.count)

        // An extra factor by key prefix (IAT's identity head) multiplies the layer's scale, decay unchanged.
        let scaled = ParameterGroups.make(named, depth: 2, weightDecay: 0.05, layerDecay: 0.65, extraScales: [("head.", 50)])
        func scaledGroup(of key: String) -> ParameterGroup {
            let t = named.first { $0.key == key }!.tensor
            return scaled.first { g in g.parameters.contains { $0 === t } }!
        }
        XCTAssertEqual(scaledGroup(of: "head.weight").lrScale, 50)
        XCTAssertEqual(scaledGroup(of: "head.weight").weightDecay, 0.05)
        XCTAssertEqual(scaledGroup(of: "head.bias").weightDecay, 0)
        XCTAssertEqual(scaledGroup(of: "fc_norm.weight").lrScale, 1)
        XCTAssertEqual(scaled.reduce(0) { $0 + $1.parameters.count }, named.count)
    }

    func testWarmupThenHalfCosine() {
        let s = CosineSchedule(base: 1e-3, minimum: 1e-6, warmupEpochs: 2, epochs: 10)
        XCTAssertEqual(s.rate(at: 0), 0)
        XCTAssertEqual(s.rate(at: 1), 5e-4, accuracy: 1e-12)
        XCTAssertEqual(s.rate(at: 2), 1e-3, accuracy: 1e-12)
        XCTAssertEqual(s.rate(at: 6), 1e-6 + (1e-3 - 1e-6) * 0.5, accuracy: 1e-12)  // halfway: cos(π/2) = 0
        XCTAssertEqual(s.rate(at: 10), 1e-6, accuracy: 1e-12)
    }
}

/// Random images and multi-label targets, fixed by (seed, epoch, index).
final class RandomBatches: BatchSource {
    let batchesPerEpoch: Int
    let seed: UInt64
    let fixed: Bool
    init(batches: Int, seed: UInt64, fixed: Bool = false) {
        batchesPerEpoch = batches
        self.seed = seed
        self.fixed = fixed
    }
    func batch(epoch: Int, index: Int) throws -> Batch {
        let g = Generator(seed: fixed ? seed : seed &+ UInt64(epoch * 1000 + index))
        let images = Tensor.randn([4, 3, 16, 16], generator: g)
        let targets = Tensor((0..<12).map { _ in g.uniform() < 0.4 ? 1 : 0 }, shape: [4, 3])
        return Batch(images: images, targets: ["au": targets])
    }
}

final class TrainerTests: XCTestCase {
    static let spec = #"""
        {"encoder": {"type": "vit", "img_size": 16, "patch_size": 8, "embed_dim": 16, "depth": 2, "num_heads": 2,
                     "global_pool": "avg", "drop_path_rate": 0.2},
         "heads": [{"name": "head", "type": "linear", "out_features": 3, "init_std": 0.02}]}
        """#

    func makeTrainer(epochs: Int, folder: String, lr: Double = 1e-3) throws -> (Trainer, Trainer.Objective) {
        let registry = LayerRegistry()
        registry.register(builtinLayerPlugins)
        let model = try ModelBuilder(registry: registry, seed: 7).build(JSONParser.parse(Self.spec))
        var options = TrainingOptions()
        options.epochs = epochs
        options.warmupEpochs = 1
        options.baseLearningRate = lr
        options.batchSize = 4
        options.layerDecay = 0.75
        let groups = ParameterGroups.make(model.module.namedParameters(), depth: 2, weightDecay: 0.05, layerDecay: 0.75)
        let trainer = Trainer(model: model, groups: groups, options: options, run: try RunFolder(path: folder))
        guard let m = model.classifier else { throw XCTSkip("not a classifier") }
        let objective: Trainer.Objective = { batch in
            let loss = Tensor.binaryCrossEntropyWithLogits(logits: m(batch.images)["head"]!, targets: batch.targets["au"]!)
            return (loss, [:])
        }
        return (trainer, objective)
    }

    var folder: String!
    override func setUp() { folder = NSTemporaryDirectory() + "zoo-trainer-\(getpid())-\(abs(name.hashValue))" }
    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    func testOverfittingAFixedBatchDrivesTheLossDown() throws {
        let (trainer, objective) = try makeTrainer(epochs: 30, folder: folder, lr: 2)
        try trainer.train(data: RandomBatches(batches: 2, seed: 3, fixed: true), objective: objective)
        let first = trainer.losses.prefix(4).reduce(0, +) / 4, last = trainer.losses.suffix(4).reduce(0, +) / 4
        XCTAssertLessThan(last, first * 0.5, "loss \(first) → \(last)")
        let lines = try String(contentsOfFile: folder + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 30)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/checkpoint/state.json"))
    }

    func testResumingGivesTheSameLossTrajectory() throws {
        let data = RandomBatches(batches: 3, seed: 11)
        let (full, objective) = try makeTrainer(epochs: 4, folder: folder + "/full")
        try full.train(data: data, objective: objective)

        let (interrupted, o1) = try makeTrainer(epochs: 4, folder: folder + "/part")
        try interrupted.train(data: data, objective: o1, stopAfterEpoch: 2)
        XCTAssertEqual(interrupted.losses.count, 6)
        // A new process: a fresh model (other seed, so nothing is shared by accident), then resume.
        let (resumed, o2) = try makeTrainer(epochs: 4, folder: folder + "/part")
        try resumed.resume(from: resumed.run)
        try resumed.train(data: data, objective: o2)
        XCTAssertEqual(resumed.losses, full.losses)
    }

    func testNonFiniteLossStopsWithTheStep() throws {
        let (trainer, _) = try makeTrainer(epochs: 2, folder: folder)
        let objective: Trainer.Objective = { batch in (batch.images.sum() * Float.nan, [:]) }
        XCTAssertThrowsError(try trainer.train(data: RandomBatches(batches: 2, seed: 1), objective: objective)) { e in
            XCTAssertEqual("\(e)", "loss became nan at epoch 0, step 0; stopped (the last good checkpoint is kept)")
        }
    }
}

/// Overfitting one fixed batch drives each task's loss down: MAE (pretrain), BCE with an identity head
/// behind gradient reversal (iat) and cross-entropy (fer). (`au` is TrainerTests' classifier case.)
final class OverfitTests: XCTestCase {
    func trainer(_ spec: String, lr: Double, folder: String) throws -> (ZooModel, Trainer) {
        let registry = LayerRegistry()
        registry.register(builtinLayerPlugins)
        let model = try ModelBuilder(registry: registry, seed: 2).build(JSONParser.parse(spec))
        var options = TrainingOptions()
        options.epochs = 40
        options.warmupEpochs = 2
        options.baseLearningRate = lr
        options.batchSize = 4
        options.saveEvery = 40
        let groups = ParameterGroups.make(model.module.namedParameters(), depth: 1, weightDecay: 0, layerDecay: 1)
        return (model, Trainer(model: model, groups: groups, options: options, run: try RunFolder(path: folder)))
    }

    var folder: String!
    override func setUp() { folder = NSTemporaryDirectory() + "zoo-overfit-\(getpid())-\(abs(name.hashValue))" }
    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    func assertDecreases(_ losses: [Float], by factor: Float, file: StaticString = #filePath, line: UInt = #line) {
        let first = losses.prefix(3).reduce(0, +) / 3, last = losses.suffix(3).reduce(0, +) / 3
        XCTAssertLessThan(last, first * factor, "loss \(first) → \(last)", file: file, line: line)
    }

    func testPretrainingLossFalls() throws {
        let (model, trainer) = try self.trainer(#"""
            {"encoder": {"type": "vit", "img_size": 16, "patch_size": 4, "embed_dim": 16, "depth": 1, "num_heads": 2, "global_pool": "none"},
             "decoder": {"type": "mae_decoder", "embed_dim": 16, "depth": 1, "num_heads": 2}, "mask_ratio": 0.5}
            """#, lr: 2, folder: folder)
        guard let mae = model.maskedAutoencoder else { return XCTFail() }
        let noise = Tensor.rand([4, 16], generator: Generator(seed: 1))  // the same masking every step
        try trainer.train(data: RandomBatches(batches: 1, seed: 4, fixed: true)) { batch in
            (mae(Tensor.rand([4, 3, 16, 16], generator: Generator(seed: 9)), noise: noise).loss, [:])
        }
        assertDecreases(trainer.losses, by: 0.75)  // random pixels: part of the norm-pix target is noise
    }

    func testIdentityAdversarialLossFalls() throws {
        let (model, trainer) = try self.trainer(#"""
            {"encoder": {"type": "vit", "img_size": 16, "patch_size": 8, "embed_dim": 16, "depth": 1, "num_heads": 2, "global_pool": "avg"},
             "heads": [{"name": "head", "type": "linear", "out_features": 3, "init_std": 0.02},
                       {"name": "ID_head", "type": "linear", "out_features": 4, "grad_reverse": 0.1}]}
            """#, lr: 2, folder: folder)
        guard let m = model.classifier else { return XCTFail() }
        let identity = Tensor([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], shape: [4, 4])
        try trainer.train(data: RandomBatches(batches: 1, seed: 5, fixed: true)) { batch in
            let out = m(batch.images)
            let au = Tensor.binaryCrossEntropyWithLogits(logits: out["head"]!, targets: batch.targets["au"]!)
            return (au + Tensor.binaryCrossEntropyWithLogits(logits: out["ID_head"]!, targets: identity), ["au": Double(au.item)])
        }
        assertDecreases(trainer.losses, by: 0.7)
    }

    func testExpressionLossFalls() throws {
        let (model, trainer) = try self.trainer(#"""
            {"encoder": {"type": "vit", "img_size": 16, "patch_size": 8, "embed_dim": 16, "depth": 1, "num_heads": 2, "global_pool": "avg"},
             "heads": [{"name": "head", "type": "linear", "out_features": 8, "init_std": 0.02}]}
            """#, lr: 2, folder: folder)
        guard let m = model.classifier else { return XCTFail() }
        try trainer.train(data: RandomBatches(batches: 1, seed: 6, fixed: true)) { batch in
            (Tensor.crossEntropy(logits: m(batch.images)["head"]!, targets: [0, 3, 5, 7], labelSmoothing: 0.1), [:])
        }
        assertDecreases(trainer.losses, by: 0.5)
    }
}
