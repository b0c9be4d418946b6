import Checkpoint
import Foundation
import Images

/// Reads a shard (layout in Shards.swift) by random access: the file is memory-mapped, the header and footer are
/// checked when it opens, and each image's length, position and zstd frame when it is read. Safe to use from
/// several threads at once (data-loading workers).
public final class ShardReader: @unchecked Sendable {
    public let path: String
    public let imageSize: Int
    public let records: [ShardRecord]
    public var count: Int { records.count }

    private let file: MappedFile
    private let offsets: [Int]
    /// Where the footer starts: the end of the last image.
    private let imagesEnd: Int
    private let decompressors = ZstdDecompressorPool()

    public init(path: String) throws {
        self.path = path
        do {
            file = try MappedFile(path: path)
        } catch let error as CheckpointError {
            if case let .unreadable(_, reason) = error { throw ShardError.unreadable(file: path, reason: reason) }
            throw ShardError.unreadable(file: path, reason: "\(error)")
        }
        let bytes = file.bytes
        guard bytes.count >= ShardFormat.magic.count, Array(bytes.raw.prefix(ShardFormat.magic.count)) == ShardFormat.magic else {
            throw ShardError.notAShard(file: path)
        }
        guard bytes.count >= ShardFormat.headerSize + ShardFormat.trailerSize else {
            throw ShardError.truncated(file: path, reason: "\(bytes.count) bytes, shorter than a header and a footer offset")
        }
        let version = bytes.loadLittleEndian(UInt32.self, at: 8)
        guard version == ShardFormat.version else { throw ShardError.unsupportedVersion(file: path, version: version) }
        let size = Int(bytes.loadLittleEndian(UInt32.self, at: 12))
        let declaredCount = bytes.loadLittleEndian(UInt64.self, at: ShardFormat.countOffset)
        guard size > 0 && size <= 1 << 15 else { throw ShardError.corrupt(file: path, reason: "image size \(size)") }
        imageSize = size

        // The footer offset is the file's last 8 bytes: a file cut anywhere loses it, and its value then points
        // nowhere sensible.
        let footerOffset = bytes.loadLittleEndian(UInt64.self, at: bytes.count - ShardFormat.trailerSize)
        guard footerOffset >= UInt64(ShardFormat.headerSize), footerOffset <= UInt64(bytes.count - ShardFormat.trailerSize) else {
            throw ShardError.truncated(file: path, reason: "the footer offset \(footerOffset) is outside the \(bytes.count)-byte file (was it cut short?)")
        }
        imagesEnd = Int(footerOffset)
        let footerBytes = bytes[imagesEnd..<(bytes.count - ShardFormat.trailerSize)]
        let footer: ShardFormat.Footer
        do {
            footer = try ShardFormat.decoder().decode(ShardFormat.Footer.self, from: Data(footerBytes.raw))
        } catch {
            throw ShardError.corrupt(file: path, reason: "the footer at byte \(footerOffset) is not the JSON index: \(describe(error))")
        }
        guard footer.offsets.count == footer.records.count, UInt64(footer.records.count) == declaredCount else {
            throw ShardError.corrupt(file: path, reason: "the header counts \(declaredCount) images, the footer has \(footer.offsets.count) offsets and \(footer.records.count) records")
        }
        // Images are packed back to back from the header to the footer, each at least its 8-byte length.
        var expected = UInt64(ShardFormat.headerSize)
        for (i, offset) in footer.offsets.enumerated() {
            let next = i + 1 < footer.offsets.count ? footer.offsets[i + 1] : footerOffset
            guard (i == 0 ? offset == expected : offset >= expected), next >= offset, next - offset > 8 else {
                throw ShardError.corrupt(file: path, reason: "image \(i) at offset \(offset) does not fit between byte \(expected) and the next image at \(next)")
            }
            expected = offset + 9
        }
        offsets = footer.offsets.map { Int($0) }
        records = footer.records
    }

    public func record(_ i: Int) -> ShardRecord {
        precondition(records.indices.contains(i), "\(path): image \(i) of \(count)")
        return records[i]
    }

    public func image(_ i: Int) throws -> RGBImage {
        precondition(records.indices.contains(i), "\(path): image \(i) of \(count)")
        let start = offsets[i]
        let end = i + 1 < offsets.count ? offsets[i + 1] : imagesEnd
        let length = file.bytes.loadLittleEndian(UInt64.self, at: start)
        guard length == UInt64(end - start - 8) else {
            throw ShardError.corrupt(file: path, reason: "image \(i) at byte \(start) has length \(length), but the index leaves \(end - start - 8) bytes for it")
        }
        let frame = file.bytes[(start + 8)..<end]
        let pixelCount = imageSize * imageSize * 3
        var failure: ZstdFailure?
        let pixels = [UInt8](unsafeUninitializedCapacity: pixelCount) { buffer, initialized in
            do {
                try decompressors.decompress(frame.raw, into: UnsafeMutableRawBufferPointer(buffer))
                initialized = pixelCount
            } catch {
                failure = error as? ZstdFailure
            }
        }
        if let failure { throw ShardError.corrupt(file: path, reason: "image \(i) at byte \(start): zstd: \(failure.message)") }
        return RGBImage(width: imageSize, height: imageSize, pixels: pixels)
    }
}

/// A decoding error in a few words: what is wrong, and where in the footer.
private func describe(_ error: Error) -> String {
    func at(_ path: [CodingKey]) -> String {
        path.isEmpty ? "" : " at " + path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
    }
    switch error as? DecodingError {
    case let .keyNotFound(key, context)?: return "missing \"\(key.stringValue)\"" + at(context.codingPath)
    case let .typeMismatch(_, context)?, let .valueNotFound(_, context)?: return "wrong type" + at(context.codingPath)
    case .dataCorrupted?: return "invalid JSON"
    default: return "\(error)"
    }
}
