import Foundation
import XCTest

/// Data-parallel training on the real `zoo` under `mpirun -np 2`: it must give what one process gives
/// with the same global batch (per-epoch train loss within 1e-3 relative, test metrics within 2e-3), for
/// `au` (also with drop path), `fer` and `pretrain`; resume under mpirun; and a rank killed mid-run must take the job down fast and
/// leave a checkpoint that resumes.
final class DataParallelCLITests: XCTestCase {
    static let root = NSTemporaryDirectory() + "zoo-mpi-\(getpid())"
    /// The uninterrupted `-np 2` AU run, shared by the equivalence and resume tests.
    static var parallelAU: String?

    /// mpirun on PATH, or nil.
    static let mpirun: String? = {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let path = String(dir) + "/mpirun"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }()

    override func setUpWithError() throws {
        guard zooExecutable != nil else { throw XCTSkip("zoo executable not built next to the tests (run `make test`)") }
        guard Self.mpirun != nil else { throw XCTSkip("mpirun not found: install openmpi-bin (`make test` does) to run the data-parallel tests") }
        try prepareTinyTrainingFolderOnce(Self.root)
    }

    override class func tearDown() {
        try? FileManager.default.removeItem(atPath: root)
        super.tearDown()
    }

    // MARK: Running

    func au(batch: Int, epochs: Int = 2, dropPath: String = "0", out: String) -> [String] {
        ["run", "au", "--model", Self.root + "/vit.json", "--train", Self.root + "/data/train.jsonl", "--test", Self.root + "/data/test.jsonl",
         "--epochs", "\(epochs)", "--batch-size", "\(batch)", "--warmup-epochs", "1", "--blr", "1e-2", "--layer-decay", "1",
         "--drop-path", dropPath, "--save-every", "1", "--out", out]
    }

    func pretrain(batch: Int, out: String) -> [String] {
        ["run", "pretrain", "--model", Self.root + "/mae.json", "--data", Self.root + "/data/images", "--epochs", "2",
         "--batch-size", "\(batch)", "--warmup-epochs", "1", "--blr", "1.5e-3", "--out", out]
    }

    /// Starts `zoo arguments` as `ranks` MPI processes; `environment` is passed to every rank (-x).
    func startMPI(ranks: Int, _ arguments: [String], environment: [String: String] = [:]) throws -> MPIJob {
        var launcher = ["--oversubscribe", "-np", "\(ranks)"]
        if getuid() == 0 { launcher.append("--allow-run-as-root") }
        for (k, v) in environment.sorted(by: { $0.key < $1.key }) { launcher += ["-x", "\(k)=\(v)"] }
        return try MPIJob(mpirun: Self.mpirun!, launcher + [zooExecutable!.path] + arguments)
    }

    func runMPI(ranks: Int = 2, _ arguments: [String], environment: [String: String] = [:],
                file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try startMPI(ranks: ranks, arguments, environment: environment).finish()
        XCTAssertEqual(result.status, 0, "mpirun \(arguments.joined(separator: " ")):\n\(result.output)", file: file, line: line)
    }

    /// The `-np 2` AU run of `testAUMatchesOneProcess`, made once.
    func parallelAURun() throws -> String {
        if let run = Self.parallelAU { return run }
        let run = Self.root + "/au-np2"
        try runMPI(au(batch: 16, out: run))
        Self.parallelAU = run
        return run
    }

    // MARK: Tests

    /// One process with batch 32 and two with batch 16 each take the same samples per step, so they train
    /// the same model; only rank 0 writes the run folder.
    func testAUMatchesOneProcess() throws {
        let single = Self.root + "/au-single"
        let r = try runZooProcess(au(batch: 32, out: single))
        XCTAssertEqual(r.status, 0, r.stderr)
        let parallel = try parallelAURun()
        assertSameEpochs(single, parallel, metrics: ["test_mean_f1", "test_mean_auc", "test_mean_f1_val_threshold", "val_threshold"], epochs: 2)
        XCTAssertEqual(epochLines(parallel).first?["lr"] as? Double, epochLines(single).first?["lr"] as? Double,
                       "the learning rate follows the effective batch (16 × 2 processes = 32)")
        let files = try FileManager.default.contentsOfDirectory(atPath: parallel)
        XCTAssertEqual(files.filter { $0.hasPrefix("events.out.tfevents") }.count, 1, "one TensorBoard file, from rank 0: \(files)")
        XCTAssertTrue(files.contains("summary.json"))
    }

