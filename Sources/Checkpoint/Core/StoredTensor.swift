import Foundation
import Tensors

/// A tensor as a file holds it: element type, shape and contiguous little-endian bytes (often a window
/// into a memory-mapped file, copied only when converted).
public struct StoredTensor: @unchecked Sendable {
    public var dtype: DType
    public var shape: [Int]
    public var bytes: ByteBuffer

    /// Readers check the shape against the file first (`byteCount(of:_:)`); a mismatch here is a bug.
    public init(dtype: DType, shape: [Int], bytes: ByteBuffer) {
        precondition(Self.byteCount(of: dtype, shape) == bytes.count, "\(bytes.count) bytes for \(dtype) \(shape)")
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// Elements in `shape`, or nil when an extent is negative or the product overflows: shapes come from
    /// files, so they are checked before anything is sized by them.
    public static func elementCount(of shape: [Int]) -> Int? {
        var count = 1
        for extent in shape {
            guard extent >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            guard !overflow else { return nil }
            count = product
        }
        return count
    }

    /// Bytes a tensor of this type and shape holds, or nil as for `elementCount(of:)`.
    public static func byteCount(of dtype: DType, _ shape: [Int]) -> Int? {
        guard let count = elementCount(of: shape) else { return nil }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.size)
        return overflow ? nil : bytes
    }

    /// Valid by construction (the initialiser checked it against the bytes).
    public var elementCount: Int { bytes.count / dtype.size }

    /// The values as a float32 tensor. An aligned float32 tensor shares the file's bytes (no copy);
    /// anything else is converted into new storage.
    public func floatTensor() -> Tensor {
        let n = elementCount
        if dtype == .f32, Int(bitPattern: bytes.base) % MemoryLayout<Float>.alignment == 0 {
            let pointer = UnsafeMutablePointer(mutating: bytes.base.assumingMemoryBound(to: Float.self))
            (bytes.owner as? MappedFile)?.lentWritablePages = true
            return Tensor(storage: Storage(borrowing: pointer, count: n, owner: bytes.owner), shape: shape)
        }
        let out = Tensor(uninitializedShape: shape)
        DTypeConversion.convert(bytes.base, from: dtype, to: UnsafeMutableRawPointer(out.data), as: .f32, count: n)
        return out
    }

    /// The same values in another element type (a copy; identical bytes when the type is unchanged).
    public func converted(to target: DType) -> StoredTensor {
        if target == dtype { return self }
        let (buffer, pointer) = ByteBuffer.allocate(elementCount * target.size)
        DTypeConversion.convert(bytes.base, from: dtype, to: pointer, as: target, count: elementCount)
        return StoredTensor(dtype: target, shape: shape, bytes: buffer)
    }

    /// A float32 tensor's bytes (copied).
    public init(_ tensor: Tensor) {
        let buffer = ByteBuffer(copying: UnsafeRawBufferPointer(start: tensor.data, count: tensor.count * 4))
        self.init(dtype: .f32, shape: tensor.shape, bytes: buffer)
    }
}

/// Element-type conversions through double (exact for every pair here except narrowing to a float type,
/// which rounds to nearest even as PyTorch does).
public enum DTypeConversion {
    public static func convert(_ src: UnsafeRawPointer, from: DType, to dst: UnsafeMutableRawPointer, as target: DType, count: Int) {
        if from == target {
            dst.copyMemory(from: src, byteCount: count * from.size)
            return
        }
        // Fast paths for the float conversions checkpoints use.
        switch (from, target) {
        case (.f16, .f32):
            let s = src.assumingMemoryBound(to: UInt16.self), d = dst.assumingMemoryBound(to: Float.self)
            for i in 0..<count { d[i] = Float(Float16(bitPattern: UInt16(littleEndian: s[i]))) }
            return
        case (.bf16, .f32):
            let s = src.assumingMemoryBound(to: UInt16.self), d = dst.assumingMemoryBound(to: UInt32.self)
            for i in 0..<count { d[i] = UInt32(UInt16(littleEndian: s[i])) << 16 }
            return
        case (.f32, .f16):
            let s = src.assumingMemoryBound(to: Float.self), d = dst.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count { d[i] = Float16(s[i]).bitPattern.littleEndian }
            return
        case (.f32, .bf16):
            let s = src.assumingMemoryBound(to: UInt32.self), d = dst.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count { d[i] = bfloat16Bits(fromFloatBits: UInt32(littleEndian: s[i])).littleEndian }
            return
        default:
            break
        }
        for i in 0..<count { store(load(src, from, i), dst, target, i) }
    }

    /// Rounds a float32 to bfloat16 (nearest, ties to even; NaN stays NaN).
    static func bfloat16Bits(fromFloatBits bits: UInt32) -> UInt16 { BFloat16.bits(fromFloatBits: bits) }

    @inline(__always)
    static func load(_ p: UnsafeRawPointer, _ t: DType, _ i: Int) -> Double {
        switch t {
        case .f64: return Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))
        case .f32: return Double(Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))))
        case .f16: return Double(Float16(bitPattern: UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
        case .bf16: return Double(Float(bitPattern: UInt32(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16))
        case .i64: return Double(Int64(littleEndian: p.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)))
        case .i32: return Double(Int32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
        case .i16: return Double(Int16(littleEndian: p.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)))
        case .i8: return Double(p.load(fromByteOffset: i, as: Int8.self))
        case .u8: return Double(p.load(fromByteOffset: i, as: UInt8.self))
        case .bool: return p.load(fromByteOffset: i, as: UInt8.self) != 0 ? 1 : 0
        }
    }

    @inline(__always)
    static func store(_ v: Double, _ p: UnsafeMutableRawPointer, _ t: DType, _ i: Int) {
        func clamp<I: FixedWidthInteger>(_: I.Type) -> I {
            if v.isNaN { return 0 }
            return I(max(Double(I.min), min(Double(I.max), v.rounded(.towardZero))))
        }
        switch t {
        case .f64: p.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: 8 * i, as: UInt64.self)
        case .f32: p.storeBytes(of: Float(v).bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
        case .f16: p.storeBytes(of: Float16(Float(v)).bitPattern.littleEndian, toByteOffset: 2 * i, as: UInt16.self)
        case .bf16: p.storeBytes(of: bfloat16Bits(fromFloatBits: Float(v).bitPattern).littleEndian, toByteOffset: 2 * i, as: UInt16.self)
        case .i64: p.storeBytes(of: clamp(Int64.self).littleEndian, toByteOffset: 8 * i, as: Int64.self)
        case .i32: p.storeBytes(of: clamp(Int32.self).littleEndian, toByteOffset: 4 * i, as: Int32.self)
        case .i16: p.storeBytes(of: clamp(Int16.self).littleEndian, toByteOffset: 2 * i, as: Int16.self)
        case .i8: p.storeBytes(of: clamp(Int8.self), toByteOffset: i, as: Int8.self)
        case .u8: p.storeBytes(of: clamp(UInt8.self), toByteOffset: i, as: UInt8.self)
        case .bool: p.storeBytes(of: UInt8(v != 0 ? 1 : 0), toByteOffset: i, as: UInt8.self)
        }
    }
}
