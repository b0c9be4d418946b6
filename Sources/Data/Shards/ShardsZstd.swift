import CZstd
import Foundation

/// A reusable zstd compression context (reusing it saves an allocation of several hundred KB per image).
/// Frames carry a content checksum, so damaged image data is an error on reading, not wrong pixels.
final class ZstdCompressor {
    private let context: OpaquePointer

    init(level: Int) {
        guard let context = ZSTD_createCCtx() else { fatalError("ZSTD_createCCtx: out of memory") }
        self.context = context
        ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, Int32(level))
        ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1)
    }

    deinit { ZSTD_freeCCtx(context) }

    /// One zstd frame holding `input` (with its size recorded in the frame header).
    func compress(_ input: UnsafeRawBufferPointer) throws -> [UInt8] {
        let bound = ZSTD_compressBound(input.count)
        var failure: String?
        let frame = [UInt8](unsafeUninitializedCapacity: bound) { buffer, count in
            let written = ZSTD_compress2(context, buffer.baseAddress, bound, input.baseAddress, input.count)
            if ZSTD_isError(written) != 0 { failure = zstdErrorName(written) } else { count = written }
        }
        if let failure { throw ZstdFailure(message: failure) }
        return frame
    }
}

/// zstd decompression contexts for concurrent readers: each call borrows one, so threads never share a context
/// and none is allocated per image.
final class ZstdDecompressorPool: @unchecked Sendable {
    private var idle: [OpaquePointer] = []
    private let lock = NSLock()

    deinit { for context in idle { ZSTD_freeDCtx(context) } }

    /// Decompresses one frame into exactly `output.count` bytes; the message says what is wrong otherwise.
    func decompress(_ frame: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws {
        let declared = ZSTD_getFrameContentSize(frame.baseAddress, frame.count)
        // ZSTD_CONTENTSIZE_ERROR and _UNKNOWN are the two largest UInt64 values.
        if declared == UInt64.max - 1 { throw ZstdFailure(message: "not a zstd frame") }
        if declared != UInt64.max && declared != UInt64(output.count) {
            throw ZstdFailure(message: "the frame holds \(declared) bytes, expected \(output.count)")
        }
        let context = borrow()
        defer { giveBack(context) }
        let written = ZSTD_decompressDCtx(context, output.baseAddress, output.count, frame.baseAddress, frame.count)
        if ZSTD_isError(written) != 0 { throw ZstdFailure(message: zstdErrorName(written)) }
        if written != output.count { throw ZstdFailure(message: "the frame holds \(written) bytes, expected \(output.count)") }
    }

    private func borrow() -> OpaquePointer {
        lock.lock()
        defer { lock.unlock() }
        if let context = idle.popLast() { return context }
        guard let context = ZSTD_createDCtx() else { fatalError("ZSTD_createDCtx: out of memory") }
        return context
    }

    private func giveBack(_ context: OpaquePointer) {
        lock.lock()
        idle.append(context)
        lock.unlock()
    }
}

struct ZstdFailure: Error {
    let message: String
}

private func zstdErrorName(_ code: Int) -> String { String(cString: ZSTD_getErrorName(code)) }
