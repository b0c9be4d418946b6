import Foundation
import JSON

/// Reads safetensors files: an 8-byte little-endian header length, a JSON header naming each tensor's
/// dtype, shape and byte range, then the data. The file is memory-mapped; tensors are windows into it.
/// Every check of the reference implementation is made, each with its own message.
public enum SafeTensorsReader {
    /// The reference implementation's limit on the header size.
    public static let maximumHeaderLength = 100_000_000

    /// Whether `buffer` starts like a safetensors file: a header length that fits the file and the
    /// limit, and a header that parses as a JSON object. (The tensors themselves are checked by `read`.)
    public static func hasParsableHeader(_ buffer: ByteBuffer) -> Bool {
        guard buffer.count >= 8 else { return false }
        let declared = buffer.loadLittleEndian(UInt64.self, at: 0)
        guard declared >= 2, declared <= UInt64(maximumHeaderLength), declared <= UInt64(buffer.count - 8) else { return false }
        let header = buffer[8..<(8 + Int(declared))]
        guard header.base.load(as: UInt8.self) == UInt8(ascii: "{"),
              let text = String(validating: header.raw, as: UTF8.self),
              case .object? = try? JSONParser.parse(text) else { return false }
        return true
    }

    public static func read(path: String) throws -> TensorFile {
        let file = try MappedFile(path: path)
        return try read(file.bytes, file: path)
    }

    /// Reads safetensors bytes; `file` names them in errors.
    public static func read(_ buffer: ByteBuffer, file: String) throws -> TensorFile {
        func fail(_ reason: String) -> CheckpointError { .malformed(file: file, reason: reason) }
        guard buffer.count >= 8 else { throw fail("file is \(buffer.count) bytes, shorter than the 8-byte header length") }
        let declared = buffer.loadLittleEndian(UInt64.self, at: 0)
        guard declared <= UInt64(maximumHeaderLength) else {
            throw fail("header length \(declared) exceeds the limit of \(maximumHeaderLength) bytes")
        }
        let headerLength = Int(declared)
        guard 8 + headerLength <= buffer.count else {
            throw fail("header length \(headerLength) runs past the end of the file (\(buffer.count) bytes)")
        }
        let headerBytes = buffer[8..<(8 + headerLength)]
        guard let text = String(validating: headerBytes.raw, as: UTF8.self) else { throw fail("header is not valid UTF-8") }
        guard text.first == "{" else { throw fail("header does not start with '{'") }
        let header: JSONValue
        do { header = try JSONParser.parse(text) } catch {
            throw fail("header is not valid JSON (\(error))")
        }
        guard case let .object(entries) = header else { throw fail("header is not a JSON object") }

        let data = buffer[(8 + headerLength)..<buffer.count]
        var metadata: [(key: String, value: String)] = []
        var found: [(name: String, dtype: DType, shape: [Int], start: Int, end: Int)] = []
        for (name, value) in entries {
            if name == "__metadata__" {
                guard case let .object(pairs) = value else { throw fail("__metadata__ is not an object") }
                for (k, v) in pairs {
                    guard case let .string(s) = v else { throw fail("__metadata__.\(k) is not a string") }
                    metadata.append((k, s))
                }
                continue
            }
            guard case .object = value, case let .string(dtypeName)? = value["dtype"] else {
                throw fail("tensor \(name): missing dtype")
            }
            guard let dtype = DType(rawValue: dtypeName) else {
                throw CheckpointError.unsupportedDType(file: file, tensor: name, dtype: dtypeName)
            }
            guard case let .array(shapeValues)? = value["shape"] else { throw fail("tensor \(name): missing shape") }
            var shape: [Int] = []
            var elements = 1
            for v in shapeValues {
                guard case let .integer(d) = v, d >= 0 else { throw fail("tensor \(name): shape entries must be non-negative integers") }
                let (product, overflow) = elements.multipliedReportingOverflow(by: d)
                guard !overflow else { throw fail("tensor \(name): shape \(JSONValue.array(shapeValues).serialized()) overflows the element count") }
                elements = product
                shape.append(d)
            }
            guard case let .array(offsets)? = value["data_offsets"], offsets.count == 2,
                  case let .integer(start) = offsets[0], case let .integer(end) = offsets[1], start >= 0, start <= end else {
                throw fail("tensor \(name): data_offsets must be two integers [start, end] with start ≤ end")
            }
            let (bytes, overflow) = elements.multipliedReportingOverflow(by: dtype.size)
            guard !overflow else { throw fail("tensor \(name): byte size overflows") }
            guard end - start == bytes else {
                throw fail("tensor \(name): \(end - start) bytes for \(elements) elements of \(dtype.rawValue) (expected \(bytes))")
            }
            found.append((name, dtype, shape, start, end))
        }
        // Byte ranges must tile the data exactly: no hole, no overlap, nothing past the end.
        let ordered = found.sorted { ($0.start, $0.end) < ($1.start, $1.end) }
        var position = 0
        for t in ordered {
            if t.start > position { throw fail("tensor \(t.name): data_offsets leave a hole at byte \(position)") }
            if t.start < position { throw fail("tensor \(t.name): data_offsets overlap the previous tensor at byte \(t.start)") }
            position = t.end
        }
        if position > data.count {
            throw fail("data_offsets run past the end of the buffer (\(position) > \(data.count) bytes of data)")
        }
        if position < data.count { throw fail("\(data.count - position) bytes after the last tensor are not described by the header") }
        let tensors = ordered.map { t in
            (name: t.name, tensor: StoredTensor(dtype: t.dtype, shape: t.shape, bytes: data[t.start..<t.end]))
        }
        return TensorFile(format: .safetensors, tensors: tensors, metadata: metadata)
    }

}
