import CHDF5
import Foundation

/// Keras 2 HDF5 weights (`model.save_weights("w.h5")`, or `model.save("m.h5")`, which puts the same
/// layout under `/model_weights`). A `layer_names` attribute lists the layers in model order; each layer's
/// group lists its datasets, relative to the group, in its `weight_names` attribute:
///
///     /  layer_names = ["dense_1", "dense"]
///     /dense_1  weight_names = ["dense_1/kernel:0", "dense_1/bias:0"]
///     /dense_1/dense_1/kernel:0   (dataset)
///
/// Tensors come in that order (layers, then each layer's weights), named by the dataset's path below the
/// weights group with the TensorFlow output suffix ":0" dropped and "/" turned into ".":
/// `dense_1.dense_1.kernel`. Datasets not listed (optimizer state) are not weights and are left out.
enum KerasWeightLayout {
    /// The weights in Keras order, or nil when the file is not a Keras weight file.
    static func datasets(in root: hid_t, _ h5: HDF5Session) throws -> [HDF5DatasetEntry]? {
        if let layers = try stringList("layer_names", on: root, h5) {
            return try datasets(layers: layers, in: root, prefix: "", h5)
        }
        guard H5Lexists(root, "model_weights", HDF5Constant.defaults) > 0 else { return nil }
        let weights = try h5.open(.group, H5Gopen2(root, "model_weights", HDF5Constant.defaults), "opening /model_weights")
        defer { weights.close() }
        guard let layers = try stringList("layer_names", on: weights.id, h5) else { return nil }
        return try datasets(layers: layers, in: weights.id, prefix: "model_weights/", h5)
    }

    private static func datasets(layers: [String], in weights: hid_t, prefix: String, _ h5: HDF5Session) throws -> [HDF5DatasetEntry] {
        var found: [HDF5DatasetEntry] = []
        for layer in layers {
            let group = try h5.open(.group, H5Gopen2(weights, layer, HDF5Constant.defaults), "opening Keras layer group \(prefix)\(layer)")
            defer { group.close() }
            guard let weightNames = try stringList("weight_names", on: group.id, h5) else {
                throw CheckpointError.malformed(file: h5.file, reason: "Keras layer \(layer) has no weight_names list of strings")
            }
            for weight in weightNames {
                let path = "\(layer)/\(weight)"
                let name = (path.hasSuffix(":0") ? String(path.dropLast(2)) : path).replacingOccurrences(of: "/", with: ".")
                found.append(HDF5DatasetEntry(path: prefix + path, name: name))
            }
        }
        return found
    }

    /// A list-of-strings attribute. Keras splits one that would pass HDF5's 64 KB attribute limit into
    /// NAME0, NAME1, … (models with thousands of layers); those are joined back. nil when absent; an
    /// attribute that holds something other than strings is an error.
    private static func stringList(_ name: String, on object: hid_t, _ h5: HDF5Session) throws -> [String]? {
        func strings(_ attribute: String) throws -> [String] {
            guard let values = try HDF5Attributes.strings(attribute, of: object, h5) else {
                throw CheckpointError.malformed(file: h5.file, reason: "Keras attribute \(attribute) is not a list of strings")
            }
            return values
        }
        if HDF5Attributes.exists(name, on: object) { return try strings(name) }
        var chunks: [String]?
        var index = 0
        while HDF5Attributes.exists("\(name)\(index)", on: object) {
            chunks = (chunks ?? []) + (try strings("\(name)\(index)"))
            index += 1
        }
        return chunks
    }
}