    /// With drop path on, each rank draws the masks for the whole global batch and keeps its own samples,
    /// so the two ranks drop the same samples' branches as one process does. The tolerances are tight:
    /// on this tiny model drop path moves the numbers little (ranks drawing their own masks were off by
    /// 4e-4 in loss and 2.3e-3 in AUC; following the sample, by 3e-8 and 0).
    func testDropPathFollowsTheSample() throws {
        let single = Self.root + "/au-droppath-single", parallel = Self.root + "/au-droppath-np2"
        let r = try runZooProcess(au(batch: 32, dropPath: "0.9", out: single))
        XCTAssertEqual(r.status, 0, r.stderr)
        try runMPI(au(batch: 16, dropPath: "0.9", out: parallel))
        assertSameEpochs(single, parallel, metrics: ["test_mean_f1", "test_mean_auc"], epochs: 2, lossTolerance: 1e-5, metricTolerance: 1e-4)
    }

    /// Ranks and replicas together: two ranks of two copies each, every copy on 8 of the global 32, draw
    /// the drop-path masks one process with one copy draws.
    func testReplicasOnEveryRank() throws {
        let single = Self.root + "/au-droppath-single-r", parallel = Self.root + "/au-droppath-np2-r2"
        let r = try runZooProcess(au(batch: 32, dropPath: "0.9", out: single))
        XCTAssertEqual(r.status, 0, r.stderr)
        try runMPI(au(batch: 16, dropPath: "0.9", out: parallel) + ["--replicas", "2"])
        assertSameEpochs(single, parallel, metrics: ["test_mean_f1", "test_mean_auc"], epochs: 2, lossTolerance: 1e-5, metricTolerance: 1e-4)
    }

    /// `--allreduce-dtype bf16`: the gradients travel rounded to bfloat16 through the real MPI operation
    /// (widen, add, round at each step of the reduction). The run is not the fp32 run to the last digit,
    /// but close to it: on this model the weights move by about 3e-5 in 2 epochs, too little to show in
    /// the loss or the AUC.
    func testGradientsAveragedInBFloat16() throws {
        let run = Self.root + "/au-np2-bf16"
        let result = try startMPI(ranks: 2, au(batch: 16, out: run) + ["--allreduce-dtype", "bf16"]).finish()
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertTrue(result.output.contains("gradients averaged in bf16"), result.output)
        let fp32 = try parallelAURun()
        assertSameEpochs(fp32, run, metrics: ["test_mean_auc"], epochs: 2, lossTolerance: 1e-2, metricTolerance: 2e-2)
        // The loss of this barely-learning model does not move in its printed digits, but the weights do.
        let weights = { (run: String) in FileManager.default.contents(atPath: run + "/checkpoint/weights.safetensors") }
        XCTAssertNotNil(weights(run))
        XCTAssertNotEqual(weights(fp32), weights(run), "bf16 rounding changes the gradients, so the weights differ")
        let refused = try runZooProcess(au(batch: 16, out: Self.root + "/au-bad-dtype") + ["--allreduce-dtype", "fp8"])
        XCTAssertEqual(refused.status, 2, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("--allreduce-dtype must be fp32 or bf16, got fp8"), refused.stderr)
    }

