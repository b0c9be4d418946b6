import Checkpoint
import Foundation
import Images
import JSON
import Layers
import TensorTesting
import Tensors
import XCTest
import Zoo

/// `zoo run predict --faces` end to end: fer-emotion on the faces MTCNN finds, against Pillow + Keras
/// (face_predict_reference.json, made by make_face_predict_fixtures.py); --align; photos without faces
/// and unreadable ones; --annotate; --features; an AU run folder.
final class FacePredictCLITests: XCTestCase {
    static let photos = repositoryRoot.appendingPathComponent("Tests/FaceDetectionTests/Fixtures").path
    static let group = photos + "/group.png", coffee = photos + "/coffee.png"
    static let reference = repositoryRoot.appendingPathComponent("Tests/ZooTests/Fixtures/faces/face_predict_reference.json").path
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-faces-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func out(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func parse(_ path: String) throws -> [JSONValue] {
        guard case let .array(items) = try JSONParser.parse(try Data(contentsOf: URL(fileURLWithPath: path))) else {
            throw XCTSkip("\(path) is not a JSON list")
        }
        return items
    }

    func numbers(_ value: JSONValue?) -> [Double] {
        guard case let .array(items)? = value else { return [] }
        return items.compactMap { if case let .number(d) = $0 { return d } else if case let .integer(i) = $0 { return Double(i) } else { return nil } }
    }

    func faces(_ entry: JSONValue) -> [JSONValue] {
        if case let .array(list)? = entry["faces"] { return list }
        return []
    }

    func testFerOnFacesMatchesPillowAndKeras() throws {
        let detect = try runZoo(["run", "detect", "--images", Self.group, "--output", out("detect.json")])
        XCTAssertEqual(detect.status, 0, detect.stderr)
        let detected = faces(try parse(out("detect.json"))[0])
        guard case let .object(root) = try JSONParser.parse(try Data(contentsOf: URL(fileURLWithPath: Self.reference))),
              case let .object(margins)? = root.first(where: { $0.0 == "margins" })?.1 else { return XCTFail("reference layout") }
        let classes = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
        for (margin, expectedValue) in margins {
            guard case let .array(expected) = expectedValue else { return XCTFail("margin \(margin)") }
            let run = try runZoo(["run", "predict", "--model", "fer-emotion", "--input", Self.group, "--faces", "--margin", margin, "--output", out("fer.json")])
            XCTAssertEqual(run.status, 0, run.stderr)
            let entries = try parse(out("fer.json"))
            XCTAssertEqual(entries.count, 1)
            let found = faces(entries[0])
            XCTAssertEqual(found.count, 3)
            XCTAssertEqual(expected.count, 3)
            for (i, face) in found.enumerated() {
                // The boxes are detect's, exactly.
                XCTAssertEqual(face["box"], detected[i]["box"])
                XCTAssertEqual(face["landmarks"], detected[i]["landmarks"])
                XCTAssertEqual(numbers(face["crop"]), numbers(expected[i]["crop"]), "margin \(margin) face \(i)")
                guard case let .object(probabilities)? = face["class_probabilities"] else { return XCTFail("no class_probabilities") }
                XCTAssertEqual(probabilities.map(\.0), classes)
                let values = probabilities.compactMap { if case let .number(d) = $0.1 { return d } else { return nil } }
                XCTAssertEqual(values.reduce(0, +), 1, accuracy: 1e-5)
                let reference = numbers(expected[i]["probabilities"])
                XCTAssertEqual(values.count, 7)
                for (v, r) in zip(values, reference) { XCTAssertEqual(v, r, accuracy: 1e-3, "margin \(margin) face \(i): \(values) vs \(reference)") }
                let best = classes[values.indices.max { values[$0] < values[$1] }!]
                XCTAssertEqual(face["prediction"], .string(best))
            }
        }
        // fer's Keras file itself: as weights of the catalog entry (which knows how fer prepares faces), the
        // same numbers; as a bare --model it has no preprocessing, and the error says what to do.
        let hdf5 = repositoryRoot.appendingPathComponent("Sources/BundledModels/Files/fer/emotion_model.hdf5").path
        let viaWeights = try runZoo(["run", "predict", "--model", "fer-emotion", "--weights", hdf5, "--input", Self.group, "--faces", "--output", out("w.json")])
        XCTAssertEqual(viaWeights.status, 0, viaWeights.stderr)
        XCTAssertEqual(try runZoo(["run", "predict", "--model", "fer-emotion", "--input", Self.group, "--faces", "--output", out("plain.json")]).status, 0)
        XCTAssertEqual(try parse(out("w.json"))[0]["faces"], try parse(out("plain.json"))[0]["faces"])
        let bare = try runZoo(["run", "predict", "--model", hdf5, "--input", Self.group, "--faces"])
        XCTAssertNotEqual(bare.status, 0)
        XCTAssertTrue(bare.stderr.contains("--model fer-emotion --weights FILE"), bare.stderr)
        // CSV: a header and one row per face.
        let csv = try runZoo(["run", "predict", "--model", "fer-emotion", "--input", Self.group, "--faces", "--output", out("fer.csv")])
        XCTAssertEqual(csv.status, 0, csv.stderr)
        let lines = try String(contentsOfFile: out("fer.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 4)
        XCTAssertTrue(lines[0].hasPrefix("file,face,x1,y1,x2,y2,score,left_eye_x"), String(lines[0]))
        XCTAssertTrue(lines[0].hasSuffix("angry,disgust,fear,happy,sad,surprise,neutral,prediction"), String(lines[0]))
    }

    func testAlignPutsTheEyesOnTheTemplate() throws {
        let run = try runZoo(["run", "predict", "--model", "fer-emotion", "--input", Self.group, "--faces", "--align", "--output", out("aligned.json")])
        XCTAssertEqual(run.status, 0, run.stderr)
        let found = faces(try parse(out("aligned.json"))[0])
        XCTAssertEqual(found.count, 3)
        guard case let .array(expected)? = try JSONParser.parse(try Data(contentsOf: URL(fileURLWithPath: Self.reference)))["aligned"], expected.count == 3 else {
            return XCTFail("reference has no aligned landmarks")
        }
        // ArcFace's 112 × 112 template, scaled to fer's 64 × 64 input.
        let scale = 64.0 / 112
        let eyes: [(Double, Double)] = [(38.2946 * scale, 51.6963 * scale), (73.5318 * scale, 51.5014 * scale)]
        for (i, face) in found.enumerated() {
            guard case let .array(points)? = face["aligned_landmarks"], points.count == 5, case let .array(reference) = expected[i] else {
                return XCTFail("aligned_landmarks: \(face.serialized())")
            }
            XCTAssertNil(face["crop"])
            // Where scikit-image's Umeyama fit (insightface's) puts facenet-pytorch's landmarks.
            for (p, r) in zip(points.map(numbers), reference.map(numbers)) {
                XCTAssertEqual(p[0], r[0], accuracy: 0.01, "face \(i)")
                XCTAssertEqual(p[1], r[1], accuracy: 0.01, "face \(i)")
            }
            // Upright: the eyes level to within a pixel, on every face.
            XCTAssertLessThan(abs(numbers(points[0])[1] - numbers(points[1])[1]), 1, "face \(i): \(points)")
            // The two frontal faces (the astronaut, large and small) put their eyes near the template: within
            // 0.7 px across and 1.6 px down (the fit of all five points trades the eyes against a mouth lower
            // than the template's). The photographer's face is turned (eyes 12.6 px apart where the template has
            // 20), so no similarity can, and it is not held to it.
            guard i < 2 else { continue }
            for (p, eye) in zip(points.prefix(2).map(numbers), eyes) {
                XCTAssertEqual(p[0], eye.0, accuracy: 0.7, "face \(i): \(points)")
                XCTAssertEqual(p[1], eye.1, accuracy: 1.6, "face \(i): \(points)")
            }
        }
    }

    func testPhotosWithoutFacesAndUnreadablePhotos() throws {
        let bad = out("broken.png")
        FileManager.default.createFile(atPath: bad, contents: Data("\u{89}PNG\r\n\u{1A}\nnot really".utf8))
        let list = out("photos.txt")
        try "\(bad)\n\(Self.coffee)\n\(Self.group)\n".write(toFile: list, atomically: true, encoding: .utf8)
        let failed = try runZoo(["run", "predict", "--model", "fer-emotion", "--input", list, "--faces", "--output", out("o.json")])
        XCTAssertEqual(failed.status, 1)
        XCTAssertTrue(failed.stderr.contains(bad), failed.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out("o.json")), "no output from a failed run")
        let skipped = try runZoo(["run", "predict", "--model", "fer-emotion", "--input", list, "--faces", "--skip-bad", "--output", out("o.json")])
        XCTAssertEqual(skipped.status, 0, skipped.stderr)
        XCTAssertTrue(skipped.stderr.contains("skipped \(bad)"), skipped.stderr)
        let entries = try parse(out("o.json"))
        XCTAssertEqual(entries.count, 2)
        XCTAssertEqual(entries[0]["file"], .string(Self.coffee))
        XCTAssertEqual(entries[0]["faces"], .array([]), "a photo without a face is an empty list")
        XCTAssertEqual(faces(entries[1]).count, 3)
        // Options that only mean something with --faces are refused without it.
        let stray = try runZoo(["run", "predict", "--model", "fer-emotion", "--input", Self.group, "--align"])
        XCTAssertEqual(stray.status, 2, stray.stderr)
        XCTAssertTrue(stray.stderr.contains("--align needs --faces"), stray.stderr)
    }

    func testAnnotateWritesAJPEGPerPhoto() throws {
        let folder = out("annotated")
        let run = try runZoo(["run", "predict", "--model", "fer-emotion", "--input", Self.photos, "--faces", "--annotate", folder])
        XCTAssertEqual(run.status, 0, run.stderr)
        for name in ["astronaut", "chelsea", "coffee", "group"] {
            let photo = try ImageFile.read(Self.photos + "/\(name).png")
            let drawn = try JPEG.decode(file: folder + "/\(name).jpg")
            XCTAssertEqual([drawn.width, drawn.height], [photo.width, photo.height], name)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder).sorted(),
                       ["astronaut.jpg", "chelsea.jpg", "coffee.jpg", "group.jpg"], "nothing half-written left behind")
        // The group photo is drawn on (boxes, labels); the coffee photo, with no face, only re-encoded.
        let group = try JPEG.decode(file: folder + "/group.jpg"), original = try ImageFile.read(Self.group)
        let changed = zip(group.pixels, original.pixels).filter { abs(Int($0) - Int($1)) > 60 }.count
        XCTAssertGreaterThan(changed, 1000)
    }

    /// A ViT classifier (the parity fixture, 32 × 32 input, 32 features) with its timm weights.
    var vit: [String] {
        ["--model", ParityTests.fixtures.appendingPathComponent("vit_avg_iat.json").path,
         "--weights", CheckpointParityTests.checkpoints.appendingPathComponent("vit_avg_iat_zip.pth").path]
    }

    func testFeaturesForPhotosAndFaces() throws {
        // Whole photos: one row of 32 features each.
        var run = try runZoo(["run", "predict"] + vit + ["--input", Self.photos, "--features", "--output", out("f.safetensors")])
        XCTAssertEqual(run.status, 0, run.stderr)
        var file = try FixtureFile(path: out("f.safetensors"))
        XCTAssertEqual(file["features"]?.shape, [4, 32])
        XCTAssertEqual(file["photo"]?.scalars, [0, 1, 2, 3])
        // Faces: one row per face (astronaut 1, chelsea 0, coffee 0, group 3), with boxes and landmarks.
        run = try runZoo(["run", "predict"] + vit + ["--input", Self.photos, "--features", "--faces", "--output", out("ff.safetensors")])
        XCTAssertEqual(run.status, 0, run.stderr)
        file = try FixtureFile(path: out("ff.safetensors"))
        XCTAssertEqual(file["features"]?.shape, [4, 32])
        XCTAssertEqual(file["boxes"]?.shape, [4, 4])
        XCTAssertEqual(file["landmarks"]?.shape, [4, 5, 2])
        XCTAssertEqual(file["photo"]?.scalars, [0, 3, 3, 3])
        run = try runZoo(["run", "predict"] + vit + ["--input", Self.group, "--features", "--faces", "--output", out("ff.json")])
        XCTAssertEqual(run.status, 0, run.stderr)
        let found = faces(try parse(out("ff.json"))[0])
        XCTAssertEqual(found.map { numbers($0["features"]).count }, [32, 32, 32])
        run = try runZoo(["run", "predict"] + vit + ["--input", Self.group, "--features", "--output", out("f.csv")])
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = try String(contentsOfFile: out("f.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.map { $0.split(separator: ",").count }, [33, 33])
        // A network has no encoder to pool.
        run = try runZoo(["run", "predict", "--model", "fer-emotion", "--input", Self.group, "--features"])
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.stderr.contains("an image encoder"), run.stderr)
    }

    func testClassesFromAViTAndAUsFromARunFolder() throws {
        var run = try runZoo(["run", "predict"] + vit + ["--input", Self.group, "--faces", "--classes", "a,b,c,d,e", "--output", out("c.json")])
        XCTAssertEqual(run.status, 0, run.stderr)
        for face in faces(try parse(out("c.json"))[0]) {
            guard case let .object(p)? = face["class_probabilities"] else { return XCTFail("no class_probabilities") }
            XCTAssertEqual(p.map(\.0), ["a", "b", "c", "d", "e"])
        }
        // A run folder as training leaves it: model.json and checkpoint/weights.safetensors, a 12-AU head.
        let folder = out("run")
        try FileManager.default.createDirectory(atPath: folder + "/checkpoint", withIntermediateDirectories: true)
        let spec = #"{"encoder": {"type": "vit", "img_size": 32, "patch_size": 8, "in_chans": 3, "embed_dim": 32, "depth": 1, "num_heads": 4, "global_pool": "avg"}, "heads": [{"name": "head", "type": "linear", "out_features": 12}]}"#
        try spec.write(toFile: folder + "/model.json", atomically: true, encoding: .utf8)
        if LayerRegistry.shared.all.isEmpty { LayerRegistry.shared.register(builtinLayerPlugins) }
        let model = try ModelBuilder().build(try ModelBuilder.loadSpec(file: folder + "/model.json"))
        try SafeTensorsWriter.write(model.module.namedParameters().map { ($0.key, StoredTensor($0.tensor)) }, to: folder + "/checkpoint/weights.safetensors")
        run = try runZoo(["run", "predict", "--run", folder, "--input", Self.group, "--faces", "--output", out("au.json")])
        XCTAssertEqual(run.status, 0, run.stderr)
        let found = faces(try parse(out("au.json"))[0])
        XCTAssertEqual(found.count, 3)
        for face in found {
            guard case let .object(p)? = face["au_probabilities"] else { return XCTFail("no au_probabilities") }
            XCTAssertEqual(p.map(\.0), ["AU1", "AU2", "AU4", "AU6", "AU7", "AU10", "AU12", "AU14", "AU15", "AU17", "AU23", "AU24"])
            XCTAssertTrue(p.allSatisfy { if case let .number(v) = $0.1 { return v > 0 && v < 1 } else { return false } })
        }
    }
}
