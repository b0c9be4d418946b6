import Foundation
import Layers
import Tensors
import XCTest
import Zoo

final class SpecTests: XCTestCase {
    static let iatSpec = """
    {"encoder": {"type": "vit", "img_size": 224, "patch_size": 16, "in_chans": 3, "embed_dim": 768, "depth": 12,
                 "num_heads": 12, "mlp_ratio": 4.0, "qkv_bias": true, "norm_eps": 1e-6, "global_pool": "avg",
                 "drop_path_rate": 0.1},
     "heads": [{"name": "head", "type": "linear", "out_features": 12},
               {"name": "ID_head", "type": "linear", "out_features": 41, "grad_reverse": 2.0}]}
    """
    static let tokenMLPSpec = """
    {"encoder": {"type": "vit", "img_size": 48, "patch_size": 8, "embed_dim": 64, "depth": 3, "num_heads": 2,
                 "global_pool": "token"},
     "heads": [{"name": "head", "type": "mlp", "hidden": [32], "out_features": 7}]}
    """
    static let maeSpec = """
    {"encoder": {"type": "vit", "img_size": 224, "patch_size": 16, "embed_dim": 768, "depth": 12, "num_heads": 12,
                 "global_pool": "none"},
     "decoder": {"type": "mae_decoder", "embed_dim": 512, "depth": 8, "num_heads": 16, "mlp_ratio": 4.0},
     "mask_ratio": 0.75, "norm_pix_loss": true}
    """

    func testIssueSpecsBuild() throws {
        guard let iat = (try buildModel(Self.iatSpec)).classifier else { return XCTFail("expected a classifier") }
        let keys = iat.namedParameters().map(\.key)
        XCTAssertEqual(Array(keys.suffix(6)), ["fc_norm.weight", "fc_norm.bias", "head.weight", "head.bias", "ID_head.weight", "ID_head.bias"])
        XCTAssertFalse(keys.contains("norm.weight"))
        XCTAssertEqual(iat.heads.map(\.gradientReversal), [nil, 2.0])
        XCTAssertEqual(iat.parameterCount, 85_798_656 + 768 * 12 + 12 + 768 * 41 + 41)

        guard let small = (try buildModel(Self.tokenMLPSpec)).classifier else { return XCTFail("expected a classifier") }
        let smallKeys = small.namedParameters().map(\.key)
        XCTAssertEqual(Array(smallKeys.suffix(6)), ["norm.weight", "norm.bias", "head.fc1.weight", "head.fc1.bias", "head.fc2.weight", "head.fc2.bias"])
        let out = withNoGrad { small(Tensor.randn([2, 3, 48, 48], generator: Generator(seed: 1))) }
        XCTAssertEqual(out.features.shape, [2, 64])
        XCTAssertEqual(out["head"]?.shape, [2, 7])

        guard let mae = (try buildModel(Self.maeSpec)).maskedAutoencoder else { return XCTFail("expected an MAE") }
        let maeKeys = mae.namedParameters().map(\.key)
        XCTAssertEqual(Array(maeKeys.prefix(5)), ["cls_token", "pos_embed", "mask_token", "decoder_pos_embed", "patch_embed.proj.weight"])
        XCTAssertEqual(maeKeys.last, "decoder_pred.bias")
        XCTAssertEqual(mae.namedParameters().first { $0.key == "decoder_pred.weight" }?.tensor.shape, [768, 512])
        // MAE ViT-B/16 as timm/MAE count it, fixed sin-cos tables included.
        XCTAssertEqual(mae.parameterCount, 111_907_840)
        XCTAssertFalse(mae.namedParameters().first { $0.key == "pos_embed" }!.tensor.requiresGrad)
    }

