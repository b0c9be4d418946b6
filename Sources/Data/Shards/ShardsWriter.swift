import Foundation
import Images

/// Writes a shard (layout in Shards.swift) image by image. Everything goes to a temporary file beside `path`,
/// renamed into place by `finish()`: a crashed or abandoned writer never leaves a half-written shard under the
/// real name, so a dataset folder only ever holds complete shards.
public final class ShardWriter {
    public let path: String
    public let imageSize: Int
    public private(set) var count = 0

    private let temporaryPath: String
    private var descriptor: Int32
    private var position: UInt64 = 0
    private var offsets: [UInt64] = []
    private var records: [ShardRecord] = []
    private let compressor: ZstdCompressor
    private var finished = false

    /// Level −1 (zstd's fast mode) by default: raw pixels compress little at any level, and the fast
    /// levels decompress about twice as fast as level 3, which is what reading a shard waits for.
    public init(path: String, imageSize: Int, compressionLevel: Int = -1) throws {
        precondition(imageSize > 0 && imageSize <= 1 << 15, "shard image size \(imageSize) is outside 1…32768")
        self.path = path
        self.imageSize = imageSize
        compressor = ZstdCompressor(level: compressionLevel)
        let url = URL(fileURLWithPath: path)
        temporaryPath = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw ShardError.cannotWrite(file: path, reason: String(cString: strerror(errno))) }
        var header = ShardFormat.magic
        header += littleEndianBytes(ShardFormat.version) + littleEndianBytes(UInt32(imageSize)) + littleEndianBytes(UInt64(0))
        try write(header)
    }

    deinit {
        // Abandoned before finish(): remove the partial file.
        if !finished {
            close(descriptor)
            unlink(temporaryPath)
        }
    }

    /// Adds one image (it must be imageSize × imageSize) with its record.
    public func append(_ image: RGBImage, record: ShardRecord) throws {
        precondition(!finished, "\(path): append after finish()")
        guard image.width == imageSize && image.height == imageSize else {
            throw ShardError.wrongImageSize(file: path, expected: imageSize, width: image.width, height: image.height)
        }
        let frame: [UInt8]
        do {
            frame = try image.pixels.withUnsafeBytes { try compressor.compress($0) }
        } catch let failure as ZstdFailure {
            throw ShardError.cannotWrite(file: path, reason: "zstd: \(failure.message)")
        }
        offsets.append(position)
        try write(littleEndianBytes(UInt64(frame.count)) + frame)
        records.append(record)
        count += 1
    }

    /// Writes the footer and the image count, and renames the file into place.
    public func finish() throws {
        precondition(!finished, "\(path): finish() called twice")
        let footer: Data
        do {
            footer = try ShardFormat.encoder().encode(ShardFormat.Footer(offsets: offsets, records: records))
        } catch {
            throw ShardError.cannotWrite(file: path, reason: "cannot encode the records: \(error)")
        }
        let footerOffset = position
        try write([UInt8](footer) + littleEndianBytes(footerOffset))
        let countBytes = littleEndianBytes(UInt64(count))
        guard pwrite(descriptor, countBytes, countBytes.count, off_t(ShardFormat.countOffset)) == countBytes.count,
              fsync(descriptor) == 0 else {
            throw ShardError.cannotWrite(file: path, reason: String(cString: strerror(errno)))
        }
        close(descriptor)
        finished = true
        guard rename(temporaryPath, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw ShardError.cannotWrite(file: path, reason: reason)
        }
    }

    private func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = Glibc.write(descriptor, raw.baseAddress! + done, raw.count - done)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw ShardError.cannotWrite(file: path, reason: String(cString: strerror(errno))) }
                done += n
            }
        }
        position += UInt64(bytes.count)
    }
}

private func littleEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian) { Array($0) }
}
