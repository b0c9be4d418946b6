import Foundation

/// The entries of a zip archive as `torch.save` writes it: stored (uncompressed) members, ZIP64 for
/// archives over 4 GiB. Read from the central directory of a memory-mapped file, so each member is a
/// window into the mapping and nothing is copied. (ZIPFoundation extracts through buffers; a 1 GB
/// checkpoint would be copied twice.)
struct ZipArchive {
    struct Entry {
        let name: String
        let data: ByteBuffer
    }

    let entries: [Entry]
    /// Index of each name's first entry: a crafted archive can hold many members, and storages are
    /// looked up one by one.
    private let index: [String: Int]

    func entry(_ name: String) -> Entry? { index[name].map { entries[$0] } }

    /// Offsets and sizes come from the file: each range is checked against its size before it is used
    /// (`end(of:length:)`), and 64-bit values are kept only when they fit in an Int.
    init(_ buffer: ByteBuffer, file: String) throws {
        func fail(_ reason: String) -> CheckpointError { .malformed(file: file, reason: "zip archive: \(reason)") }
        func u16(_ o: Int) -> Int { Int(buffer.loadLittleEndian(UInt16.self, at: o)) }
        func u32(_ o: Int) -> Int { Int(buffer.loadLittleEndian(UInt32.self, at: o)) }
        func u64(_ o: Int) -> Int? { Int(exactly: buffer.loadLittleEndian(UInt64.self, at: o)) }
        /// `start + length` when both are non-negative and the range lies inside the file.
        func end(of start: Int, length: Int) -> Int? {
            guard start >= 0, length >= 0, start <= buffer.count, length <= buffer.count - start else { return nil }
            return start + length
        }

        // End of central directory: the last signature within the final 64 KiB + 22 bytes.
        guard buffer.count >= 22 else { throw fail("too short for an end-of-directory record (truncated?)") }
        var eocd = -1
        var o = buffer.count - 22
        let lowest = max(0, buffer.count - 22 - 65535)
        while o >= lowest {
            if u32(o) == 0x0605_4B50 { eocd = o; break }
            o -= 1
        }
        guard eocd >= 0 else { throw fail("no end-of-directory record (truncated?)") }
        var count = u16(eocd + 10)
        var directoryOffset = u32(eocd + 16)
        var directorySize = u32(eocd + 12)
        // ZIP64: a locator just before the classic record points at the 64-bit one.
        if eocd >= 20, u32(eocd - 20) == 0x0706_4B50 {
            guard let record = u64(eocd - 20 + 8), end(of: record, length: 56) != nil, u32(record) == 0x0606_4B50,
                  let count64 = u64(record + 32), let size64 = u64(record + 40), let offset64 = u64(record + 48) else {
                throw fail("bad ZIP64 end-of-directory record")
            }
            count = count64
            directorySize = size64
            directoryOffset = offset64
        }
        guard let directoryEnd = end(of: directoryOffset, length: directorySize) else {
            throw fail("central directory outside the file (truncated?)")
        }
        // Each entry takes at least 46 bytes, which bounds a declared count before the loop trusts it.
        guard count <= directorySize / 46 else { throw fail("\(count) entries cannot fit in a \(directorySize)-byte central directory") }

        var entries: [Entry] = []
        var index: [String: Int] = [:]
        var p = directoryOffset
        for _ in 0..<count {
            guard let fixedEnd = end(of: p, length: 46), fixedEnd <= directoryEnd, u32(p) == 0x0201_4B50 else {
                throw fail("corrupt central directory entry")
            }
            let method = u16(p + 10)
            var compressedSize = u32(p + 20), size = u32(p + 24)
            let nameLength = u16(p + 28), extraLength = u16(p + 30), commentLength = u16(p + 32)
            var localOffset = u32(p + 42)
            guard let entryEnd = end(of: fixedEnd, length: nameLength + extraLength + commentLength) else {
                throw fail("corrupt central directory entry")
            }
            let name = String(decoding: buffer[fixedEnd..<(fixedEnd + nameLength)].raw, as: UTF8.self)
            // ZIP64 extra field: 64-bit values for whichever 32-bit fields are saturated, in this order.
            var e = fixedEnd + nameLength
            let extraEnd = e + extraLength
            while e + 4 <= extraEnd {
                let id = u16(e), length = u16(e + 2)
                if id == 0x0001 {
                    var q = e + 4
                    let fieldEnd = min(extraEnd, e + 4 + length)
                    func field() throws -> Int {
                        guard q + 8 <= fieldEnd, let v = u64(q) else { throw fail("member \(name): bad ZIP64 extra field") }
                        q += 8
                        return v
                    }
                    if size == 0xFFFF_FFFF { size = try field() }
                    if compressedSize == 0xFFFF_FFFF { compressedSize = try field() }
                    if localOffset == 0xFFFF_FFFF { localOffset = try field() }
                }
                e += 4 + length
            }
            guard method == 0 else { throw fail("member \(name) is compressed (method \(method)); torch.save stores members uncompressed") }
            guard compressedSize == size else { throw fail("member \(name) has inconsistent sizes") }
            guard let headerEnd = end(of: localOffset, length: 30), u32(localOffset) == 0x0403_4B50 else {
                throw fail("member \(name): bad local header (truncated?)")
            }
            let start = headerEnd + u16(localOffset + 26) + u16(localOffset + 28)
            guard let dataEnd = end(of: start, length: size) else { throw fail("member \(name) runs past the end of the file (truncated?)") }
            if index[name] == nil { index[name] = entries.count }
            entries.append(Entry(name: name, data: buffer[start..<dataEnd]))
            p = entryEnd
        }
        self.entries = entries
        self.index = index
    }
}
