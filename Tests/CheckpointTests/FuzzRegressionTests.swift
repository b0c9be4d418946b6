import Checkpoint
import Foundation
import XCTest

/// Every file in Fixtures/fuzz (inputs that once crashed a reader; see its README) through the library:
/// a CheckpointError naming the file, one line, or for the valid safetensors file a correct read.
/// HDF5 files go through the isolated reader, with the zoo executable built beside the tests.
final class FuzzRegressionTests: XCTestCase {
    static let folder = TorchCheckpointTests.fixtures.appendingPathComponent("fuzz")
    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0 != "README.md" }.sorted()
    }

    func testEveryReproducerEndsInACleanError() throws {
        XCTAssertGreaterThanOrEqual(Self.files.count, 15)
        for name in Self.files {
            let path = Self.folder.appendingPathComponent(name).path
            if name == "st_header_0x80.safetensors" {
                XCTAssertEqual(try CheckpointReader.read(path: path).tensors.count, 1)
                continue
            }
            let read: () throws -> TensorFile
            if name.hasSuffix(".h5") {
                guard let zoo = zooExecutable else { throw XCTSkip("zoo executable not built next to the tests (run `make test`)") }
                read = { try HDF5Isolation.read(path: path, executable: zoo) }
            } else {
                read = { try CheckpointReader.read(path: path) }
            }
            XCTAssertThrowsError(try read(), name) { e in
                XCTAssertNotNil(e as? CheckpointError, "\(name): \(e)")
                XCTAssertTrue("\(e)".hasPrefix(path + ": "), "\(name): \(e)")
                XCTAssertFalse("\(e)".contains("\n"), name)
            }
        }
    }
}

/// The zoo binary built beside this test bundle, as `make test` builds it.
let zooExecutable: String? = {
    let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for candidate in [dir, dir.deletingLastPathComponent()] {
        let url = candidate.appendingPathComponent("zoo")
        if FileManager.default.isExecutableFile(atPath: url.path) { return url.path }
    }
    return nil
}()
