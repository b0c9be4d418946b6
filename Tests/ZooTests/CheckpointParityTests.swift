import Checkpoint
import Foundation
import Layers
import Tensors
import TensorTesting
import XCTest
import Zoo

/// Released-style PyTorch checkpoints (zip and legacy, fp32 and fp16, nested under `model` next to an
/// argparse Namespace, with and without `module.`) loaded into zoo models: outputs match PyTorch's.
final class CheckpointParityTests: XCTestCase {
    static let checkpoints = repositoryRoot.appendingPathComponent("Tests/CheckpointTests/Fixtures")

    func run(_ name: String, checkpoint: String, reference: FixtureFile) throws -> [String: Tensor] {
        let spec = try ModelBuilder.loadSpec(file: ParityTests.fixtures.appendingPathComponent(name + ".json").path)
        let model = try ModelBuilder(registry: testRegistry).build(spec)
        try WeightLoader.load(Self.checkpoints.appendingPathComponent(checkpoint).path, into: model)
        model.module.eval()
        let inputs = try FixtureFile(path: ParityTests.fixtures.appendingPathComponent(name + ".safetensors").path)
        return withNoGrad {
            let extra = inputs["inputs.noise"].map { ["noise": $0] } ?? [:]
            return Dictionary(uniqueKeysWithValues: model.network.outputs(inputs["inputs.images"]!, extra: extra).map { ($0.name, $0.tensor) })
        }
    }

    func testEveryCheckpointVariantMatchesPyTorch() throws {
        for name in ["vit_avg_iat", "vit_token_mlp", "mae"] {
            let fp32 = try FixtureFile(path: ParityTests.fixtures.appendingPathComponent(name + ".safetensors").path)
            let fp16 = try FixtureFile(path: Self.checkpoints.appendingPathComponent(name + "_fp16_outputs.safetensors").path)
            for (checkpoint, reference) in [("\(name)_zip.pth", fp32), ("\(name)_legacy.pth", fp32), ("\(name)_fp16_module.pth", fp16)] {
                let out = try run(name, checkpoint: checkpoint, reference: reference)
                let expected = reference.group("outputs.")
                XCTAssertFalse(expected.isEmpty)
                for (key, want) in expected where !(key == "loss" && name != "mae") {  // classifier fixtures' loss is a training loss
                    guard let got = out[key] else { XCTFail("\(checkpoint): no output \(key)"); continue }
                    let error = maxRelativeError(got.reshaped(want.shape), want)
                    XCTAssertLessThanOrEqual(error, 1e-4, "\(checkpoint) \(key): max|Δ|/max|ref| = \(error)")
                }
            }
        }
    }
}

final class WeightAdaptationTests: XCTestCase {
    func testPositionTableResamplingMatchesTorchBicubic() throws {
        let f = try FixtureFile(path: ParityTests.fixtures.appendingPathComponent("resample.safetensors").path)
        for grid in [6, 3] {
            let got = resamplePositionTable(f["inputs.table"]!, extraTokens: 1, to: grid)
            XCTAssertLessThanOrEqual(maxRelativeError(got, f["outputs.grid_\(grid)"]!), 1e-6, "grid \(grid)")
        }
    }

    func testMismatchedHeadIsDroppedAndPositionsResampledWhenFineTuning() throws {
        // A 5-class checkpoint at 32×32 into a 9-class model at 48×48: head dropped, pos_embed resampled.
        let checkpoint = CheckpointParityTests.checkpoints.appendingPathComponent("vit_avg_iat_zip.pth").path
        let model = try buildModel(#"""
            {"encoder": {"type": "vit", "img_size": 48, "patch_size": 8, "embed_dim": 32, "depth": 2, "num_heads": 4, "global_pool": "avg"},
             "heads": [{"name": "head", "type": "linear", "out_features": 9}, {"name": "ID_head", "type": "linear", "out_features": 7}]}
            """#)
        XCTAssertThrowsError(try WeightLoader.load(checkpoint, into: model)) { e in
            XCTAssertEqual("\(e)", "\(checkpoint): does not fit the model: shape mismatches (2): head.weight expected [9, 32], got [5, 32], head.bias expected [9], got [5]")
        }
        let notes = try WeightLoader.load(checkpoint, into: model, options: .init(strict: false, dropMismatchedHeads: true))
        XCTAssertEqual(notes, ["dropped head from the checkpoint: its shape differs from the model's",
                               "resampled pos_embed from a 4×4 to a 6×6 grid",
                               "2 model tensors not in the checkpoint, kept as initialised: head.bias, head.weight"])
        let loaded = Dictionary(uniqueKeysWithValues: model.module.namedParameters().map { ($0.key, $0.tensor) })
        XCTAssertEqual(loaded["pos_embed"]!.shape, [1, 37, 32])
        XCTAssertEqual(loaded["ID_head.weight"]!.shape, [7, 32])
    }
}
