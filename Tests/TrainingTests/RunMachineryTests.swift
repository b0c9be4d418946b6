import Data
import Foundation
import Layers
import Tensors
import Training
import XCTest
import Zoo

/// Batches of `source` merged pairwise: (0, 1), (2, 3), … and a last odd one alone. Training on these
/// with accumulation 1 is, by the definition of gradient accumulation, training on `source` with 2.
final class MergedBatches: BatchSource {
    let source: BatchSource
    init(_ source: BatchSource) { self.source = source }
    var batchesPerEpoch: Int { (source.batchesPerEpoch + 1) / 2 }
    func batch(epoch: Int, index: Int) throws -> Batch {
        let first = try source.batch(epoch: epoch, index: 2 * index)
        guard 2 * index + 1 < source.batchesPerEpoch else { return first }
        let second = try source.batch(epoch: epoch, index: 2 * index + 1)
        func join(_ a: Tensor, _ b: Tensor) -> Tensor { Tensor(a.scalars + b.scalars, shape: [a.shape[0] + b.shape[0]] + Array(a.shape.dropFirst())) }
        return Batch(images: join(first.images, second.images), targets: ["au": join(first.targets["au"]!, second.targets["au"]!)])
    }
}

final class RunMachineryTests: XCTestCase {
    static let spec = #"""
        {"encoder": {"type": "vit", "img_size": 16, "patch_size": 8, "embed_dim": 16, "depth": 1, "num_heads": 2, "global_pool": "avg"},
         "heads": [{"name": "head", "type": "linear", "out_features": 3, "init_std": 0.02}]}
        """#

    var folder: String!
    override func setUp() { folder = NSTemporaryDirectory() + "zoo-runs-\(getpid())-\(abs(name.hashValue))" }
    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    func trainedWeights(batchSize: Int, accumulation: Int, data: BatchSource, folder: String, evaluateEvery: Int = 1,
                        evaluated: ((Int) -> Void)? = nil) throws -> [Float] {
        let registry = LayerRegistry()
        registry.register(builtinLayerPlugins)
        let model = try ModelBuilder(registry: registry, seed: 5).build(JSONParser.parse(Self.spec))
        guard let m = model.classifier else { throw XCTSkip("not a classifier") }
        var options = TrainingOptions()
        options.epochs = 3
        options.warmupEpochs = 0          // a constant rate: both runs see the same lr at every update
        options.minimumLearningRate = 1e-3 * Double(batchSize * accumulation) / 256
        options.baseLearningRate = 1e-3
        options.batchSize = batchSize
        options.accumulation = accumulation
        options.saveEvery = 100
        options.evaluateEvery = evaluateEvery
        let groups = ParameterGroups.make(model.module.namedParameters(), depth: 1, weightDecay: 0.05, layerDecay: 1)
        let trainer = Trainer(model: model, groups: groups, options: options, run: try RunFolder(path: folder))
        trainer.stopsOnSignals = false
        // An evaluation as the tasks run it: the model in eval mode, no gradients.
        let evaluate: ((Int) throws -> [String: Double])? = evaluated.map { record in { epoch in
            record(epoch)
            m.eval()
            let probe = withNoGrad { m(Tensor.rand([2, 3, 16, 16], generator: Generator(seed: 8)))["head"]!.scalars }
            return ["test_probe": Double(probe[0])]
        } }
        try trainer.train(data: data, objective: { batch in
            (Tensor.binaryCrossEntropyWithLogits(logits: m(batch.images)["head"]!, targets: batch.targets["au"]!), [:])
        }, evaluate: evaluate)
        return model.module.namedParameters().flatMap { $0.tensor.scalars }
    }

    /// 5 batches with accumulation 2 make groups of 2, 2 and 1: the lone last batch must count fully,
    /// as it does when the same images come as 3 batches of 8, 8 and 4 without accumulation.
    func testTheLastPartialAccumulationGroupIsNotUnderWeighted() throws {
        let data = RandomBatches(batches: 5, seed: 21)
        let accumulated = try trainedWeights(batchSize: 4, accumulation: 2, data: data, folder: folder + "/a")
        let merged = try trainedWeights(batchSize: 8, accumulation: 1, data: MergedBatches(data), folder: folder + "/b")
        let difference = zip(accumulated, merged).map { abs($0 - $1) }.max()!
        // Measured 1e-8 (float rounding); dividing the lone batch by 2 instead gave 6e-5.
        XCTAssertLessThan(difference, 1e-6, "accumulated and merged batches give other weights (max difference \(difference))")
    }

    /// `--eval-every 2` over 3 epochs evaluates after epochs 2 and 3 (the last), and the weights are
    /// those of evaluating after every epoch, or never.
    func testEvaluatingLessOftenLeavesTheWeightsAlone() throws {
        let data = RandomBatches(batches: 3, seed: 22)
        var everyOther: [Int] = [], every: [Int] = []
        let sparse = try trainedWeights(batchSize: 4, accumulation: 1, data: data, folder: folder + "/a", evaluateEvery: 2) { everyOther.append($0) }
        let dense = try trainedWeights(batchSize: 4, accumulation: 1, data: data, folder: folder + "/b") { every.append($0) }
        let none = try trainedWeights(batchSize: 4, accumulation: 1, data: data, folder: folder + "/c")
        XCTAssertEqual(everyOther, [2, 3])
        XCTAssertEqual(every, [1, 2, 3])
        XCTAssertEqual(sparse, dense)
        XCTAssertEqual(sparse, none)
        let lines = try String(contentsOfFile: folder + "/a/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.map { $0.contains("test_probe") }, [false, true, true], "metrics.jsonl: \(lines)")
    }

    /// MAE pretraining (add_weight_decay with an empty skip list) decays cls_token and mask_token; only
    /// biases and 1-D tensors are spared. Fine-tuning keeps timm's no_weight_decay list.
    func testPretrainingDecaysTheTokensAsMAEDoes() throws {
        let registry = LayerRegistry()
        registry.register(builtinLayerPlugins)
        let model = try ModelBuilder(registry: registry).build(JSONParser.parse(#"""
            {"encoder": {"type": "vit", "img_size": 16, "patch_size": 8, "embed_dim": 8, "depth": 1, "num_heads": 2, "global_pool": "none"},
             "decoder": {"type": "mae_decoder", "embed_dim": 8, "depth": 1, "num_heads": 2}}
            """#))
        let named = model.module.namedParameters()
        let groups = ParameterGroups.make(named, depth: 0, weightDecay: 0.05, layerDecay: 1, noDecayNames: [])
        func decay(_ key: String) -> Float? {
            guard let t = named.first(where: { $0.key == key })?.tensor else { return nil }
            return groups.first { g in g.parameters.contains { $0 === t } }?.weightDecay
        }
        XCTAssertEqual(decay("cls_token"), 0.05)
        XCTAssertEqual(decay("mask_token"), 0.05)
        XCTAssertEqual(decay("blocks.0.attn.qkv.weight"), 0.05)
        XCTAssertEqual(decay("blocks.0.attn.qkv.bias"), 0)
        XCTAssertEqual(decay("norm.weight"), 0)
        XCTAssertNil(decay("pos_embed"), "the fixed sin-cos table is not trained")
    }

    func testResumeKeepsOnlyTheCheckpointsEpochsAndDropsTornLines() throws {
        let run = try RunFolder(path: folder)
        for epoch in 1...3 { try run.appendMetrics(epoch: epoch, ["train_loss": Double(epoch)]) }
        let handle = FileHandle(forWritingAtPath: folder + "/metrics.jsonl")!
        handle.seekToEndOfFile()
        handle.write(Data(#"{"kind":"epoch","epo"#.utf8))  // a line cut short by a kill
        try handle.close()
        try run.truncateMetrics(toEpochs: 2)
        XCTAssertEqual(run.epochMetrics().compactMap { if case let .integer(e)? = $0["epoch"] { return e } else { return nil } }, [1, 2])
    }

    func testCheckpointRecoveryPutsBackTheCheckpointLeftAside() throws {
        let run = try RunFolder(path: folder)
        let fm = FileManager.default
        try fm.createDirectory(atPath: folder + "/checkpoint.old-123", withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: URL(fileURLWithPath: folder + "/checkpoint.old-123/state.json"))
        try fm.createDirectory(atPath: folder + "/checkpoint.tmp-123", withIntermediateDirectories: true)
        try Data().write(to: URL(fileURLWithPath: folder + "/.summary.json.tmp-77"))
        let removed = try run.checkpoint.recover()
        XCTAssertEqual(Set(removed), ["checkpoint.tmp-123", ".summary.json.tmp-77"])
        XCTAssertTrue(fm.fileExists(atPath: folder + "/checkpoint/state.json"))
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: folder), ["checkpoint"])
    }
}

/// Boolean options, required options and the groups that declare them.
final class TaskOptionTests: XCTestCase {
    enum Probe: TaskPlugin {
        static let name = "probe"
        static let summary = "test"
        static let options = RunOutputOptions.options + [TaskOption("count", .integer, default: "1", help: "n")]
        static func run(_ arguments: TaskArguments) throws {}
    }

    func testFlagsRejectValuesTheyDoNotKnow() throws {
        for (text, value) in [("--resume", true), ("--resume=true", true), ("--resume=false", false), ("--resume=0", false), ("--resume=YES", true)] {
            XCTAssertEqual(try RunOutputOptions(TaskArguments.parse(Probe.self, ["--out", "x", text])).resume, value, text)
        }
        XCTAssertThrowsError(try TaskArguments.parse(Probe.self, ["--out", "x", "--resume=ture"])) { e in
            XCTAssertEqual("\(e)", "zoo run probe: --resume is a flag: give it alone, or as --resume=true / false (got ture)")
        }
    }

    func testRequiredOptionsAreCheckedWhenParsing() {
        XCTAssertThrowsError(try TaskArguments.parse(Probe.self, ["--count", "2"])) { e in
            XCTAssertEqual("\(e)", "zoo run probe: --out is required")
        }
        XCTAssertThrowsError(try RunOutputOptions(TaskArguments.parse(Probe.self, ["--out", "x", "--resume", "--overwrite"])))
    }

    func testResumeListsChangedOptionsButNotExemptOnes() {
        let differences = RunFolder.optionDifferences(recorded: ["blr": "1e-3", "epochs": "3", "resume": "false"],
                                                      now: ["blr": "1e-3", "epochs": "4", "resume": "true", "seed": "1"])
        XCTAssertEqual(differences, ["--epochs: 3 → 4", "--seed: (not set) → 1"])
    }
}
