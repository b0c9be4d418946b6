import CHDF5

/// A dataset to read: its path from the root group, and the tensor name zoo gives it.
struct HDF5DatasetEntry {
    var path: String
    var name: String
}

/// Finds every dataset under a group, depth first, for files laid out as plain groups: `blocks/0/attn/qkv/weight`
/// becomes `blocks.0.attn.qkv.weight`, and a dataset already named with dots at the root keeps its name.
enum HDF5GroupWalk {
    /// Deeper than this is a hard-link cycle (a group linked into itself), not a model.
    static let maximumDepth = 64

    static func datasets(under group: hid_t, _ h5: HDF5Session) throws -> [HDF5DatasetEntry] {
        var found: [HDF5DatasetEntry] = []
        try walk(group, components: [], into: &found, h5)
        return found
    }

    private static func walk(_ group: hid_t, components: [String], into found: inout [HDF5DatasetEntry], _ h5: HDF5Session) throws {
        let groupPath = components.isEmpty ? "/" : components.joined(separator: "/")
        guard components.count <= maximumDepth else {
            throw CheckpointError.malformed(file: h5.file, reason: "groups nest deeper than \(maximumDepth) levels at \(groupPath) (a link cycle?)")
        }
        for link in try hardLinkNames(of: group, h5) {
            let path = components + [link]
            let object = try h5.open(.object, H5Oopen(group, link, HDF5Constant.defaults), "opening \(path.joined(separator: "/"))")
            defer { object.close() }
            switch H5Iget_type(object.id) {
            case H5I_GROUP: try walk(object.id, components: path, into: &found, h5)
            case H5I_DATASET: found.append(HDF5DatasetEntry(path: path.joined(separator: "/"), name: path.joined(separator: ".")))
            default: break  // committed datatypes hold no values
            }
        }
    }

    /// The group's hard links in the order h5py lists them: creation order when the group tracks it (files
    /// zoo writes, h5py's `track_order=True`), else name order. Soft links are skipped because they name
    /// an object already listed under its own path; external links point into other files.
    static func hardLinkNames(of group: hid_t, _ h5: HDF5Session) throws -> [String] {
        if try tracksCreationOrder(group, h5) {
            // Creation order needs an index once a group grows past compact storage; without one,
            // libhdf5 refuses and name order is what is left.
            if let names = iterateHardLinks(of: group, order: H5_INDEX_CRT_ORDER) { return names }
            _ = HDF5Library.takeErrorStack()
        }
        guard let names = iterateHardLinks(of: group, order: H5_INDEX_NAME) else { throw h5.error("listing a group's members") }
        return names
    }

    private static func iterateHardLinks(of group: hid_t, order: H5_index_t) -> [String]? {
        var names: [String] = []
        let status = withUnsafeMutablePointer(to: &names) { list in
            H5Literate(group, order, H5_ITER_INC, nil, { _, name, info, data in
                if let name, let info, let data, info.pointee.type == H5L_TYPE_HARD {
                    data.assumingMemoryBound(to: [String].self).pointee.append(String(cString: name))
                }
                return 0
            }, list)
        }
        return status >= 0 ? names : nil
    }

    private static func tracksCreationOrder(_ group: hid_t, _ h5: HDF5Session) throws -> Bool {
        let properties = try h5.open(.propertyList, H5Gget_create_plist(group), "reading a group's properties")
        defer { properties.close() }
        var flags: UInt32 = 0
        try h5.check(H5Pget_link_creation_order(properties.id, &flags), "reading a group's properties")
        return flags & UInt32(H5P_CRT_ORDER_TRACKED) != 0
    }
}
