import BundledModels
import Foundation
import Layers
import Tensors
import XCTest
import Zoo

final class CatalogTests: XCTestCase {
    func catalog() throws -> Catalog { try Catalog.load(file: repositoryRoot.appendingPathComponent("zoo.json").path) }

    func testViTBaseHasTimmKeysInOrderAndParameterCount() throws {
        let (_, spec) = try catalog().spec(for: "vit-base-patch16")
        let model = try ModelBuilder(registry: testRegistry).build(spec).module
        let keys = model.namedParameters().map(\.key)
        var expected = ["cls_token", "pos_embed", "patch_embed.proj.weight", "patch_embed.proj.bias"]
        for i in 0..<12 {
            for name in ["norm1.weight", "norm1.bias", "attn.qkv.weight", "attn.qkv.bias", "attn.proj.weight", "attn.proj.bias",
                         "norm2.weight", "norm2.bias", "mlp.fc1.weight", "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias"] {
                expected.append("blocks.\(i).\(name)")
            }
        }
        expected += ["norm.weight", "norm.bias"]
        XCTAssertEqual(keys, expected)
        XCTAssertEqual(keys.count, 150)
        XCTAssertEqual(model.parameterCount, 85_798_656)
        let shapes = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.key, $0.tensor.shape) })
        XCTAssertEqual(shapes["pos_embed"], [1, 197, 768])
        XCTAssertEqual(shapes["patch_embed.proj.weight"], [768, 3, 16, 16])
        XCTAssertEqual(shapes["blocks.0.attn.qkv.weight"], [2304, 768])
        XCTAssertEqual(shapes["blocks.11.mlp.fc1.weight"], [3072, 768])
    }

    func testEveryCatalogEntryIsValid() throws {
        let c = try catalog()
        XCTAssertEqual(Set(c.entries.map(\.name)).count, c.entries.count)
        for name in ["vit-small-patch16", "vit-base-patch16", "vit-large-patch16", "fmae-vit-small-pretrain", "fmae-vit-base-pretrain",
                     "fmae-vit-large-pretrain", "fmae-iat-vit-large-bp4d-fold1", "fmae-iat-vit-large-bp4d-fold2",
                     "fmae-iat-vit-large-bp4d-fold3", "mae-vit-base-pretrain", "mae-vit-base-patch16", "mae-vit-tiny-patch8-64", "vit-tiny-patch16-64", "mae-vit-tiny-patch16-64"] {
            XCTAssertNotNil(c.entry(named: name), name)
        }
        for e in c.entries where e.kind != "architecture" {
            XCTAssertNotNil(e.source, e.name)
            // FMAE's and MAE's .pth files keep the state dict under "model"; the files zoo ships are plain.
            if e.source?.hasPrefix("bundled:") == true {
                XCTAssertNotNil(e.source.flatMap(BundledModels.path(forSource:)), "\(e.name): bundled file missing")
            } else {
                XCTAssertEqual(e.weightsKey, "model", e.name)
            }
        }
        // Every spec is valid: built at a reduced depth so the test stays small (depth changes no rule).
        for e in c.entries {
            guard case var .object(pairs) = e.spec else { return XCTFail("\(e.name): spec is not an object") }
            for (i, pair) in pairs.enumerated() where pair.0 == "encoder" || pair.0 == "decoder" {
                guard case var .object(fields) = pair.1 else { continue }
                fields = fields.map { $0.0 == "depth" ? ($0.0, .integer(1)) : $0 }
                pairs[i] = (pair.0, .object(fields))
            }
            XCTAssertNoThrow(try ModelBuilder(registry: testRegistry).build(.object(pairs)), e.name)
        }
    }

    func testUnknownModelSuggestsAName() throws {
        XCTAssertThrowsError(try catalog().spec(for: "vit-base-patch61")) { e in
            XCTAssertEqual("\(e)", #"no model "vit-base-patch61" in the catalog and no such spec file (did you mean "vit-base-patch16"?)"#)
        }
    }

    func testCatalogErrorsNameFileAndPath() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-cat-\(getpid()).json").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try #"{"models": [{"name": "a", "description": "x", "kind": "released", "spec": {}}]}"#.write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Catalog.load(file: file)) { e in
            XCTAssertEqual("\(e)", #"\#(file): models[0].kind: expected one of "architecture", "pretrained", "finetuned", got "released""#)
        }
    }
}

final class BuiltinCatalogTests: XCTestCase {
    /// The catalog built into the binary is the repository's zoo.json (regenerate it as its header says).
    func testBuiltinCatalogIsZooJSON() throws {
        let file = try String(contentsOf: repositoryRoot.appendingPathComponent("zoo.json"), encoding: .utf8)
        XCTAssertEqual(builtinCatalogJSON, file.hasSuffix("\n") ? String(file.dropLast()) : file,
                       "Sources/Zoo/Catalog/BuiltinCatalog.swift is out of date with zoo.json")
    }

    func testALocalCatalogExtendsTheBuiltinOne() throws {
        var catalog = try Catalog.parse(JSONParser.parse(Data(builtinCatalogJSON.utf8)), file: "built-in")
        let count = catalog.entries.count
        let local = try Catalog.parse(JSONParser.parse(Data(#"""
            {"models": [{"name": "vit-small-patch16", "description": "replaced", "spec": {"encoder": {"type": "vit"}}},
                        {"name": "my-model", "description": "added", "spec": {"encoder": {"type": "vit"}}}]}
            """#.utf8)), file: "local.json")
        catalog.extend(with: local)
        XCTAssertEqual(catalog.entries.count, count + 1)
        XCTAssertEqual(catalog.entry(named: "vit-small-patch16")?.description, "replaced")
        XCTAssertEqual(catalog.entries.last?.name, "my-model")
    }

    func testReleasedModelsNeedWeights() throws {
        let catalog = try Catalog.parse(JSONParser.parse(Data(builtinCatalogJSON.utf8)), file: "built-in")
        XCTAssertThrowsError(try catalog.checkWeights(for: "fmae-iat-vit-large-bp4d-fold1", weights: nil, randomWeights: false)) { e in
            XCTAssertTrue("\(e)".hasPrefix("fmae-iat-vit-large-bp4d-fold1 is a finetuned model: its weights come from gdrive:1w5Gad9YKBJMgdyQ4Ax49WatAzZ7vgrKy"), "\(e)")
        }
        XCTAssertNoThrow(try catalog.checkWeights(for: "fmae-iat-vit-large-bp4d-fold1", weights: nil, randomWeights: true))
        XCTAssertNoThrow(try catalog.checkWeights(for: "fmae-iat-vit-large-bp4d-fold1", weights: "w.pth", randomWeights: false))
        XCTAssertNoThrow(try catalog.checkWeights(for: "vit-base-patch16", weights: nil, randomWeights: false))
    }
}
