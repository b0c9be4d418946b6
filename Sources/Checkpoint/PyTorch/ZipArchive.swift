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

    func entry(_ name: String) -> Entry? { entries.first { $0.name == name } }

    init(_ buffer: ByteBuffer, file: String) throws {
        func fail(_ reason: String) -> CheckpointError { .malformed(file: file, reason: "zip archive: \(reason)") }
        func u16(_ o: Int) -> Int { Int(buffer.loadLittleEndian(UInt16.self, at: o)) }
        func u32(_ o: Int) -> Int { Int(buffer.loadLittleEndian(UInt32.self, at: o)) }
        func u64(_ o: Int) -> Int { Int(clamping: buffer.loadLittleEndian(UInt64.self, at: o)) }

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
            let record = u64(eocd - 20 + 8)
            guard record >= 0, record + 56 <= buffer.count, u32(record) == 0x0606_4B50 else { throw fail("bad ZIP64 end-of-directory record") }
            count = u64(record + 32)
            directorySize = u64(record + 40)
            directoryOffset = u64(record + 48)
        }
        guard directoryOffset >= 0, directorySize >= 0, directoryOffset + directorySize <= buffer.count else {
            throw fail("central directory outside the file (truncated?)")
        }

        var entries: [Entry] = []
        var p = directoryOffset
        for _ in 0..<count {
            guard p + 46 <= buffer.count, u32(p) == 0x0201_4B50 else { throw fail("corrupt central directory entry") }
            let method = u16(p + 10)
            var compressedSize = u32(p + 20), size = u32(p + 24)
            let nameLength = u16(p + 28), extraLength = u16(p + 30), commentLength = u16(p + 32)
            var localOffset = u32(p + 42)
            guard p + 46 + nameLength + extraLength <= buffer.count else { throw fail("corrupt central directory entry") }
            let name = String(decoding: buffer[(p + 46)..<(p + 46 + nameLength)].raw, as: UTF8.self)
            // ZIP64 extra field: 64-bit values for whichever 32-bit fields are saturated, in this order.
            var e = p + 46 + nameLength
            let extraEnd = e + extraLength
            while e + 4 <= extraEnd {
                let id = u16(e), length = u16(e + 2)
                if id == 0x0001 {
                    var q = e + 4
                    if size == 0xFFFF_FFFF { size = u64(q); q += 8 }
                    if compressedSize == 0xFFFF_FFFF { compressedSize = u64(q); q += 8 }
                    if localOffset == 0xFFFF_FFFF { localOffset = u64(q) }
                }
                e += 4 + length
            }
            guard method == 0 else { throw fail("member \(name) is compressed (method \(method)); torch.save stores members uncompressed") }
            guard compressedSize == size else { throw fail("member \(name) has inconsistent sizes") }
            guard localOffset >= 0, localOffset + 30 <= buffer.count, u32(localOffset) == 0x0403_4B50 else {
                throw fail("member \(name): bad local header (truncated?)")
            }
            let start = localOffset + 30 + u16(localOffset + 26) + u16(localOffset + 28)
            guard size >= 0, start + size <= buffer.count else { throw fail("member \(name) runs past the end of the file (truncated?)") }
            entries.append(Entry(name: name, data: buffer[start..<(start + size)]))
            p += 46 + nameLength + extraLength + commentLength
        }
        self.entries = entries
    }
}