    /// `eval` and `id-probe` under mpirun: each rank scores its share of the images, and rank 0 alone prints
    /// and writes the numbers one process gives.
    func testEvalAndIdentityProbeMatchOneProcess() throws {
        let run = try parallelAURun()
        let tasks: [(String, [String], [String])] = [
            ("eval", ["--data", Self.root + "/data/test.jsonl", "--val", Self.root + "/data/train.jsonl"],
             ["test_mean_auc", "test_mean_f1", "test_mean_f1_val_threshold", "val_threshold", "val_mean_auc"]),
            ("id-probe", ["--data", Self.root + "/data/train.jsonl", "--epochs", "3"], ["identity_accuracy"]),
        ]
        for (task, options, keys) in tasks {
            let single = Self.root + "/\(task)-single", parallel = Self.root + "/\(task)-np2"
            let alone = try runZooProcess(["run", task, "--run", run] + options + ["--out", single])
            XCTAssertEqual(alone.status, 0, alone.stderr)
            let job = try startMPI(ranks: 2, ["run", task, "--run", run] + options + ["--out", parallel]).finish()
            XCTAssertEqual(job.status, 0, job.output)
            func summary(_ folder: String) throws -> [String: Any] {
                try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/summary.json"))) as? [String: Any])
            }
            let a = try summary(single), b = try summary(parallel)
            for key in keys {
                let x = try XCTUnwrap(a[key] as? Double, "\(task): \(key) in \(a)"), y = try XCTUnwrap(b[key] as? Double, "\(task): \(key) in \(b)")
                XCTAssertEqual(x, y, accuracy: 1e-6, "\(task) \(key)")
            }
            let printed = task == "eval" ? "AUC" : "identity_accuracy"
            XCTAssertEqual(job.output.components(separatedBy: printed).count - 1, alone.stdout.components(separatedBy: printed).count - 1,
                           "\(task): printed once, by rank 0:\n\(job.output)")
        }
    }

    /// `fer` too (here without the progress thread): the same training, and the test set scored in two
    /// halves and gathered, so the confusion matrix counts every test image once.
    func testExpressionMatchesOneProcess() throws {
        func fer(batch: Int, out: String) -> [String] {
            ["run", "fer", "--model", Self.root + "/vit.json", "--train", Self.root + "/data/expressions/train",
             "--test", Self.root + "/data/expressions/test", "--epochs", "2", "--batch-size", "\(batch)", "--warmup-epochs", "1",
             "--blr", "1e-2", "--layer-decay", "1", "--drop-path", "0", "--out", out]
        }
        let single = Self.root + "/fer-single", parallel = Self.root + "/fer-np2"
        let r = try runZooProcess(fer(batch: 32, out: single))
        XCTAssertEqual(r.status, 0, r.stderr)
        // Without the MPI progress thread too: the reductions then move on only in backward's hooks.
        try runMPI(fer(batch: 16, out: parallel), environment: ["ZOO_MPI_PROGRESS_THREAD": "0"])
        assertSameEpochs(single, parallel, metrics: ["test_accuracy", "test_mean_class_accuracy"], epochs: 2)
        func counted(_ run: String) throws -> Int {
            let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/summary.json"))) as? [String: Any]
            let matrix = try XCTUnwrap(summary?["confusion_matrix"] as? [[Int]], "\(run)/summary.json: confusion_matrix")
            return matrix.joined().reduce(0, +)
        }
        let tests = try FileManager.default.subpathsOfDirectory(atPath: Self.root + "/data/expressions/test").filter { $0.hasSuffix(".jpg") }.count
        XCTAssertEqual(try counted(parallel), tests, "every test image scored once over the two ranks")
        XCTAssertEqual(try counted(single), tests)
    }

    /// MAE masking follows the global sample: each rank draws the global batch's noise and keeps its rows.
    func testPretrainMatchesOneProcess() throws {
        let single = Self.root + "/pretrain-single", parallel = Self.root + "/pretrain-np2"
        let r = try runZooProcess(pretrain(batch: 32, out: single))
        XCTAssertEqual(r.status, 0, r.stderr)
        try runMPI(pretrain(batch: 16, out: parallel))
        assertSameEpochs(single, parallel, metrics: [], epochs: 2)
    }

