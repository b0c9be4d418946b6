import Foundation
import Images
import Layers
import SyntheticFaces
import Tasks
import Tensors
import XCTest
import Zoo

/// The claim IAT exists for, checked end to end: on faces whose training subjects carry an identity
/// shortcut, an encoder fine-tuned against an identity head (FMAE's gradient reversal, or the confusion
/// objective the demo uses) keeps less identity in its pooled features than one fine-tuned for AUs
/// alone, as FMAE's identity linear probe measures it.
final class IdentityAdversarialTests: XCTestCase {
    static let root = NSTemporaryDirectory() + "zoo-iat-\(getpid())"

    override class func setUp() {
        super.setUp()
        if LayerRegistry.shared.all.isEmpty { LayerRegistry.shared.register(builtinLayerPlugins) }
        try? FileManager.default.removeItem(atPath: root)
        try! FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override class func tearDown() {
        try? FileManager.default.removeItem(atPath: root)
        super.tearDown()
    }

    private func run(_ plugin: TaskPlugin.Type, _ arguments: [String]) throws {
        try plugin.run(try TaskArguments.parse(plugin, arguments))
    }

    private func identityAccuracy(_ run: String, data: String) throws -> Double {
        try self.run(IdentityProbeTask.self, ["--run", run, "--data", data, "--out", run + "/id-probe"])
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/id-probe/summary.json"))) as! [String: Any]
        return summary["identity_accuracy"] as! Double
    }

    /// One seed: data, `au`, `iat` with λ, the same `iat` with λ = 0, and `iat` with the confusion
    /// objective, each probed; returns the four identity accuracies.
    private func probes(seed: Int) throws -> (au: Double, iat: Double, control: Double, confuse: Double) {
        let root = Self.root + "/seed\(seed)"
        // 12 training subjects whose AU rates follow who they are (bias 0.9), 4 test subjects without.
        let config = SyntheticFaceConfig(subjects: 16, framesPerSubject: 30, size: 32, identityBias: 0.9, seed: UInt64(seed), jitter: 0.25)
        try SyntheticFaceDataset(config: config).write(to: URL(fileURLWithPath: root + "/data"), encode: { try JPEG.encode($0, quality: 92) },
                                                      fileExtension: "jpg")
        let spec = #"{"encoder": {"type": "vit", "img_size": 32, "patch_size": 8, "embed_dim": 48, "depth": 2, "num_heads": 2}}"#
        try spec.write(toFile: root + "/encoder.json", atomically: true, encoding: .utf8)
        let training = ["--model", root + "/encoder.json", "--train", root + "/data/train.jsonl", "--test", root + "/data/test.jsonl",
                        "--epochs", "30", "--batch-size", "32", "--blr", "1e-2", "--layer-decay", "1", "--warmup-epochs", "1",
                        "--drop-path", "0", "--save-every", "100"]
        try run(AUTask.self, training + ["--out", root + "/au"])
        // A from-scratch encoder outruns FMAE's identity head (its accuracy falls below chance while the
        // probe still finds identity); a faster head with softmax CE keeps the game honest (see README).
        let adversary = ["--id-loss", "ce", "--id-lr-scale", "50"]
        try run(IATTask.self, training + adversary + ["--out", root + "/iat", "--lambda", "1"])
        try run(IATTask.self, training + adversary + ["--out", root + "/iat-lambda0", "--lambda", "0"])
        // The demo's objective: the encoder pushes FMAE's BCE head towards 1/K for everyone.
        try run(IATTask.self, training + ["--out", root + "/iat-confuse", "--id-objective", "confuse", "--id-loss", "bce",
                                          "--id-lr-scale", "10", "--lambda", "1"])
        let data = root + "/data/train.jsonl"
        return (try identityAccuracy(root + "/au", data: data), try identityAccuracy(root + "/iat", data: data),
                try identityAccuracy(root + "/iat-lambda0", data: data), try identityAccuracy(root + "/iat-confuse", data: data))
    }

    /// The effect over three data seeds (training seed 0, as `zoo run` defaults), and its control: with
    /// λ = 0 the identity head learns but sends nothing back, so the encoder keeps exactly the identity
    /// `au` leaves (measured: the same probe accuracy to the last digit) and the effect assertion would
    /// fail. With the training seed set to the data seed as well, the mean effect measured 0.11
    /// (au 0.28 / 0.30 / 0.43, iat 0.08 / 0.32 / 0.25): IAT's effect on this tiny set varies with the seed.
    func testIATLeavesLessIdentityThanAUFineTuningOverThreeSeeds() throws {
        let results = try [4, 5, 6].map { try probes(seed: $0) }
        func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }
        let effect = mean(results.map { $0.au - $0.iat }), control = mean(results.map { $0.au - $0.control })
        let confusion = mean(results.map { $0.au - $0.confuse })
        let summary = results.map { String(format: "au %.2f iat %.2f λ0 %.2f confuse %.2f", $0.au, $0.iat, $0.control, $0.confuse) }
            .joined(separator: "; ")
        // Chance is 1/12.
        XCTAssertGreaterThan(mean(results.map(\.au)), 0.3, "AU fine-tuning keeps identity in the features: \(summary)")
        XCTAssertGreaterThan(effect, 0.2, "identity probe, mean over seeds: \(summary)")
        print("IAT identity probes: \(summary)")
        XCTAssertGreaterThan(confusion, 0.2, "identity probe after the confusion objective, mean over seeds: \(summary)")
        XCTAssertLessThan(abs(control), 0.1, "λ = 0 must leave the identity where au leaves it: \(summary)")
    }
}
