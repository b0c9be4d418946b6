import Foundation

/// One record of a TensorBoard event file: TensorFlow's `Event` message with the fields scalars use.
public struct TensorBoardEvent: Equatable, Sendable {
    public var wallTime: Double
    public var step: Int64
    /// Set on the first record of a file ("brain.Event:2").
    public var fileVersion: String?
    /// `Summary.value[*]` with a `simple_value`: (tag, value).
    public var scalars: [Scalar]

    public struct Scalar: Equatable, Sendable {
        public var tag: String
        public var value: Float
        public init(tag: String, value: Float) {
            self.tag = tag
            self.value = value
        }
    }

    public init(wallTime: Double, step: Int64, fileVersion: String? = nil, scalars: [Scalar] = []) {
        self.wallTime = wallTime
        self.step = step
        self.fileVersion = fileVersion
        self.scalars = scalars
    }
}

/// The protobuf wire format of the three messages scalars need (tensorflow/core/util/event.proto and
/// framework/summary.proto):
///
///     Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
///     Summary { repeated Value value = 1; }
///     Value   { string tag = 1; float simple_value = 2; }
///
/// Hand-written rather than generated with swift-protobuf: these six fields are all zoo writes or reads,
/// and the generator plugin plus the .proto files of TensorFlow would be a large build dependency for
/// about forty lines of encoding. Field numbers are fixed by TensorBoard's compatibility promise.
enum EventProto {
    static func encode(_ event: TensorBoardEvent) -> [UInt8] {
        var out: [UInt8] = []
        out.append(0x09)  // field 1, 64-bit
        appendLittleEndian(event.wallTime.bitPattern, to: &out)
        out.append(0x10)  // field 2, varint
        appendVarint(UInt64(bitPattern: event.step), to: &out)
        if let version = event.fileVersion { appendField(3, Array(version.utf8), to: &out) }
        if !event.scalars.isEmpty {
            var summary: [UInt8] = []
            for scalar in event.scalars {
                var value: [UInt8] = []
                appendField(1, Array(scalar.tag.utf8), to: &value)
                value.append(0x15)  // field 2, 32-bit
                appendLittleEndian(scalar.value.bitPattern, to: &value)
                appendField(1, value, to: &summary)
            }
            appendField(5, summary, to: &out)
        }
        return out
    }

    static func decode(_ bytes: ArraySlice<UInt8>) throws -> TensorBoardEvent {
        var event = TensorBoardEvent(wallTime: 0, step: 0)
        var reader = WireReader(bytes: bytes)
        while let (field, wire) = try reader.key() {
            switch (field, wire) {
            case (1, 1): event.wallTime = Double(bitPattern: try reader.fixed64())
            case (2, 0): event.step = Int64(bitPattern: try reader.varint())
            case (3, 2): event.fileVersion = String(decoding: try reader.lengthDelimited(), as: UTF8.self)
            case (5, 2):
                var summary = WireReader(bytes: try reader.lengthDelimited())
                while let (f, w) = try summary.key() {
                    guard f == 1, w == 2 else { try summary.skip(wire: w); continue }
                    var value = WireReader(bytes: try summary.lengthDelimited())
                    var tag: String?, number: Float?
                    while let (vf, vw) = try value.key() {
                        switch (vf, vw) {
                        case (1, 2): tag = String(decoding: try value.lengthDelimited(), as: UTF8.self)
                        case (2, 5): number = Float(bitPattern: UInt32(truncatingIfNeeded: try value.fixed32()))
                        default: try value.skip(wire: vw)
                        }
                    }
                    if let tag, let number { event.scalars.append(.init(tag: tag, value: number)) }
                }
            default: try reader.skip(wire: wire)
            }
        }
        return event
    }

    private static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    private static func appendField(_ number: Int, _ payload: [UInt8], to out: inout [UInt8]) {
        appendVarint(UInt64(number << 3 | 2), to: &out)
        appendVarint(UInt64(payload.count), to: &out)
        out += payload
    }

    static func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out += $0 }
    }

    struct Malformed: Error {}

    /// Reads protobuf fields from bytes whose lengths are untrusted: every length is checked against
    /// what is left.
    struct WireReader {
        var bytes: ArraySlice<UInt8>

        mutating func key() throws -> (Int, Int)? {
            if bytes.isEmpty { return nil }
            let k = try varint()
            guard k >> 3 > 0, k >> 3 < 1 << 29 else { throw Malformed() }
            return (Int(k >> 3), Int(k & 7))
        }

        mutating func varint() throws -> UInt64 {
            var result: UInt64 = 0
            for shift in stride(from: 0, to: 64, by: 7) {
                guard let b = bytes.popFirst() else { throw Malformed() }
                result |= UInt64(b & 0x7F) << UInt64(shift)
                if b < 0x80 { return result }
            }
            throw Malformed()
        }

        mutating func fixed64() throws -> UInt64 { try fixed(8) }
        mutating func fixed32() throws -> UInt64 { try fixed(4) }

        private mutating func fixed(_ n: Int) throws -> UInt64 {
            guard bytes.count >= n else { throw Malformed() }
            var v: UInt64 = 0
            for (i, b) in bytes.prefix(n).enumerated() { v |= UInt64(b) << UInt64(8 * i) }
            bytes = bytes.dropFirst(n)
            return v
        }

        mutating func lengthDelimited() throws -> ArraySlice<UInt8> {
            let n = try varint()
            guard n <= UInt64(bytes.count) else { throw Malformed() }
            let payload = bytes.prefix(Int(n))
            bytes = bytes.dropFirst(Int(n))
            return payload
        }

        mutating func skip(wire: Int) throws {
            switch wire {
            case 0: _ = try varint()
            case 1: _ = try fixed64()
            case 2: _ = try lengthDelimited()
            case 5: _ = try fixed32()
            default: throw Malformed()
            }
        }
    }
}

