import Checkpoint
import Foundation
import JSON
import Keras
import XCTest

final class KerasImportTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
    static let emotionModel = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources/BundledModels/Files/fer/emotion_model.hdf5").path

    private func read(_ path: String) throws -> TensorFile { try HDF5Reader.read(path: path) }

    private func floats(_ t: StoredTensor) -> [Float] {
        let f = t.converted(to: .f32)
        return Array(UnsafeBufferPointer(start: f.bytes.base.assumingMemoryBound(to: Float.self), count: f.elementCount))
    }

    private func nodes(_ model: KerasModel) -> [(name: String, type: String, inputs: [String])] {
        guard case .array(let items)? = model.graph["nodes"] else { return [] }
        return items.map { item in
            guard case .string(let name)? = item["name"], case .string(let type)? = item["layer"]?["type"],
                  case .array(let inputs)? = item["inputs"] else { return ("?", "?", []) }
            return (name, type, inputs.compactMap { if case .string(let s) = $0 { return s } else { return nil } })
        }
    }

    func testFerEmotionModelTranslatesToAGraphWithAllItsWeights() throws {
        let file = try read(Self.emotionModel)
        XCTAssertTrue(KerasImport.isKerasModel(file))
        let model = try KerasImport.translate(file, path: Self.emotionModel)
        XCTAssertEqual(model.inputShape, [1, 64, 64])
        XCTAssertEqual(model.inputNames, ["input_1"])
        XCTAssertEqual(model.outputNames, ["predictions"])
        XCTAssertEqual(model.kerasVersion, "2.0.5")
        XCTAssertEqual(model.tensors.reduce(0) { $0 + $1.tensor.elementCount }, 58_423)
        let shapes = Dictionary(uniqueKeysWithValues: model.tensors.map { ($0.name, $0.tensor.shape) })
        XCTAssertEqual(shapes["conv2d_1.weight"], [8, 1, 3, 3])
        XCTAssertEqual(shapes["separable_conv2d_1.depthwise.weight"], [8, 1, 3, 3])
        XCTAssertEqual(shapes["separable_conv2d_1.pointwise.weight"], [16, 8, 1, 1])
        XCTAssertEqual(shapes["conv2d_7.bias"], [7])
        XCTAssertEqual(shapes["batch_normalization_1.running_var"], [8])
        let graph = nodes(model)
        // 46 Keras layers less the input: 45 nodes, each Keras layer one node.
        XCTAssertEqual(graph.count, 45)
        XCTAssertEqual(graph.first { $0.name == "add_1" }?.inputs, ["max_pooling2d_1", "batch_normalization_3"])
        XCTAssertEqual(graph.first { $0.name == "predictions" }?.type, "softmax")
        XCTAssertEqual(graph.first { $0.name == "global_average_pooling2d_1" }?.type, "global_avg_pool")
        // Keras' momentum 0.99 of the old value is PyTorch's 0.01 of the new one; epsilon kept.
        guard case .array(let items)? = model.graph["nodes"],
              let bn = items.first(where: { $0["name"] == .string("batch_normalization_1") })?["layer"] else { return XCTFail("no bn") }
        XCTAssertEqual(bn["eps"], .number(0.001))
        if case .number(let m)? = bn["momentum"] { XCTAssertEqual(m, 0.01, accuracy: 1e-9) } else { XCTFail("momentum") }
    }

    func testKernelsAreTransposedToPyTorchLayout() throws {
        let file = try read(Self.emotionModel)
        let model = try KerasImport.translate(file, path: Self.emotionModel)
        let kernel = floats(file["conv2d_2.conv2d_2_1.kernel"]!)            // [3, 3, 8, 8]: kh, kw, in, out
        let weight = floats(model.tensors.first { $0.name == "conv2d_2.weight" }!.tensor)   // [8, 8, 3, 3]: out, in, kh, kw
        for (o, c, i, j) in [(0, 0, 0, 0), (7, 3, 2, 1), (2, 5, 1, 2), (5, 7, 0, 2)] {
            XCTAssertEqual(weight[((o * 8 + c) * 3 + i) * 3 + j], kernel[((i * 3 + j) * 8 + c) * 8 + o])
        }
        let depthwise = floats(file["separable_conv2d_3.separable_conv2d_3_1.depthwise_kernel"]!)   // [3, 3, 16, 1]
        let zooDepthwise = floats(model.tensors.first { $0.name == "separable_conv2d_3.depthwise.weight" }!.tensor)  // [16, 1, 3, 3]
        for (c, i, j) in [(0, 0, 0), (15, 2, 2), (9, 1, 0)] {
            XCTAssertEqual(zooDepthwise[(c * 3 + i) * 3 + j], depthwise[(i * 3 + j) * 16 + c])
        }
    }

    func testKeras3SequentialFlattensInKerasOrderAndFillsMissingBatchNormScale() throws {
        let path = Self.fixtures + "/tiny_sequential.h5"
        let model = try KerasImport.translate(try read(path), path: path)
        XCTAssertEqual(model.inputShape, [3, 12, 10])
        let graph = nodes(model)
        XCTAssertEqual(graph.map(\.type), ["conv2d", "relu", "conv2d", "batch_norm", "permute", "flatten", "linear", "softmax"])
        // The Dropout is gone: the permute reads the batch norm directly.
        XCTAssertEqual(graph[4].inputs, [graph[3].name])
        let tensors = Dictionary(uniqueKeysWithValues: model.tensors.map { ($0.name, $0.tensor) })
        let bn = graph[3].name
        XCTAssertEqual(floats(tensors[bn + ".weight"]!), [Float](repeating: 1, count: 12), "scale=False: gamma is 1")
        // 12×10 → stride-2 same → 6×5 → 3×3 valid → 4×3, 12 channels.
        XCTAssertEqual(tensors[graph[6].name + ".weight"]?.shape, [5, 4 * 3 * 12])
        XCTAssertEqual(tensors[graph[2].name + ".weight"]?.shape, [12, 1, 3, 3])
    }

    func testKeras3FunctionalReadsItsInboundNodes() throws {
        let path = Self.fixtures + "/tiny_functional.h5"
        let model = try KerasImport.translate(try read(path), path: path)
        let graph = nodes(model)
        let add = try XCTUnwrap(graph.first { $0.type == "add" })
        XCTAssertEqual(add.inputs.count, 2)
        XCTAssertEqual(model.outputNames, ["probabilities_activation"])
        XCTAssertEqual(model.tensors.reduce(0) { $0 + $1.tensor.elementCount }, 231 - 0)
    }

    /// A copy of fer's file with model_config edited.
    private func editedConfig(_ edit: (String) -> String) throws -> TensorFile {
        var file = try read(Self.emotionModel)
        let i = file.metadata.firstIndex { $0.key == "model_config" }!
        file.metadata[i].value = edit(file.metadata[i].value)
        return file
    }

    func testALayerWithoutAPluginIsNamed() throws {
        let file = try editedConfig { $0.replacingOccurrences(of: "\"class_name\": \"GlobalAveragePooling2D\"", with: "\"class_name\": \"LSTM\"") }
        XCTAssertThrowsError(try KerasImport.translate(file, path: "m.hdf5")) { error in
            XCTAssertEqual(error as? KerasError, .unsupportedLayer(file: "m.hdf5", layer: "global_average_pooling2d_1", className: "LSTM"))
            XCTAssertTrue("\(error)".contains("supported: Activation, Add"), "\(error)")
        }
    }

    func testUnsupportedSettingsAndBrokenConfigsAreClearErrors() throws {
        let sigmoid = try editedConfig { $0.replacingOccurrences(of: "\"activation\": \"softmax\"", with: "\"activation\": \"sigmoid\"") }
        XCTAssertThrowsError(try KerasImport.translate(sigmoid, path: "m.hdf5")) { error in
            XCTAssertEqual("\(error)", "m.hdf5: Keras layer predictions: activation = \"sigmoid\" is not supported")
        }
        let dangling = try editedConfig { $0.replacingOccurrences(of: "[[[\"conv2d_7\", 0, 0, {}]]]", with: "[[[\"nowhere\", 0, 0, {}]]]") }
        XCTAssertThrowsError(try KerasImport.translate(dangling, path: "m.hdf5")) { error in
            XCTAssertTrue("\(error)".contains("global_average_pooling2d_1 reads nowhere, which no layer produces"), "\(error)")
        }
        let notJSON = try editedConfig { String($0.prefix(40)) }
        XCTAssertThrowsError(try KerasImport.translate(notJSON, path: "m.hdf5")) { error in
            XCTAssertTrue("\(error)".hasPrefix("m.hdf5: model_config: not JSON"), "\(error)")
        }
        var weightsOnly = try read(Self.emotionModel)
        weightsOnly.metadata.removeAll { $0.key == "model_config" }
        XCTAssertThrowsError(try KerasImport.translate(weightsOnly, path: "w.h5")) { error in
            XCTAssertEqual(error as? KerasError, .noModelConfig(file: "w.h5"))
        }
        var missing = try read(Self.emotionModel)
        missing.tensors.removeAll { $0.name.hasPrefix("conv2d_3.") }
        XCTAssertThrowsError(try KerasImport.translate(missing, path: "m.hdf5")) { error in
            XCTAssertEqual(error as? KerasError, .missingWeight(file: "m.hdf5", layer: "conv2d_3", weight: "kernel"))
        }
    }
}
