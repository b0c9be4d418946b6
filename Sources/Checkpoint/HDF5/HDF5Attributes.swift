import CHDF5

/// String attributes. zoo writes metadata as variable-length UTF-8 scalars (h5py reads those back as
/// `str`); it reads those and the fixed-length byte strings numpy's `S` arrays become (Keras's
/// `layer_names`, h5py's `np.bytes_` values).
enum HDF5Attributes {
    /// The names of `object`'s attributes in name order (h5py's order for files that do not track
    /// attribute creation order).
    static func names(of object: hid_t, _ h5: HDF5Session) throws -> [String] {
        var names: [String] = []
        let status = withUnsafeMutablePointer(to: &names) { list in
            H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_INC, nil, { _, name, _, data in
                if let name, let data { data.assumingMemoryBound(to: [String].self).pointee.append(String(cString: name)) }
                return 0
            }, list)
        }
        try h5.check(status, "listing attributes")
        return names
    }

    static func exists(_ name: String, on object: hid_t) -> Bool {
        H5Aexists(object, name) > 0
    }

    /// A scalar string attribute's value; nil when the attribute is not a scalar string (numbers, lists).
    static func scalarString(_ name: String, of object: hid_t, _ h5: HDF5Session) throws -> String? {
        guard let (values, isScalar) = try read(name, of: object, h5), isScalar else { return nil }
        return values.first
    }

    /// A string attribute's values (one for a scalar); nil when it holds something other than strings.
    /// An empty attribute of any type is an empty list: Keras writes `np.asarray([])`, a float64 array,
    /// for a layer without weights.
    static func strings(_ name: String, of object: hid_t, _ h5: HDF5Session) throws -> [String]? {
        try read(name, of: object, h5)?.values
    }

    private static func read(_ name: String, of object: hid_t, _ h5: HDF5Session) throws -> (values: [String], isScalar: Bool)? {
        let step = "reading attribute \(name)"
        let attribute = try h5.open(.attribute, H5Aopen(object, name, HDF5Constant.defaults), step)
        defer { attribute.close() }
        let type = try h5.open(.datatype, H5Aget_type(attribute.id), step)
        defer { type.close() }
        let space = try h5.open(.dataspace, H5Aget_space(attribute.id), step)
        defer { space.close() }
        let isScalar = H5Sget_simple_extent_type(space.id) == H5S_SCALAR
        let count = Int(try h5.check(H5Sget_simple_extent_npoints(space.id), step))
        if count == 0 { return ([], false) }
        guard H5Tget_class(type.id) == H5T_STRING else { return nil }

        let isVariableLength = try h5.check(H5Tis_variable_str(type.id), step) > 0
        if isVariableLength {
            // libhdf5 allocates each string; H5Dvlen_reclaim frees them (also after a failed read).
            let memoryType = try h5.open(.datatype, H5Tcopy(H5T_C_S1_g), step)
            defer { memoryType.close() }
            try h5.check(H5Tset_size(memoryType.id, HDF5Constant.variableSize), step)
            try h5.check(H5Tset_cset(memoryType.id, H5Tget_cset(type.id)), step)
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            defer { H5Dvlen_reclaim(memoryType.id, space.id, HDF5Constant.defaults, &pointers) }
            try h5.check(H5Aread(attribute.id, memoryType.id, &pointers), step)
            return (pointers.map { $0.map { String(cString: $0) } ?? "" }, isScalar)
        }

        // Fixed length: `size` bytes each, ended by the first NUL (NULLTERM, NULLPAD) or padded with
        // spaces (SPACEPAD, Fortran's convention).
        let size = H5Tget_size(type.id)
        var bytes = [UInt8](repeating: 0, count: count * size)
        try h5.check(H5Aread(attribute.id, type.id, &bytes), step)
        let spacePadded = H5Tget_strpad(type.id) == H5T_STR_SPACEPAD
        let values = (0..<count).map { index -> String in
            var field = bytes[(index * size)..<((index + 1) * size)]
            if let end = field.firstIndex(of: 0) { field = field[..<end] }
            if spacePadded { while field.last == 0x20 { field = field.dropLast() } }
            return String(decoding: field, as: UTF8.self)
        }
        return (values, isScalar)
    }

    /// Writes `value` as a scalar variable-length UTF-8 string attribute (stored in the global heap, so
    /// a long model spec does not hit the 64 KB limit on attributes kept in an object header).
    static func writeString(_ value: String, named key: String, on object: hid_t, _ h5: HDF5Session) throws {
        let step = "writing attribute \(key)"
        let type = try h5.open(.datatype, H5Tcopy(H5T_C_S1_g), step)
        defer { type.close() }
        try h5.check(H5Tset_size(type.id, HDF5Constant.variableSize), step)
        try h5.check(H5Tset_cset(type.id, H5T_CSET_UTF8), step)
        let space = try h5.open(.dataspace, H5Screate(H5S_SCALAR), step)
        defer { space.close() }
        let attribute = try h5.open(
            .attribute, H5Acreate2(object, key, type.id, space.id, HDF5Constant.defaults, HDF5Constant.defaults), step)
        defer { attribute.close() }
        try value.withCString { characters in
            var pointer: UnsafePointer<CChar>? = characters
            try h5.check(H5Awrite(attribute.id, type.id, &pointer), step)
        }
    }
}
