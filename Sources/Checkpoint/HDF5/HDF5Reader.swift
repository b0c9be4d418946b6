import CHDF5
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads the tensors of an HDF5 file: zoo's and h5py's flat layout (dotted dataset names at the root),
/// nested groups (`blocks/0/attn/qkv/weight` → `blocks.0.attn.qkv.weight`) and Keras 2 weight files (see
/// `KerasWeightLayout`). Root attributes holding one string become `metadata` (zoo's model spec sits
/// under "zoo_spec"); numbers and lists are left out, since metadata is text.
///
/// Values are copied into memory (HDF5 may store them chunked, compressed or big-endian, so the file's
/// bytes cannot be mapped the way safetensors' are) and come out as little-endian bytes.
public enum HDF5Reader {
    public static func read(path: String) throws -> TensorFile {
        try requireRegularFile(path)
        return try HDF5Library.withLock {
            let h5 = HDF5Session.reading(path)
            let signature = H5Fis_hdf5(path)
            guard signature != 0 else { throw CheckpointError.malformed(file: path, reason: "not an HDF5 file (no HDF5 signature)") }
            try h5.check(signature, "checking the HDF5 signature")

            let file = try h5.open(.file, H5Fopen(path, HDF5Constant.accessReadOnly, HDF5Constant.defaults), "cannot open")
            defer { file.close() }
            let root = try h5.open(.group, H5Gopen2(file.id, "/", HDF5Constant.defaults), "opening the root group")
            defer { root.close() }

            let metadata = try HDF5Attributes.names(of: root.id, h5).compactMap { key in
                try HDF5Attributes.scalarString(key, of: root.id, h5).map { (key: key, value: $0) }
            }
            let entries = try KerasWeightLayout.datasets(in: root.id, h5) ?? HDF5GroupWalk.datasets(under: root.id, h5)

            var tensors: [(name: String, tensor: StoredTensor)] = []
            var pathByName: [String: String] = [:]
            for entry in entries {
                // `a.b` at the root and `a/b` in a group would both be tensor a.b.
                if let earlier = pathByName.updateValue(entry.path, forKey: entry.name) {
                    throw CheckpointError.malformed(file: path, reason: "datasets \(earlier) and \(entry.path) both map to tensor \(entry.name)")
                }
                tensors.append((entry.name, try readDataset(entry.path, in: root.id, h5)))
            }
            return TensorFile(format: .hdf5, tensors: tensors, metadata: metadata)
        }
    }

    /// A missing file or a directory gets the system's reason rather than libhdf5's "unable to open file".
    private static func requireRegularFile(_ path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { throw CheckpointError.unreadable(file: path, reason: String(cString: strerror(errno))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw CheckpointError.unreadable(file: path, reason: "not a regular file") }
    }

    private static func readDataset(_ path: String, in root: hid_t, _ h5: HDF5Session) throws -> StoredTensor {
        let step = "reading dataset \(path)"
        let dataset = try h5.open(.dataset, H5Dopen2(root, path, HDF5Constant.defaults), "opening dataset \(path)")
        defer { dataset.close() }
        let fileType = try h5.open(.datatype, H5Dget_type(dataset.id), step)
        defer { fileType.close() }
        let (dtype, memoryType) = try HDF5DataTypes.readType(of: fileType.id, tensor: path, h5)
        defer { memoryType.close() }
        let space = try h5.open(.dataspace, H5Dget_space(dataset.id), step)
        defer { space.close() }
        let shape = try shapeOf(space.id, dataset: path, h5)

        var byteCount = dtype.size
        for extent in shape {
            let (product, overflow) = byteCount.multipliedReportingOverflow(by: extent)
            guard !overflow else { throw CheckpointError.malformed(file: h5.file, reason: "dataset \(path) of shape \(shape) is too large") }
            byteCount = product
        }
        let (buffer, pointer) = ByteBuffer.allocate(byteCount)
        // H5S_ALL twice: the whole dataset into a contiguous buffer of the same shape, converted from the
        // file type to `memoryType` on the way.
        try h5.check(H5Dread(dataset.id, memoryType.id, HDF5Constant.all, HDF5Constant.all, HDF5Constant.defaults, pointer), step)
        return StoredTensor(dtype: dtype, shape: shape, bytes: buffer)
    }

    /// A scalar dataspace is shape []; a null one (h5py.Empty) holds no values at all and is refused.
    private static func shapeOf(_ space: hid_t, dataset path: String, _ h5: HDF5Session) throws -> [Int] {
        switch H5Sget_simple_extent_type(space) {
        case H5S_SCALAR:
            return []
        case H5S_SIMPLE:
            let rank = Int(try h5.check(H5Sget_simple_extent_ndims(space), "reading the shape of \(path)"))
            var dims = [hsize_t](repeating: 0, count: rank)
            try h5.check(H5Sget_simple_extent_dims(space, &dims, nil), "reading the shape of \(path)")
            return try dims.map { extent in
                guard let extent = Int(exactly: extent) else {
                    throw CheckpointError.malformed(file: h5.file, reason: "dataset \(path) has extent \(extent)")
                }
                return extent
            }
        default:
            throw CheckpointError.malformed(file: h5.file, reason: "dataset \(path) has an empty (null) dataspace, so no values")
        }
    }
}