    /// A job killed right after its first checkpoint resumes under mpirun to what the uninterrupted job
    /// gave; resuming it with another process count is refused.
    func testResumeUnderMPI() throws {
        let run = Self.root + "/au-resumed"
        let killed = try startMPI(ranks: 2, au(batch: 16, out: run), environment: ["ZOO_TEST_KILL_AT": "checkpoint-committed:1"]).finish()
        XCTAssertNotEqual(killed.status, 0, "the job whose rank 0 killed itself must fail")
        XCTAssertEqual(epochLines(run).count, 1, "one epoch done before the kill")
        let alone = try runZooProcess(au(batch: 16, out: run) + ["--resume"])
        XCTAssertEqual(alone.status, 1)
        XCTAssertTrue(alone.stderr.contains("trained by 2 processes and this run has 1"), alone.stderr)
        try runMPI(au(batch: 16, out: run) + ["--resume"])
        assertSameEpochs(try parallelAURun(), run, metrics: ["test_mean_f1", "test_mean_auc"], epochs: 2, lossTolerance: 1e-6, metricTolerance: 1e-9)
    }

    /// SIGKILL of rank 1 mid-run: mpirun stops the job and exits non-zero within 30 s, naming the rank;
    /// the checkpoint rank 0 last committed resumes to the end.
    func testKilledRankTakesTheJobDownAndTheCheckpointResumes() throws {
        let run = Self.root + "/au-killed"
        let arguments = au(batch: 16, epochs: 25, out: run)
        let job = try startMPI(ranks: 2, arguments)
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: run + "/checkpoint/state.json") && job.isRunning && Date() < deadline { usleep(20_000) }
        XCTAssertTrue(job.isRunning, "the job ended before a rank could be killed")
        guard let rank1 = job.rankProcess(1) else { job.terminate(); return XCTFail("no process with OMPI_COMM_WORLD_RANK=1 under mpirun") }
        let killedAt = Date()
        kill(rank1, SIGKILL)
        let result = job.finish()
        let took = Date().timeIntervalSince(killedAt)
        XCTAssertNotEqual(result.status, 0, result.output)
        XCTAssertLessThan(took, 30, "mpirun took \(took) s to end the job")
        XCTAssertTrue(result.output.contains("rank 1"), "mpirun's message names the rank:\n\(result.output)")
        let done = epochLines(run).count
        XCTAssertLessThan(done, 25)
        try runMPI(arguments + ["--resume"])
        XCTAssertEqual(epochLines(run).map { $0["epoch"] as? Int }, (1...25).map { $0 }, "every epoch once after the resume")
        XCTAssertTrue(FileManager.default.fileExists(atPath: run + "/summary.json"))
    }
}

/// An mpirun process; its output (all ranks, and mpirun's own messages) goes to one file.
final class MPIJob {
    let process = Process()
    private let log: URL

    init(mpirun: String, _ arguments: [String]) throws {
        log = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-mpirun-\(getpid())-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: mpirun)
        process.arguments = arguments
        process.currentDirectoryURL = repositoryRoot
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    var isRunning: Bool { process.isRunning }

    func terminate() { process.terminate() }

    /// The pid of the child of mpirun that runs MPI rank `rank` (read from its environment).
    func rankProcess(_ rank: Int) -> pid_t? {
        let parent = process.processIdentifier
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(name),
                  let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // Fields after the command name: state, ppid, …
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 1, pid_t(fields[1]) == parent,
                  let environment = FileManager.default.contents(atPath: "/proc/\(name)/environ") else { continue }
            let variables = environment.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if variables.contains("OMPI_COMM_WORLD_RANK=\(rank)") { return pid }
        }
        return nil
    }

    func finish() -> (status: Int32, output: String) {
        process.waitUntilExit()
        defer { try? FileManager.default.removeItem(at: log) }
        return (process.terminationStatus, String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self))
    }
}
