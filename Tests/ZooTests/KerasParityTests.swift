import Checkpoint
import Foundation
import Tensors
import XCTest

/// Keras models through the CLI against Keras itself (Tests/KerasTests/Fixtures/make_keras_fixtures.py:
/// Keras 3 on the torch backend): `zoo run predict --model FILE.h5` and the catalog's `fer-emotion` give
/// Keras' probabilities within 1e-4; `zoo show` counts fer's 58,423 parameters; `zoo convert` writes the
/// translated weights that load back into the translated spec.
final class KerasParityTests: XCTestCase {
    static let kerasFixtures = repositoryRoot.appendingPathComponent("Tests/KerasTests/Fixtures").path
    static let emotionModel = repositoryRoot.appendingPathComponent("Sources/BundledModels/Files/fer/emotion_model.hdf5").path

    private func temporary(_ name: String) -> String {
        NSTemporaryDirectory() + "zoo-keras-\(UUID().uuidString)-\(name)"
    }

    /// Runs predict on the fixture's inputs for `prefix` and returns the largest difference from Keras.
    private func predict(model: String, prefix: String, extra: [String] = []) throws -> Float {
        let reference = try SafeTensorsReader.read(path: Self.kerasFixtures + "/keras_reference.safetensors")
        let input = temporary("in.safetensors"), output = temporary("out.safetensors")
        defer { for f in [input, output] { try? FileManager.default.removeItem(atPath: f) } }
        try SafeTensorsWriter.write([("images", try XCTUnwrap(reference[prefix + ".input"]))], metadata: [], to: input)
        let run = try runZoo(["run", "predict", "--model", model, "--input", input, "--output", output] + extra)
        XCTAssertEqual(run.status, 0, run.stderr)
        let expected = try XCTUnwrap(reference[prefix + ".output"]).floatTensor()
        let produced = try SafeTensorsReader.read(path: output)
        XCTAssertEqual(produced.tensors.count, 1, "\(produced.tensors.map(\.name))")
        let got = try XCTUnwrap(produced.tensors.first).tensor.floatTensor()
        XCTAssertEqual(got.shape, expected.shape)
        return zip(got.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? .infinity
    }

    func testFerEmotionModelMatchesKeras() throws {
        let worst = try predict(model: Self.emotionModel, prefix: "emotion_model")
        print("fer emotion_model.hdf5: max |zoo − Keras| = \(worst)")
        XCTAssertLessThanOrEqual(worst, 1e-4)
        XCTAssertLessThanOrEqual(try predict(model: "fer-emotion", prefix: "emotion_model"), 1e-4)
    }

    func testKeras3SequentialAndFunctionalModelsMatchKeras() throws {
        XCTAssertLessThanOrEqual(try predict(model: Self.kerasFixtures + "/tiny_sequential.h5", prefix: "tiny_sequential"), 1e-5)
        XCTAssertLessThanOrEqual(try predict(model: Self.kerasFixtures + "/tiny_functional.h5", prefix: "tiny_functional"), 1e-5)
    }

    func testShowCountsTheKerasParameters() throws {
        let run = try runZoo(["show", Self.emotionModel, "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("\"parameters\": 58423"), String(run.stdout.suffix(400)))
        XCTAssertTrue(run.stdout.contains("\"family\": \"network\""))
    }

    func testConvertWritesTranslatedWeightsThatLoadBack() throws {
        let converted = temporary("fer.safetensors")
        defer { try? FileManager.default.removeItem(atPath: converted) }
        let run = try runZoo(["convert", Self.emotionModel, converted])
        XCTAssertEqual(run.status, 0, run.stderr)
        let file = try SafeTensorsReader.read(path: converted)
        XCTAssertEqual(file.parameterCount, 58_423)
        XCTAssertEqual(file["conv2d_1.weight"]?.shape, [8, 1, 3, 3])
        XCTAssertTrue(file.metadata.contains { $0.key == "zoo_spec" && $0.value.contains("\"type\":\"network\"") })
        XCTAssertLessThanOrEqual(try predict(model: "fer-emotion", prefix: "emotion_model", extra: ["--weights", converted]), 1e-4)
    }

    func testAKerasLayerWithoutAPluginIsAnErrorNamingIt() throws {
        // A copy of the tiny functional model whose model_config names a layer class zoo does not have.
        let h5 = temporary("lstm.h5")
        defer { try? FileManager.default.removeItem(atPath: h5) }
        var file = try HDF5Reader.read(path: Self.kerasFixtures + "/tiny_functional.h5")
        let i = try XCTUnwrap(file.metadata.firstIndex { $0.key == "model_config" })
        file.metadata[i].value = file.metadata[i].value.replacingOccurrences(of: "\"class_name\": \"ReLU\"", with: "\"class_name\": \"LSTM\"")
        try HDF5Writer.write(file.tensors, attributes: file.metadata, to: h5)
        let run = try runZoo(["show", h5])
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stderr.contains("Keras layer re_lu is a LSTM, which zoo has no layer plugin for"), run.stderr)
    }
}
