import Checkpoint
import Foundation
import XCTest

/// HDF5 read in a child zoo process gives what the in-process reader gives; a child that crashes, hangs
/// or talks nonsense becomes a one-line CheckpointError naming the file.
final class HDF5IsolationTests: XCTestCase {
    static let fixtures = TorchCheckpointTests.fixtures

    func zoo() throws -> String {
        guard let zoo = zooExecutable else { throw XCTSkip("zoo executable not built next to the tests (run `make test`)") }
        return zoo
    }

    func testIsolatedReadEqualsInProcessRead() throws {
        let zoo = try zoo()
        for name in ["h5py_flat.h5", "h5py_nested.h5", "h5py_bigendian.h5", "keras_fixed.h5", "keras_vlen.h5", "keras_model.h5"] {
            let path = Self.fixtures.appendingPathComponent(name).path
            let direct = try HDF5Reader.read(path: path), isolated = try HDF5Isolation.read(path: path, executable: zoo)
            XCTAssertEqual(isolated.format, .hdf5, name)
            XCTAssertEqual(isolated.tensors.map(\.name), direct.tensors.map(\.name), name)
            for ((_, a), (tensorName, b)) in zip(isolated.tensors, direct.tensors) {
                XCTAssertEqual(a.dtype, b.dtype, "\(name) \(tensorName)")
                XCTAssertEqual(a.shape, b.shape, "\(name) \(tensorName)")
                XCTAssertEqual(Array(a.bytes.raw), Array(b.bytes.raw), "\(name) \(tensorName)")
                XCTAssertEqual(Int(bitPattern: a.bytes.base) % a.dtype.size, 0, "\(name) \(tensorName) is aligned")
            }
            XCTAssertEqual(isolated.metadata.map { [$0.key, $0.value] }, direct.metadata.map { [$0.key, $0.value] }, name)
        }
    }

    func testChildErrorsComeBackUnchanged() throws {
        let zoo = try zoo()
        let path = Self.fixtures.appendingPathComponent("h5py_compound.h5").path
        var direct: CheckpointError?
        XCTAssertThrowsError(try HDF5Reader.read(path: path)) { direct = $0 as? CheckpointError }
        XCTAssertThrowsError(try HDF5Isolation.read(path: path, executable: zoo)) { e in
            XCTAssertEqual(e as? CheckpointError, direct)
        }
    }

    /// A stand-in child: a shell script doing `body`.
    func child(_ body: String, _ folder: TemporaryFolder) throws -> String {
        let path = try folder.write(Array("#!/bin/sh\n\(body)\n".utf8), "child.sh")
        chmod(path, 0o755)
        return path
    }

    func testCrashesHangsAndGarbageBecomeErrorsNamingTheFile() throws {
        let folder = try TemporaryFolder()
        let path = Self.fixtures.appendingPathComponent("h5py_flat.h5").path
        let cases: [(String, String)] = [
            ("kill -SEGV $$", "libhdf5 crashed (signal 11"),
            ("exec sleep 30", "stopped after 1 s"),
            ("echo garbage; exit 0", "header length"),
            ("echo 'not JSON' >&2; exit 1", "it failed: not JSON"),
            ("exit 3", "it exited with status 3"),
        ]
        for (body, expected) in cases {
            let start = Date()
            XCTAssertThrowsError(try HDF5Isolation.read(path: path, executable: child(body, folder), timeLimit: 1), body) { e in
                XCTAssertNotNil(e as? CheckpointError, body)
                XCTAssertTrue("\(e)".hasPrefix(path + ": "), "\(body): \(e)")
                XCTAssertTrue("\(e)".contains(expected), "\(body): \(e)")
                XCTAssertFalse("\(e)".contains("\n"), body)
            }
            XCTAssertLessThan(Date().timeIntervalSince(start), 5, body)
        }
    }
}
