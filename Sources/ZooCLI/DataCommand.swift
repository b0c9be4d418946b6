import ArgumentParser
import Data
import Foundation
import Images
import SyntheticFaces
import Tasks
import Zoo

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data", abstract: "Make datasets: synthetic faces, packed shards.",
        subcommands: [SynthCommand.self, PackCommand.self])
}

struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Draw synthetic faces with AU labels, identities and expressions (BP4D-style JSON lines + ImageFolder).",
        discussion: """
            Identity sets appearance, AUs set geometry. With --identity-bias B > 0 each training subject shows \
            its own AU rates (the identity shortcut IAT removes); test subjects do not.
            """)

    @Option(help: "Output folder (created; must not exist unless --replace).") var out: String
    @Option(help: "Number of subjects (train + test).") var subjects: Int = 12
    @Option(help: "Frames per subject.") var frames: Int = 40
    @Option(help: "Image size in pixels.") var size: Int = 64
    @Option(name: .customLong("identity-bias"), help: "How strongly training subjects' AU rates depend on identity (0 … 1).") var identityBias: Double = 0.8
    @Option(name: .customLong("test-fraction"), help: "Share of subjects in the test split.") var testFraction: Double = 0.25
    @Option(help: "How much pose, framing and lighting vary (0 = aligned, evenly lit crops … 1 = loose crops).") var jitter: Double = 1
    @Option(help: "Seed.") var seed: UInt64 = 0
    @Flag(help: "Replace an existing output folder.") var replace = false

    func validate() throws {
        guard subjects >= 2 else { throw ValidationError("--subjects must be at least 2") }
        guard frames >= 1 else { throw ValidationError("--frames must be positive") }
        guard (16...1024).contains(size) else { throw ValidationError("--size must be between 16 and 1024") }
        guard (0...1).contains(identityBias) else { throw ValidationError("--identity-bias must be between 0 and 1") }
        guard (0...1).contains(jitter) else { throw ValidationError("--jitter must be between 0 and 1") }
    }

    func run() throws {
        try reportingErrors {
            let config = SyntheticFaceConfig(subjects: subjects, framesPerSubject: frames, size: size, identityBias: identityBias,
                                             testFraction: testFraction, seed: seed, jitter: jitter)
            let dataset = try SyntheticFaceDataset(config: config)
            let summary = try dataset.write(to: URL(fileURLWithPath: out), encode: { try JPEG.encode($0, quality: 92) },
                                            fileExtension: "jpg", replacing: replace)
            print("wrote \(summary.train.images) training images (\(summary.train.subjects.count) subjects) and "
                + "\(summary.test.images) test images (\(summary.test.subjects.count) subjects) to \(out)")
            print("  \(out)/train.jsonl, \(out)/test.jsonl (BP4D AUs), \(out)/expressions/{train,test} (8 classes)")
        }
    }
}

struct PackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pack",
        abstract: "Decode and resize a dataset once into a zstd-compressed shard that keeps labels and subjects.",
        discussion: "SRC is an AU label file (.jsonl), an ImageFolder (one folder per class) or a folder/list of images.")

    @Argument(help: "Label file, ImageFolder, image folder or list file.") var source: String
    @Argument(help: "Shard file to write.") var output: String
    @Option(help: "Square image size stored.") var size: Int = 224
    @Option(help: "AU preset of a label file: bp4d, bp4d+, disfa.") var preset: String = "bp4d"
    @Option(help: "Image folder of a label file (default: images/ beside it).") var root: String?
    @Flag(name: .customLong("skip-bad"), help: "Skip unreadable images (counted) instead of stopping.") var skipBad = false

    func run() throws {
        try reportingErrors {
            let start = Date()
            let result = try Packing.pack(source: source, output: output, size: size, preset: try AUDatasetPreset.named(preset),
                                          root: root, skipBad: skipBad)
            print(String(format: "packed %d images (%d×%d) into %@ in %.1f s", result.images, size, size, output, Date().timeIntervalSince(start)))
            if !result.skipped.isEmpty {
                print("skipped \(result.skipped.count):\n  " + result.skipped.prefix(20).joined(separator: "\n  "))
            }
        }
    }
}
