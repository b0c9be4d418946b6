import Checkpoint
import Foundation
import Tensors
import TensorTesting
import XCTest

/// `zoo convert`, `zoo inspect` and `zoo run predict` as a user runs them, including every bad input:
/// one line on stderr naming the file and the problem, exit status 1 (2 for usage), no output file.
final class CheckpointCLITests: XCTestCase {
    var directory: URL!
    static let checkpoints = CheckpointParityTests.checkpoints

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-cli-ckpt-\(getpid())-\(abs(name.hashValue))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func out(_ name: String) -> String { directory.appendingPathComponent(name).path }
    func checkpoint(_ name: String) -> String { Self.checkpoints.appendingPathComponent(name).path }
    var leftovers: [String] { (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [] }

    func testConvertRoundTripsAreBitExact() throws {
        let src = checkpoint("vit_avg_iat_zip.pth")
        XCTAssertEqual(try runZoo(["convert", src, out("a.safetensors")]).status, 0)
        XCTAssertEqual(try runZoo(["convert", out("a.safetensors"), out("b.h5")]).status, 0)
        XCTAssertEqual(try runZoo(["convert", out("b.h5"), out("c.safetensors")]).status, 0)
        let original = try CheckpointReader.read(path: src)
        for file in ["a.safetensors", "b.h5", "c.safetensors"] {
            let f = try CheckpointReader.read(path: out(file))
            XCTAssertEqual(Set(f.tensors.map(\.name)), Set(original.tensors.map(\.name)), file)
            for (name, t) in original.tensors {
                XCTAssertEqual(f[name]?.dtype, t.dtype, "\(file) \(name)")
                XCTAssertEqual(f[name]?.shape, t.shape, "\(file) \(name)")
                XCTAssertEqual(f[name].map { Array($0.bytes.raw) }, Array(t.bytes.raw), "\(file) \(name)")
            }
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out("a.safetensors"))),
                       try Data(contentsOf: URL(fileURLWithPath: out("c.safetensors"))), "safetensors → HDF5 → safetensors reproduces the file")
    }

    func testConvertDTypeAndModelCheck() throws {
        let spec = ParityTests.fixtures.appendingPathComponent("vit_avg_iat.json").path
        let r = try runZoo(["convert", checkpoint("vit_avg_iat_legacy.pth"), out("half.safetensors"), "--dtype", "f16", "--model", spec])
        XCTAssertEqual(r.status, 0, r.stderr)
        let f = try SafeTensorsReader.read(path: out("half.safetensors"))
        XCTAssertTrue(f.tensors.allSatisfy { $0.tensor.dtype == .f16 })
        XCTAssertTrue(f.metadata.contains { $0.key == "zoo_spec" })
        // The wrong model: every problem listed, nothing written.
        let wrong = ParityTests.fixtures.appendingPathComponent("vit_token_mlp.json").path
        let bad = try runZoo(["convert", checkpoint("vit_avg_iat_zip.pth"), out("x.safetensors"), "--model", wrong])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.hasPrefix("zoo: error: \(checkpoint("vit_avg_iat_zip.pth")): does not fit the model: missing keys (6): norm.weight, norm.bias, head.fc1.weight"), bad.stderr)
        XCTAssertTrue(bad.stderr.contains("unexpected keys (6): ID_head.bias, ID_head.weight, fc_norm.bias"), bad.stderr)
        XCTAssertEqual(bad.stderr.filter { $0 == "\n" }.count, 1)
        XCTAssertEqual(leftovers, ["half.safetensors"])
    }

    func testInspectShowsTensorsAndOtherEntries() throws {
        let r = try runZoo(["inspect", checkpoint("vit_avg_iat_zip.pth"), "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(o["format"] as? String, "pytorch-zip")
        XCTAssertEqual((o["tensors"] as? [Any])?.count, 34)  // 4 embedding + 2 × 12 block + fc_norm, head, ID_head
        let entries = o["entries"] as! [String: String]
        XCTAssertEqual(entries["epoch"], "7")
        XCTAssertTrue(entries["args"]!.contains("blr=0.0005"))
        let text = try runZoo(["inspect", checkpoint("views.pth")])
        XCTAssertTrue(text.stdout.contains("bf16") || text.stdout.contains("BF16"), text.stdout)
    }

    func testPredictMatchesPyTorchFromEveryFormat() throws {
        let fixture = ParityTests.fixtures.appendingPathComponent("vit_avg_iat.safetensors").path
        let reference = try FixtureFile(path: fixture)
        // Input file: the fixture's images under the name predict reads.
        try SafeTensorsWriter.write([("images", StoredTensor(reference["inputs.images"]!))], to: out("in.safetensors"))
        let spec = ParityTests.fixtures.appendingPathComponent("vit_avg_iat.json").path
        XCTAssertEqual(try runZoo(["convert", checkpoint("vit_avg_iat_zip.pth"), out("w.h5")]).status, 0)
        for weights in [checkpoint("vit_avg_iat_zip.pth"), checkpoint("vit_avg_iat_legacy.pth"), out("w.h5")] {
            let r = try runZoo(["run", "predict", "--model", spec, "--weights", weights, "--input", out("in.safetensors"), "--output", out("o.safetensors")])
            XCTAssertEqual(r.status, 0, r.stderr)
            let o = try FixtureFile(path: out("o.safetensors"))
            for name in ["features", "head", "ID_head"] {
                XCTAssertLessThanOrEqual(maxRelativeError(o[name]!, reference["outputs." + name]!), 1e-4, "\(weights) \(name)")
            }
        }
        // MAE with a given noise tensor.
        let mae = try FixtureFile(path: ParityTests.fixtures.appendingPathComponent("mae.safetensors").path)
        try SafeTensorsWriter.write([("images", StoredTensor(mae["inputs.images"]!)), ("noise", StoredTensor(mae["inputs.noise"]!))],
                                    to: out("mae_in.safetensors"))
        let r = try runZoo(["run", "predict", "--model", ParityTests.fixtures.appendingPathComponent("mae.json").path,
                            "--weights", checkpoint("mae_legacy.pth"), "--input", out("mae_in.safetensors"), "--output", out("mae_out.safetensors")])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try FixtureFile(path: out("mae_out.safetensors"))
        XCTAssertLessThanOrEqual(maxRelativeError(o["pred"]!, mae["outputs.pred"]!), 1e-4)
        XCTAssertLessThanOrEqual(maxRelativeError(o["loss"]!, mae["outputs.loss"]!), 1e-4)
        XCTAssertEqual(o["mask"]!.scalars, mae["outputs.mask"]!.scalars)
    }

    func testBadInputsFailCleanly() throws {
        let spec = ParityTests.fixtures.appendingPathComponent("vit_avg_iat.json").path
        try FileManager.default.createDirectory(atPath: out("existing_dir.safetensors"), withIntermediateDirectories: true)
        try SafeTensorsWriter.write([("pixels", StoredTensor(Tensor(zeros: [1, 3, 32, 32])))], to: out("wrong_name.safetensors"))
        try SafeTensorsWriter.write([("images", StoredTensor(Tensor(zeros: [1, 3, 16, 16])))], to: out("wrong_shape.safetensors"))
        let cases: [([String], Int32, String)] = [
            (["convert", checkpoint("truncated.pth"), out("t.safetensors")], 1, "\(checkpoint("truncated.pth")): zip archive:"),
            (["convert", checkpoint("not_a_checkpoint.pth"), out("t.safetensors")], 1, "not a safetensors, HDF5 or PyTorch checkpoint"),
            (["convert", checkpoint("unsafe.pth"), out("t.safetensors")], 1, "refusing unsafe pickle: it calls os.system"),
            (["convert", checkpoint("bad_opcode.pth"), out("t.safetensors")], 1, "opcode 0xff"),
            (["convert", checkpoint("missing_record.pth"), out("t.safetensors")], 1, "missing storage record views/data/0"),
            (["convert", out("nope.pth"), out("t.safetensors")], 1, "\(out("nope.pth")): cannot read: No such file or directory"),
            (["convert", checkpoint("views.pth"), out("existing_dir.safetensors")], 1, "\(out("existing_dir.safetensors")): cannot write: is a directory"),
            (["convert", checkpoint("views.pth"), out("t.h5")], 1, "bf16"),
            (["convert", checkpoint("views.pth"), out("t.npz")], 2, "DST must end in .safetensors, .h5 or .hdf5"),
            (["convert", checkpoint("views.pth"), out("t.safetensors"), "--dtype", "f8"], 2, "--dtype must be f32, f16 or bf16"),
            (["inspect", checkpoint("unsafe_eval.pth")], 1, "__builtin__.eval"),
            (["run", "predict", "--model", spec, "--weights", checkpoint("vit_avg_iat_zip.pth"), "--input", out("wrong_name.safetensors"), "--output", out("o.safetensors")],
             1, "\(out("wrong_name.safetensors")): no tensor named images (found: pixels)"),
            (["run", "predict", "--model", spec, "--weights", checkpoint("vit_avg_iat_zip.pth"), "--input", out("wrong_shape.safetensors"), "--output", out("o.safetensors")],
             1, "images is F32 [1, 3, 16, 16], expected float [B, 3, 32, 32]"),
            (["run", "predict", "--model", spec, "--weights", checkpoint("vit_token_mlp_zip.pth"), "--input", out("wrong_name.safetensors"), "--output", out("o.safetensors")],
             1, "does not fit the model"),
            (["run", "predict", "--model", spec, "--wieghts", "x"], 2, "unknown option --wieghts (did you mean --weights?)"),
            (["run", "predict", "--model", spec, "--input", out("wrong_name.safetensors")], 2, "give --run DIR, or --model and --weights"),
            (["run", "predcit"], 2, "unknown task predcit (did you mean predict?)"),
        ]
        for (arguments, status, message) in cases {
            let r = try runZoo(arguments)
            XCTAssertEqual(r.status, status, "\(arguments): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(arguments): \(r.stderr)")
            if status == 1 { XCTAssertEqual(r.stderr.filter { $0 == "\n" }.count, 1, "one line: \(r.stderr)") }
        }
        XCTAssertEqual(leftovers.sorted(), ["existing_dir.safetensors", "wrong_name.safetensors", "wrong_shape.safetensors"], "no output files")
    }

    /// Fixtures/fuzz: inputs that once crashed `zoo inspect` / `zoo convert` (SIGILL, SIGSEGV inside
    /// libhdf5) or were misread. Each now fails with exit 1 and one line naming the file, leaving nothing.
    func testFuzzReproducersFailCleanlyThroughTheCLI() throws {
        let folder = Self.checkpoints.appendingPathComponent("fuzz")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0 != "README.md" }.sorted()
        XCTAssertGreaterThanOrEqual(names.count, 15)
        for name in names {
            let file = folder.appendingPathComponent(name).path
            for arguments in [["inspect", file], ["convert", file, out("o.safetensors")]] {
                let start = Date()
                let r = try runZoo(arguments)
                XCTAssertLessThan(Date().timeIntervalSince(start), 15, "\(arguments)")
                if name == "st_header_0x80.safetensors" {
                    // Valid: written by Python safetensors with header length 128.
                    XCTAssertEqual(r.status, 0, "\(arguments): \(r.stderr)")
                    if arguments[0] == "convert" {
                        XCTAssertEqual(try SafeTensorsReader.read(path: out("o.safetensors")).tensors.first?.tensor.floatTensor().scalars, [0, 1, 2])
                        try FileManager.default.removeItem(atPath: out("o.safetensors"))
                    }
                    continue
                }
                XCTAssertEqual(r.status, 1, "\(arguments): \(r.stderr)")
                XCTAssertTrue(r.stderr.hasPrefix("zoo: error: \(file): "), "\(arguments): \(r.stderr)")
                XCTAssertEqual(r.stderr.filter { $0 == "\n" }.count, 1, "one line: \(r.stderr)")
            }
            if name != "st_header_0x80.safetensors" { XCTAssertEqual(leftovers, [], name) }
        }
    }

    /// A full disk while writing .h5 (here: a 64 KiB file size limit, so writes fail with EFBIG) used to
    /// print the error and then crash in libhdf5's exit handler.
    func testConvertToH5OnAFullDiskFailsCleanly() throws {
        guard let zoo = zooExecutable else { throw XCTSkip("zoo executable not built next to the tests (run `make test`)") }
        for limit in [16, 64] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = ["-c", "trap '' XFSZ; ulimit -f \(limit); exec \"$0\" convert \"$1\" \"$2\"",
                                 zoo.path, checkpoint("vit_avg_iat_zip.pth"), out("full.h5")]
            let err = Pipe()
            process.standardError = err
            process.standardOutput = Pipe()
            try process.run()
            let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationReason, .exit, e)
            XCTAssertEqual(process.terminationStatus, 1, e)
            XCTAssertTrue(e.hasPrefix("zoo: error: \(out("full.h5")): cannot write: "), e)
            XCTAssertTrue(e.contains("File too large"), e)
            XCTAssertEqual(e.filter { $0 == "\n" }.count, 1, "one line: \(e)")
            XCTAssertEqual(leftovers, [], "no output and no temporary file")
        }
    }
}