public enum TensorBoardError: Error, CustomStringConvertible, Equatable {
    case cannotWrite(file: String, reason: String)
    case malformed(file: String, offset: Int, reason: String)

    public var description: String {
        switch self {
        case let .cannotWrite(file, reason): return "\(file): cannot write: \(reason)"
        case let .malformed(file, offset, reason): return "\(file): record at byte \(offset): \(reason)"
        }
    }
}

/// TFRecord framing of an event file: each record is
///
///     uint64 length, uint32 masked_crc32c(length bytes), data[length], uint32 masked_crc32c(data)
///
/// all little-endian.
enum TFRecord {
    static func frame(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + 16)
        EventProto.appendLittleEndian(UInt64(data.count), to: &out)
        EventProto.appendLittleEndian(CRC32C.masked(out), to: &out)
        out += data
        EventProto.appendLittleEndian(CRC32C.masked(data), to: &out)
        return out
    }
}

/// Appends scalar events to `events.out.tfevents.*` in a run folder, so `tensorboard --logdir runs`
/// plots every run's loss, learning rate and test metrics. Each record is written and flushed whole;
/// a process killed mid-record leaves a truncated tail, which TensorBoard's reader stops at (it keeps
/// every complete record before it).
public final class TensorBoardWriter {
    public let path: String
    private let handle: FileHandle

    /// Creates a new event file in `folder` (a resumed run gets a second file; TensorBoard reads them
    /// in name order, which is time order).
    public init(folder: String, wallTime: Double = Date().timeIntervalSince1970,
                host: String = ProcessInfo.processInfo.hostName) throws {
        let safeHost = String(host.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." ? $0 : "_" }.prefix(64))
        path = folder + "/events.out.tfevents.\(String(format: "%010d", Int(wallTime))).\(safeHost).\(getpid())"
        guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
            throw TensorBoardError.cannotWrite(file: path, reason: "cannot create the event file")
        }
        handle = h
        try write(TensorBoardEvent(wallTime: wallTime, step: 0, fileVersion: "brain.Event:2"))
    }

    deinit { try? handle.close() }

    /// One event holding `scalars` at `step`.
    public func add(_ scalars: [(tag: String, value: Double)], step: Int, wallTime: Double = Date().timeIntervalSince1970) throws {
        let values = scalars.filter { $0.value.isFinite }.map { TensorBoardEvent.Scalar(tag: $0.tag, value: Float($0.value)) }
        guard !values.isEmpty else { return }
        try write(TensorBoardEvent(wallTime: wallTime, step: Int64(step), scalars: values))
    }

    func write(_ event: TensorBoardEvent) throws {
        do {
            try handle.write(contentsOf: TFRecord.frame(EventProto.encode(event)))
        } catch {
            throw TensorBoardError.cannotWrite(file: path, reason: "\(error.localizedDescription)")
        }
    }
}

/// Reads an event file back, checking both CRCs of every record.
public enum TensorBoardReader {
    public static func read(path: String) throws -> [TensorBoardEvent] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TensorBoardError.malformed(file: path, offset: 0, reason: "cannot read the file")
        }
        let bytes = [UInt8](data)
        var events: [TensorBoardEvent] = []
        var offset = 0
        func u32(_ o: Int) -> UInt32 { bytes[o..<(o + 4)].enumerated().reduce(0) { $0 | UInt32($1.element) << UInt32(8 * $1.offset) } }
        while offset < bytes.count {
            guard bytes.count - offset >= 12 else {
                throw TensorBoardError.malformed(file: path, offset: offset, reason: "truncated record header")
            }
            let lengthBytes = bytes[offset..<(offset + 8)]
            let length = lengthBytes.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << UInt64(8 * $1.offset) }
            guard u32(offset + 8) == CRC32C.masked(lengthBytes) else {
                throw TensorBoardError.malformed(file: path, offset: offset, reason: "length CRC mismatch")
            }
            guard length <= UInt64(bytes.count - offset - 16) else {
                throw TensorBoardError.malformed(file: path, offset: offset, reason: "record of \(length) bytes runs past the end")
            }
            let start = offset + 12, end = start + Int(length)
            guard u32(end) == CRC32C.masked(bytes[start..<end]) else {
                throw TensorBoardError.malformed(file: path, offset: offset, reason: "data CRC mismatch")
            }
            do { events.append(try EventProto.decode(bytes[start..<end])) } catch {
                throw TensorBoardError.malformed(file: path, offset: offset, reason: "not an Event message")
            }
            offset = end + 4
        }
        return events
    }
}
