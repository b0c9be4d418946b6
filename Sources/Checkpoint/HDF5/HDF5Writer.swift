import CHDF5
import Foundation

/// Writes tensors as an HDF5 file that h5py reads directly: one dataset per tensor at the root, under its
/// dotted name (`f["blocks.0.attn.qkv.weight"][...]`), in little-endian IEEE float64/32/16, int64/32/16/8,
/// uint8 or h5py's bool enum; a 0-d tensor is a scalar dataset. `attributes` become root string
/// attributes (variable-length UTF-8, `str` in h5py); the model spec goes under "zoo_spec".
///
/// The root group tracks link creation order, so `HDF5Reader` (and h5py) list the tensors in the order
/// given here; attributes come back in name order. The file appears at `path` only once complete.
public enum HDF5Writer {
    public static func write(_ tensors: [(name: String, tensor: StoredTensor)],
                             attributes: [(key: String, value: String)] = [], to path: String) throws {
        try validate(tensors, attributes, path)
        try writeAtomically(to: path) { temporary in
            try HDF5Library.withLock {
                let h5 = HDF5Session.writing(path)
                let creation = try h5.open(.propertyList, H5Pcreate(H5P_CLS_FILE_CREATE_ID_g), "creating the file")
                defer { creation.close() }
                // Indexed as well as tracked: a root with hundreds of tensors moves to dense storage,
                // where listing by creation order needs the index.
                let order = UInt32(H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED)
                try h5.check(H5Pset_link_creation_order(creation.id, order), "creating the file")

                let file = try h5.open(
                    .file, H5Fcreate(temporary, HDF5Constant.accessTruncate, creation.id, HDF5Constant.defaults), "creating the file")
                defer { file.close() }
                let root = try h5.open(.group, H5Gopen2(file.id, "/", HDF5Constant.defaults), "opening the root group")
                defer { root.close() }
                for (name, tensor) in tensors {
                    try writeDataset(tensor, named: name, in: root.id, h5)
                }
                for (key, value) in attributes {
                    try HDF5Attributes.writeString(value, named: key, on: root.id, h5)
                }
                root.close()
                // Closing flushes the file; failing here means it is incomplete.
                guard file.close() >= 0 else { throw h5.error("closing the file") }
            }
        }
    }

    /// Everything that can be refused is refused before a file is created.
    private static func validate(_ tensors: [(name: String, tensor: StoredTensor)],
                                 _ attributes: [(key: String, value: String)], _ path: String) throws {
        var names = Set<String>()
        for (name, tensor) in tensors {
            if tensor.dtype == .bf16 {
                throw CheckpointError.unsupportedDType(
                    file: path, tensor: name, dtype: "bf16 (HDF5 has no bfloat16 type; convert with --dtype f32)")
            }
            // "/" would be a group path, "." the root itself and a NUL would end the C string early.
            if name.isEmpty || name == "." || name.contains("/") || name.utf8.contains(0) {
                throw CheckpointError.cannotWrite(file: path, reason: "tensor name \(name.debugDescription) is not a valid HDF5 dataset name")
            }
            guard names.insert(name).inserted else {
                throw CheckpointError.cannotWrite(file: path, reason: "tensor \(name) appears twice")
            }
        }
        var keys = Set<String>()
        for (key, value) in attributes {
            guard !key.isEmpty, !key.utf8.contains(0), keys.insert(key).inserted else {
                throw CheckpointError.cannotWrite(file: path, reason: "attribute key \"\(key)\" is empty, contains a NUL or appears twice")
            }
            // Written as a C string, so a NUL would cut the value short.
            guard !value.utf8.contains(0) else {
                throw CheckpointError.cannotWrite(file: path, reason: "attribute \(key) contains a NUL character")
            }
        }
    }

    private static func writeDataset(_ tensor: StoredTensor, named name: String, in root: hid_t, _ h5: HDF5Session) throws {
        let step = "writing tensor \(name)"
        guard let type = try HDF5DataTypes.littleEndianType(for: tensor.dtype, h5) else {
            throw CheckpointError.unsupportedDType(file: h5.file, tensor: name, dtype: tensor.dtype.shortName)
        }
        defer { type.close() }
        let dims = tensor.shape.map { hsize_t($0) }
        let space = try h5.open(
            .dataspace, dims.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(dims.count), dims, nil), step)
        defer { space.close() }
        let dataset = try h5.open(
            .dataset, H5Dcreate2(root, name, type.id, space.id, HDF5Constant.defaults, HDF5Constant.defaults, HDF5Constant.defaults),
            step)
        defer { dataset.close() }
        // Memory type = file type: the bytes go in as they are (bit-exact, NaN payloads included).
        try h5.check(H5Dwrite(dataset.id, type.id, HDF5Constant.all, HDF5Constant.all, HDF5Constant.defaults, tensor.bytes.base), step)
    }
}
