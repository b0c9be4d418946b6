import Foundation
import Images
import Tensors

/// An AU dataset ready for training: label entries plus how to turn them into batches.
public struct AUData {
    public var samples: [AUSample]
    public var skipped: [String]
    /// The packed shard the images come from, or nil for image files.
    public var shard: ShardReader?

    public init(samples: [AUSample], skipped: [String], shard: ShardReader? = nil) {
        self.samples = samples
        self.skipped = skipped
        self.shard = shard
    }

    public var subjects: [String] { Array(Set(samples.map(\.subject))).sorted() }

    /// Loads a label file; images are under `root`, or by default the `images/` folder beside the file
    /// (the layout `zoo data synth` writes), else the file's own folder.
    public static func load(_ file: String, root: String?, preset: AUDatasetPreset, skipBad: Bool) throws -> AUData {
        if Packing.isShard(file) { return try loadShard(file, preset: preset) }
        let folder = (file as NSString).deletingLastPathComponent
        let beside = (folder as NSString).appendingPathComponent("images")
        var isDirectory: ObjCBool = false
        let resolved = root ?? (FileManager.default.fileExists(atPath: beside, isDirectory: &isDirectory) && isDirectory.boolValue ? beside : folder)
        let d = try AUDataset.load(labels: file, root: resolved, preset: preset, skipBad: skipBad)
        return AUData(samples: d.samples, skipped: d.skipped)
    }

    /// A shard written by `zoo data pack` from an AU label file: its records carry labels and subjects.
    static func loadShard(_ file: String, preset: AUDatasetPreset) throws -> AUData {
        let reader = try ShardReader(path: file)
        var samples: [AUSample] = []
        for i in 0..<reader.count {
            let r = reader.record(i)
            guard r.labels.count == preset.actionUnits.count else {
                throw DataError("\(file): record \(i) (\(r.key)) has \(r.labels.count) labels, \(preset.name) has \(preset.actionUnits.count) AUs")
            }
            samples.append(AUSample(path: r.key, imagePath: r.key, labels: r.labels, subject: r.subject ?? preset.subject(r.key),
                                    origin: "\(file)[\(i)]", shardIndex: i))
        }
        return AUData(samples: samples, skipped: [], shard: reader)
    }

    /// Holds out about `fraction` of the subjects (at least one when there are two or more), chosen by
    /// the seed: (rest, held out). Subject-exclusive, so thresholds are never tuned on seen identities.
    public func splitBySubject(fraction: Double, seed: UInt64) -> (AUData, AUData) {
        var subjects = self.subjects
        guard fraction > 0, subjects.count >= 2 else { return (self, AUData(samples: [], skipped: [], shard: shard)) }
        let g = Generator(seed: seed &+ 0xA11D)
        for i in stride(from: subjects.count - 1, to: 0, by: -1) { subjects.swapAt(i, g.below(i + 1)) }
        let held = Set(subjects.prefix(max(1, min(subjects.count - 1, Int((Double(subjects.count) * fraction).rounded())))))
        return (AUData(samples: samples.filter { !held.contains($0.subject) }, skipped: skipped, shard: shard),
                AUData(samples: samples.filter { held.contains($0.subject) }, skipped: [], shard: shard))
    }

    public func batches(batchSize: Int, imageSize: Int, shuffle: Bool, seed: UInt64, skipBad: Bool,
                        transform: @escaping (RGBImage, Generator) -> [Float],
                        targets: @escaping (AUSample) -> [String: [Float]]) -> ImageBatchSource {
        let samples = self.samples, shard = self.shard
        // Packed images are decoded from the shard, files from disk; everything after is the same.
        let load: (Int) throws -> RGBImage = { i in
            if let shard, let index = samples[i].shardIndex { return try shard.image(index) }
            return try ImageFile.read(samples[i].path)
        }
        return ImageBatchSource(count: samples.count, batchSize: batchSize, imageSize: imageSize, shuffle: shuffle, seed: seed,
                                skipBad: skipBad, load: load, transform: transform,
                                targets: { targets(samples[$0]) })
    }
}

/// The image transforms of a run: FMAE's training augmentation when asked (else resize + flip), and
/// resize for evaluation.
public struct ImagePipeline {
    public let size: Int
    public let augment: Bool

    public init(size: Int, augment: Bool) {
        self.size = size
        self.augment = augment
    }

    public var train: (RGBImage, Generator) -> [Float] {
        if augment {
            let a = TrainAugmentation(size: size)
            return { a.apply($0, generator: $1) }
        }
        let p = PretrainAugmentation(size: size)
        return { p.apply($0, generator: $1) }
    }

    public var evaluation: (RGBImage, Generator) -> [Float] {
        let e = EvalTransform(size: size)
        return { image, _ in e.apply(image) }
    }
}
