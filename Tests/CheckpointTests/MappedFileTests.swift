import Checkpoint
import Foundation
import XCTest

/// Reading a file must give back its descriptor and mapping once nothing refers to them: a long-lived
/// process (a fuzzer ran out of descriptors after about 10,000 reads) opens checkpoints again and again.
final class MappedFileTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    private func openDescriptors() throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count
    }

    func testReadingReleasesTheFile() throws {
        let files = ["mae_zip.pth", "mae_legacy.pth", "python_written.safetensors"].map { Self.fixtures.appendingPathComponent($0).path }
        for file in files { _ = try CheckpointReader.read(path: file) }  // warm-up: anything opened once and kept
        let before = try openDescriptors()
        for _ in 0..<50 {
            for file in files {
                let read = try CheckpointReader.read(path: file)
                XCTAssertFalse(read.tensors.isEmpty)
            }
        }
        XCTAssertEqual(try openDescriptors(), before, "150 reads must not keep descriptors open")
        do {
            let mapped = try MappedFile(path: files[0])
            let bytes = mapped.bytes
            XCTAssertEqual(try openDescriptors(), before + 1, "the mapping is open while it is used")
            XCTAssertGreaterThan(bytes.count, 0)
        }
        XCTAssertEqual(try openDescriptors(), before, "and closed once nothing refers to it")
    }
}
