import Checkpoint
import Foundation
import XCTest

/// A pickle nested 50,000 levels deep (a few bytes a level) used to overflow the stack when its value tree
/// was released; nesting is now capped at 1,000 levels, and what is allowed is safe to release and render.
final class PickleNestingTests: XCTestCase {
    static let depth = 50_000

    /// Opcodes (protocol 2) that push values nested `levels` deep, in each way a pickle can nest.
    static func lists(_ n: Int) -> [UInt8] {  // EMPTY_LIST…, APPEND…
        [UInt8](repeating: 0x5D, count: n) + [UInt8](repeating: 0x61, count: n - 1)
    }
    static func tuples(_ n: Int) -> [UInt8] {  // (), TUPLE1…
        [0x29] + [UInt8](repeating: 0x85, count: n - 1)
    }
    static func marks(_ n: Int) -> [UInt8] {  // MARK…, TUPLE…
        [UInt8](repeating: 0x28, count: n) + [UInt8](repeating: 0x74, count: n)
    }
    static func dicts(_ n: Int) -> [UInt8] {  // (EMPTY_DICT, key 1)…, EMPTY_DICT, then SETITEM from the inside out
        var out: [UInt8] = []
        for _ in 0..<(n - 1) { out += [0x7D, 0x4B, 1] }
        return out + [0x7D] + [UInt8](repeating: 0x73, count: n - 1)
    }
    static func memoLists(_ n: Int) -> [UInt8] {  // n empty lists memoised, then each appended into the one before
        var out: [UInt8] = []
        for i in 0..<n { out += [0x5D, 0x72] + TorchFileBuilder.le(UInt32(i)) + [0x30] }
        for i in (0..<(n - 1)).reversed() {
            out += [0x6A] + TorchFileBuilder.le(UInt32(i)) + [0x6A] + TorchFileBuilder.le(UInt32(i + 1)) + [0x61, 0x30]
        }
        return out + [0x6A] + TorchFileBuilder.le(UInt32(0))
    }
    static let shapes: [String: (Int) -> [UInt8]] = [
        "lists": lists, "tuples": tuples, "marks": marks, "dicts": dicts, "lists in the memo": memoLists,
    ]

    func testDeepPicklesAreRefusedCleanly() throws {
        let folder = try TemporaryFolder()
        for (name, shape) in Self.shapes.sorted(by: { $0.key < $1.key }) {
            var b = TorchFileBuilder()
            b.extra = shape(Self.depth)
            for (format, bytes) in [("legacy", b.legacy), ("zip", b.zip)] {
                let path = try folder.write(bytes, "\(format).pth")
                XCTAssertThrowsError(try CheckpointReader.read(path: path), "\(name) \(format)") { e in
                    XCTAssertTrue("\(e)".hasPrefix("\(path): unsupported pickle: ") && "\(e)".contains("nest"), "\(name) \(format): \(e)")
                }
            }
        }
    }

    func testNestingUpToTheCapReadsAndIsReleasedOnASmallStack() throws {
        // 990 levels of every kind are allowed. Reading, summarising and releasing them runs on a thread
        // with a 512 KiB stack (what Dispatch gives its workers): nothing may recurse too deeply.
        let folder = try TemporaryFolder()
        var paths: [String] = []
        for (name, shape) in Self.shapes.sorted(by: { $0.key < $1.key }) {
            var b = TorchFileBuilder()
            b.extra = shape(990)
            paths.append(try folder.write(b.legacy, "\(name.replacingOccurrences(of: " ", with: "_")).pth"))
        }
        let results = Results()
        let done = expectation(description: "read on a small stack")
        let files = paths
        let thread = Thread {
            for path in files {
                do {
                    let f = try CheckpointReader.read(path: path)
                    results.values.append(f.extras.first { $0.key == "extra" }?.summary ?? "missing")
                } catch {
                    results.values.append("error: \(error)")
                }
            }
            done.fulfill()
        }
        thread.stackSize = 512 << 10
        thread.start()
        wait(for: [done], timeout: 60)
        XCTAssertEqual(results.values.count, Self.shapes.count)
        for r in results.values { XCTAssertFalse(r.hasPrefix("error") || r == "missing", r) }
        XCTAssertTrue(results.values.contains { $0.hasPrefix("[[[[[") }, "\(results.values)")
    }

    func testSummariesOfWidelySharedValuesStayShort() throws {
        // t0 = (1, …, 1) of 200; t(k+1) = (tk, …, tk): rendered in full, five levels would be 200^5 items.
        var extra: [UInt8] = [0x28] + [UInt8](repeating: 0, count: 0)
        extra += (0..<200).flatMap { _ in [0x4B, 1] }
        extra += [0x74, 0x71, 0]  // TUPLE, BINPUT 0
        for level in 1...5 {
            extra += [0x30, 0x28] + (0..<200).flatMap { _ in [0x68, UInt8(level - 1)] } + [0x74, 0x71, UInt8(level)]
        }
        var b = TorchFileBuilder()
        b.extra = extra
        let folder = try TemporaryFolder()
        let start = Date()
        let f = try CheckpointReader.read(path: folder.write(b.zip, "wide.pth"))
        let summary = try XCTUnwrap(f.extras.first { $0.key == "extra" }?.summary)
        XCTAssertEqual(summary.count, 200)
        XCTAssertTrue(summary.hasPrefix("(((((…, …, …"), summary)  // five levels shown, then elided
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
    }
}

/// Summaries collected on the reading thread, read after it has finished.
private final class Results: @unchecked Sendable {
    var values: [String] = []
}
