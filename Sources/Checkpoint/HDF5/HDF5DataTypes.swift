import CHDF5

/// Which HDF5 datatype stands for which DType. zoo writes explicit little-endian types and reads every
/// file type into one: H5Dread converts (byte-swapping big-endian data, widening odd integer widths), so a
/// StoredTensor's bytes are little-endian on any host without zoo swapping anything itself.
enum HDF5DataTypes {
    /// The little-endian HDF5 type for `dtype`, a new id the caller closes; nil for bf16, which HDF5 has no
    /// standard type for (h5py and other readers would not know it).
    static func littleEndianType(for dtype: DType, _ h5: HDF5Session) throws -> HDF5Handle? {
        func copy(_ predefined: hid_t) throws -> HDF5Handle {
            try h5.open(.datatype, H5Tcopy(predefined), "copying a predefined datatype")
        }
        switch dtype {
        case .f64: return try copy(H5T_IEEE_F64LE_g)
        case .f32: return try copy(H5T_IEEE_F32LE_g)
        case .f16:
            // HDF5 1.10 predefines no half type; this is the one h5py and numpy's float16 use:
            // sign bit 15, exponent bits 10-14 (bias 15), mantissa bits 0-9.
            let half = try copy(H5T_IEEE_F32LE_g)
            try h5.check(H5Tset_fields(half.id, 15, 10, 5, 0, 10), "building the float16 type")
            try h5.check(H5Tset_size(half.id, 2), "building the float16 type")
            try h5.check(H5Tset_ebias(half.id, 15), "building the float16 type")
            return half
        case .bf16: return nil
        case .i64: return try copy(H5T_STD_I64LE_g)
        case .i32: return try copy(H5T_STD_I32LE_g)
        case .i16: return try copy(H5T_STD_I16LE_g)
        case .i8: return try copy(H5T_STD_I8LE_g)
        case .u8: return try copy(H5T_STD_U8LE_g)
        case .bool:
            // h5py's bool: an enum over int8 with members FALSE = 0 and TRUE = 1; h5py reads it back as
            // numpy bool, where a plain uint8 would come back as numbers.
            let boolean = try h5.open(.datatype, H5Tenum_create(H5T_STD_I8LE_g), "building the bool type")
            for (name, value) in [("FALSE", Int8(0)), ("TRUE", Int8(1))] {
                var value = value
                try h5.check(H5Tenum_insert(boolean.id, name, &value), "building the bool type")
            }
            return boolean
        }
    }

    /// The DType a dataset of `fileType` is read as, and the memory type to pass H5Dread (a new id the
    /// caller closes). Types with no DType throw `unsupportedDType` naming `tensor`.
    static func readType(of fileType: hid_t, tensor: String, _ h5: HDF5Session) throws -> (DType, memoryType: HDF5Handle) {
        func unsupported(_ description: String) -> CheckpointError {
            .unsupportedDType(file: h5.file, tensor: tensor, dtype: description)
        }
        let size = H5Tget_size(fileType)
        let typeClass = H5Tget_class(fileType)
        let dtype: DType
        switch typeClass {
        case H5T_FLOAT:
            switch (size, floatLayout(of: fileType)) {
            case (2, .half): dtype = .f16
            case (2, .bfloat16): dtype = .bf16
            case (4, _): dtype = .f32
            case (8, _): dtype = .f64
            default: throw unsupported("\(8 * size)-bit float")
            }
        case H5T_INTEGER:
            let signed = H5Tget_sign(fileType) == H5T_SGN_2
            switch (signed, size) {
            case (true, 8): dtype = .i64
            case (true, 4): dtype = .i32
            case (true, 2): dtype = .i16
            case (true, 1): dtype = .i8
            case (false, 1): dtype = .u8
            // DType has no wider unsigned types; widening to the next signed one loses nothing.
            case (false, 2): dtype = .i32
            case (false, 4): dtype = .i64
            default: throw unsupported("\(signed ? "int" : "uint")\(8 * size)")
            }
        case H5T_ENUM:
            guard isBoolean(fileType) else { throw unsupported("enum") }
            // Read with the file's own enum type: the bytes are the member values, 0 and 1. (Enum-to-enum
            // conversion would match members by name and fail on spellings other than h5py's.)
            return (.bool, try h5.open(.datatype, H5Tcopy(fileType), "copying an enum type"))
        default:
            throw unsupported(className(typeClass))
        }
        let memoryType = try littleEndianType(for: dtype, h5) ?? bfloat16LittleEndian(like: fileType, h5)
        return (dtype, memoryType)
    }

    private enum FloatLayout { case half, bfloat16, other }

    private static func floatLayout(of type: hid_t) -> FloatLayout {
        var signPosition = 0, exponentPosition = 0, exponentSize = 0, mantissaPosition = 0, mantissaSize = 0
        guard H5Tget_fields(type, &signPosition, &exponentPosition, &exponentSize, &mantissaPosition, &mantissaSize) >= 0 else {
            return .other
        }
        let bias = H5Tget_ebias(type)
        switch (signPosition, exponentPosition, exponentSize, mantissaPosition, mantissaSize, bias) {
        case (15, 10, 5, 0, 10, 15): return .half
        case (15, 7, 8, 0, 7, 127): return .bfloat16
        default: return .other
        }
    }

    /// zoo never writes bfloat16, but some tools store it as a custom 16-bit float; read it as is.
    private static func bfloat16LittleEndian(like fileType: hid_t, _ h5: HDF5Session) throws -> HDF5Handle {
        let type = try h5.open(.datatype, H5Tcopy(fileType), "copying a float type")
        try h5.check(H5Tset_order(type.id, H5T_ORDER_LE), "setting a float type's byte order")
        return type
    }

    /// h5py's bool (and any enum over a 1-byte integer whose two members are 0 and 1).
    private static func isBoolean(_ type: hid_t) -> Bool {
        guard H5Tget_nmembers(type) == 2, H5Tget_size(type) == 1 else { return false }
        var values: [Int8] = [0, 0]
        for member in 0..<2 {
            guard H5Tget_member_value(type, UInt32(member), &values[member]) >= 0 else { return false }
        }
        return Set(values) == [0, 1]
    }

    private static func className(_ typeClass: H5T_class_t) -> String {
        switch typeClass {
        case H5T_STRING: return "string"
        case H5T_COMPOUND: return "compound"
        case H5T_OPAQUE: return "opaque"
        case H5T_BITFIELD: return "bitfield"
        case H5T_REFERENCE: return "reference"
        case H5T_VLEN: return "variable-length sequence"
        case H5T_ARRAY: return "array"
        case H5T_TIME: return "time"
        default: return "HDF5 type class \(typeClass.rawValue)"
        }
    }
}