    func testErrorsNameTheirJSONPath() {
        XCTAssertEqual(specError(#"{"encoder": {"type": "vit", "depth": "12"}}"#), #"encoder.depth: expected an integer, got "12""#)
        XCTAssertEqual(specError(#"{"encoder": {"type": "vit", "depth": 2.5}}"#), "encoder.depth: expected an integer, got 2.5")
        XCTAssertEqual(specError(#"{"encoder": {"type": "vitt"}}"#)?.hasPrefix(#"encoder.type: unknown type "vitt" (known: add, attention, batch_norm, block"#), true)
        XCTAssertEqual(specError(#"{"encoder": {"depth": 2}}"#), "encoder.type: missing (expected a string)")
        XCTAssertEqual(specError(#"{"heads": []}"#), "encoder: missing (expected an object)")
        XCTAssertEqual(specError(#"{"encoder": {"type": "vit", "dpeth": 2}}"#), #"encoder.dpeth: unknown field (did you mean "depth"?)"#)
        XCTAssertEqual(specError(#"{"encoder": {"type": "vit", "global_pool": "max"}}"#),
                       #"encoder.global_pool: expected one of "avg", "token", "none", got "max""#)
        XCTAssertEqual(specError(#"{"encoder": {"type": "vit", "embed_dim": 64, "num_heads": 5}}"#),
                       "encoder.num_heads: embed_dim 64 is not divisible by 5 heads")
        let tiny = #""type": "vit", "img_size": 16, "patch_size": 8, "embed_dim": 8, "depth": 1, "num_heads": 2"#
        XCTAssertEqual(specError(#"{"encoder": {\#(tiny)}, "heads": [{"name": "head", "type": "linear"}, {"name": "x", "type": "linear", "out_features": "7"}]}"#),
                       "heads[0].out_features: missing (expected an integer)")
        XCTAssertEqual(specError(#"{"encoder": {\#(tiny)}, "heads": [{"name": "head", "type": "linear", "out_features": 3}, {"name": "x", "type": "linear", "out_features": "7"}]}"#),
                       #"heads[1].out_features: expected an integer, got "7""#)
        XCTAssertEqual(specError(#"{"encoder": {\#(tiny)}, "heads": [{"name": "h", "type": "linear", "out_features": 3}, {"name": "h", "type": "linear", "out_features": 3}]}"#),
                       #"heads[1].name: expected a unique name without dots, got "h""#)
        XCTAssertEqual(specError(#"{"encoder": {\#(tiny)}, "heads": [{"name": "h", "type": "mlp", "hidden": [4, "8"], "out_features": 3}]}"#),
                       #"heads[0].hidden[1]: expected an integer, got "8""#)
        XCTAssertEqual(specError(#"{"encoder": {\#(tiny)}, "heads": [{"name": "h", "type": "vit", \#(tiny.dropFirst(15))}]}"#),
                       #"heads[0].type: layer type "vit" cannot serve as a head"#)
        XCTAssertEqual(specError(#"{"encoder": {"type": "linear", "out_features": 3, "in_features": 3}}"#),
                       #"encoder.type: layer type "linear" cannot serve as an encoder"#)
        XCTAssertEqual(specError(#"{"encoder": {\#(tiny)}, "decoder": {"type": "mae_decoder", "embed_dim": 8, "num_heads": 2}, "mask_ratio": 1.5}"#),
                       "mask_ratio: expected a number in (0, 1), got 1.5")
        XCTAssertEqual(specError(#"{"encoder": {\#(tiny)}, "decoder": {"type": "mae_decoder", "embed_dim": 8, "num_heads": 2, "depht": 1}}"#),
                       #"decoder.depht: unknown field (did you mean "depth"?)"#)
        XCTAssertEqual(specError("[1, 2]"), "(root): expected an object, got [1,2]")
    }

    func testJSONParserKeepsKindsAndReportsPosition() throws {
        XCTAssertEqual(try JSONParser.parse(#"{"a": 1, "b": 1.0, "c": "1", "d": [true, null]}"#),
                       .object([("a", .integer(1)), ("b", .number(1)), ("c", .string("1")), ("d", .array([.bool(true), .null]))]))
        XCTAssertEqual(try JSONParser.parse(#""\u00e9\ud83d\ude00\n""#), .string("é😀\n"))
        XCTAssertThrowsError(try JSONParser.parse("{\n  \"a\": 1,\n  \"a\": 2}")) { e in
            XCTAssertEqual("\(e)", #"line 3, column 6: duplicate key "a""#)
        }
        XCTAssertThrowsError(try JSONParser.parse("{\"a\": [1, 2}")) { e in XCTAssertTrue("\(e)".contains("expected ',' or ']'")) }
        XCTAssertThrowsError(try JSONParser.parse("[1] x"))
        XCTAssertThrowsError(try JSONParser.parse("01x"))
    }

    func testSpecFileErrorsNameTheFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-spec-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("bad.json").path
        try "{\"encoder\": }".write(toFile: bad, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ModelBuilder.loadSpec(file: bad)) { e in
            XCTAssertEqual("\(e)", "\(bad): invalid JSON: line 1, column 13: unexpected character")
        }
        XCTAssertThrowsError(try ModelBuilder.loadSpec(file: dir.appendingPathComponent("none.json").path)) { e in
            XCTAssertTrue("\(e)".hasSuffix("none.json: invalid JSON: cannot read the file"))
        }
    }
}

/// Specs that trapped, aborted, overflowed the stack or exhausted memory (Fixtures/fuzz/, from the
/// issue's reproducers and the spec fuzzer): each must end in a clean error that names its JSON path.
final class SpecHardeningTests: XCTestCase {
    static let fuzzFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/fuzz")

    override class func setUp() { LayerRegistry.shared.register(builtinLayerPlugins) }

    /// The error of building `text`, or nil when it builds.
    func buildError(_ text: String, limit: Int = ParameterBudget.defaultLimit) -> String? {
        do {
            var builder = ModelBuilder()
            builder.parameterLimit = limit
            _ = try builder.build(try JSONParser.parse(text))
            return nil
        } catch { return "\(error)" }
    }

    func testRegressionCorpusEndsInCleanErrors() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.fuzzFolder.path).filter { $0.hasSuffix(".json") }.sorted()
        XCTAssertGreaterThanOrEqual(files.count, 13)
        for file in files {
            let data = try Data(contentsOf: Self.fuzzFolder.appendingPathComponent(file))
            do {
                _ = try ModelBuilder().build(try JSONParser.parse(data))
                XCTFail("\(file): built")
            } catch is SpecError {
            } catch is JSONParser.SyntaxError {
            } catch { XCTFail("\(file): unexpected error \(error)") }
        }
    }

    func testBoundsNameThePathTheValueAndTheRange() {
        XCTAssertEqual(buildError(#"{"encoder": {"type": "vit", "depth": 4611686018427387904}}"#),
                       "encoder.depth: expected an integer in 1…1024, got 4611686018427387904")
        XCTAssertEqual(buildError(#"{"encoder": {"type": "vit", "img_size": 1000000000000000000}}"#),
                       "encoder.img_size: expected an integer in 1…8192, got 1000000000000000000")
        XCTAssertEqual(buildError(#"{"encoder": {"type": "vit", "in_chans": 1000}}"#), "encoder.in_chans: expected an integer in 1…64, got 1000")
        XCTAssertEqual(buildError(#"{"encoder": {"type": "vit", "embed_dim": 16, "num_heads": 2, "mlp_ratio": 1e308}}"#),
                       "encoder.mlp_ratio: expected a number in (0, 64.0], got 1e+308")
        XCTAssertEqual(buildError(#"{"encoder": {"type": "vit", "embed_dim": 16, "num_heads": 2, "mlp_ratio": 0.01}}"#),
                       "encoder.mlp_ratio: 0.01 × width 16 leaves an MLP without hidden units")
        XCTAssertEqual(buildError(#"{"encoder": {"type": "vit", "norm_eps": 2}}"#), "encoder.norm_eps: expected a number in 0.0…1.0, got 2.0")
        XCTAssertEqual(buildError(#"{"encoder": {"type": "vit", "embed_dim": 1000000, "num_heads": 1}}"#),
                       "encoder: a tensor of shape [3000000, 1000000] exceeds the limit of 2147483648 elements per tensor")
        XCTAssertEqual(buildError(#"{"encoder": {"type": "vit", "embed_dim": 8192, "depth": 1024, "num_heads": 1}}"#)?
            .hasPrefix("encoder: the model would have more than 2147483648 parameters"), true)
        XCTAssertEqual(buildError(#"{"encoder": {"type": "vit", "img_size": 16, "patch_size": 8, "embed_dim": 8, "depth": 1, "num_heads": 2}, "heads": [{"name": "h", "type": "linear", "out_features": 3, "grad_reverse": -1}]}"#),
                       "heads[0].grad_reverse: expected a number in 0.0…10000.0, got -1.0")
    }

    func testParameterLimitRefusesBeforeAllocating() {
        // ViT-Base is 86 M parameters; under a 1 M limit it is refused at the encoder, naming the limit.
        XCTAssertEqual(buildError(SpecTests.iatSpec, limit: 1 << 20)?.hasPrefix("encoder: the model would have more than 1048576 parameters"), true)
        XCTAssertNil(buildError(SpecTests.tokenMLPSpec, limit: 1 << 20))
    }

    func testUnknownFieldsAreFoundBeforeBuilding() {
        // A 10^12-parameter encoder: reporting the typo must not need building it (nor the budget to refuse it).
        XCTAssertEqual(buildError(#"{"encoder": {"type": "vit", "embed_dim": 1000000, "num_heads": 1, "depht": 2}}"#),
                       #"encoder.depht: unknown field (did you mean "depth"?)"#)
        XCTAssertEqual(buildError(#"{"encoder": {"type": "vit", "embed_dim": 1000000, "num_heads": 1}, "heads": [{"name": "h", "type": "linear", "out_feature": 3}]}"#),
                       #"heads[0].out_feature: unknown field (did you mean "out_features"?)"#)
        XCTAssertEqual(buildError(#"{"encoder": {"type": "vit", "embed_dim": 1000000, "num_heads": 1}, "hads": []}"#),
                       #"hads: unknown field (did you mean "heads"?)"#)
        let long = String(repeating: "x", count: 10_000)
        XCTAssertEqual(buildError(#"{"encoder": {"type": "vit", "\#(long)": 2}}"#)?.count ?? 0 < 400, true)
    }

    func testMaskRatioMustMaskAndKeepAPatch() {
        let tiny = #""type": "vit", "img_size": 16, "patch_size": 8, "embed_dim": 8, "depth": 1, "num_heads": 2"#
        let mae = { (ratio: String) in #"{"encoder": {\#(tiny)}, "decoder": {"type": "mae_decoder", "embed_dim": 8, "num_heads": 2}, "mask_ratio": \#(ratio)}"# }
        XCTAssertEqual(buildError(mae("0")), "mask_ratio: expected a number in (0, 1), got 0.0")
        XCTAssertEqual(buildError(mae("0.9")), "mask_ratio: 0.9 of 4 patches keeps 0; MAE needs at least one kept and one masked patch")
        XCTAssertNil(buildError(mae("0.5")))
        // Found by the spec fuzzer (Fixtures/fuzz/mae_encoder_width_6.json): a precondition trap before.
        XCTAssertEqual(buildError(#"{"encoder": {"type": "vit", "img_size": 16, "patch_size": 8, "embed_dim": 6, "depth": 1, "num_heads": 2}, "decoder": {"type": "mae_decoder", "embed_dim": 8, "num_heads": 2}}"#),
                       "encoder.embed_dim: an MAE's sin-cos positions need embed_dim divisible by 4, got 6")
    }

    func testHeadNamedLikeAnEncoderKeyIsAnError() {
        let tiny = #""type": "vit", "img_size": 16, "patch_size": 8, "embed_dim": 8, "depth": 1, "num_heads": 2"#
        XCTAssertEqual(buildError(#"{"encoder": {\#(tiny)}, "heads": [{"name": "norm", "type": "linear", "out_features": 3}]}"#),
                       #"heads[0].name: head "norm" has the name of an encoder key (blocks, cls_token, norm, patch_embed, pos_embed)"#)
    }

    func testUnfreezingKeepsFixedPositionTablesFrozen() throws {
        let spec = #"{"encoder": {"type": "vit", "img_size": 16, "patch_size": 8, "embed_dim": 8, "depth": 1, "num_heads": 2}, "decoder": {"type": "mae_decoder", "embed_dim": 8, "num_heads": 2}}"#
        let model = try ModelBuilder().build(try JSONParser.parse(spec)).module
        model.freeze()
        model.freeze(false)
        let fixed = model.namedParameters().filter { !$0.tensor.requiresGrad }.map(\.key)
        XCTAssertEqual(fixed, ["pos_embed", "decoder_pos_embed"])
    }

    func testJSONRefusesDeepNestingHugeNumbersAndBadSurrogates() {
        XCTAssertThrowsError(try JSONParser.parse(String(repeating: "[", count: 100_000))) {
            XCTAssertTrue("\($0)".contains("nesting deeper than 512 levels"), "\($0)")
        }
        XCTAssertThrowsError(try JSONParser.parse("[1e999]")) { XCTAssertTrue("\($0)".contains("out of range"), "\($0)") }
        XCTAssertThrowsError(try JSONParser.parse(#"["\ud800\u0041"]"#)) { XCTAssertTrue("\($0)".contains("unpaired surrogate"), "\($0)") }
        let key = String(repeating: "k", count: 1_000_000)
        XCTAssertThrowsError(try JSONParser.parse(#"{"\#(key)": 1, "\#(key)": 2}"#)) {
            XCTAssertTrue("\($0)".contains("(1000000 characters)") && "\($0)".count < 400, "\("\($0)".prefix(300))")
        }
    }
}
