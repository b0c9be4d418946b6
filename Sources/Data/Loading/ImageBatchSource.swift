import Foundation
import Images
import Tensors

/// Batches of decoded, transformed images with their targets. Each image is loaded and transformed on
/// the workers (both cores), with a generator derived from (seed, epoch, sample), so augmentation is the
/// same in a resumed run. Training batches are shuffled per epoch and drop the last partial batch
/// (FMAE's DataLoader does); evaluation batches keep dataset order and every sample.
public final class ImageBatchSource: BatchSource {
    public let count: Int
    public let batchSize: Int
    public let imageSize: Int
    /// Channels of a transformed image (3; 1 for grayscale models).
    public let channels: Int
    public let shuffle: Bool
    public let seed: UInt64
    /// Loads sample i (decode from file or shard).
    let load: (Int) throws -> RGBImage
    /// Turns an image into C×H×W floats; gets a generator when augmenting.
    let transform: (RGBImage, Generator) -> [Float]
    /// Targets of sample i by name (e.g. "au": 12 floats, "identity": one-hot).
    let targets: (Int) -> [String: [Float]]
    /// Messages for samples that failed to load and were replaced by the next loadable one (`skipBad`).
    public private(set) var skipped: [String] = []
    let skipBad: Bool
    private let lock = NSLock()
    /// Data-parallel share: with `parts` > 1, each batch of `batchSize` samples (the global batch) is cut
    /// into `parts` equal slices and `batch` returns slice `part` only, so the ranks together take
    /// exactly the samples one process would. `batchSize` must then be a multiple of `parts`.
    public var part = 0, parts = 1

    public init(count: Int, batchSize: Int, imageSize: Int, channels: Int = 3, shuffle: Bool, seed: UInt64, skipBad: Bool = false,
                load: @escaping (Int) throws -> RGBImage, transform: @escaping (RGBImage, Generator) -> [Float],
                targets: @escaping (Int) -> [String: [Float]]) {
        self.count = count
        self.batchSize = batchSize
        self.imageSize = imageSize
        self.channels = channels
        self.shuffle = shuffle
        self.seed = seed
        self.skipBad = skipBad
        self.load = load
        self.transform = transform
        self.targets = targets
    }

    public var batchesPerEpoch: Int {
        shuffle ? max(1, count / batchSize) : (count + batchSize - 1) / batchSize
    }

    /// Sample order of an epoch: a seeded Fisher–Yates shuffle, or dataset order.
    public func order(epoch: Int) -> [Int] {
        var order = Array(0..<count)
        guard shuffle else { return order }
        let g = Generator(seed: seed &+ 0x5EED &* UInt64(epoch + 1))
        for i in stride(from: count - 1, to: 0, by: -1) { order.swapAt(i, g.below(i + 1)) }
        return order
    }

    public func batch(epoch: Int, index: Int) throws -> Batch {
        let order = self.order(epoch: epoch)
        var members = Array(order[(index * batchSize)..<min(count, (index + 1) * batchSize)])
        if parts > 1 {
            precondition(batchSize % parts == 0 && (0..<parts).contains(part), "batch \(batchSize) cannot be split into \(parts) parts")
            let share = members.count / parts
            members = Array(members[(part * share)..<((part + 1) * share)])
        }
        let b = members.count, plane = channels * imageSize * imageSize
        let images = Tensor(uninitializedShape: [b, channels, imageSize, imageSize])
        var failure: Error?
        var rows = [[String: [Float]]](repeating: [:], count: b)
        let pointer = images.data
        DispatchQueue.concurrentPerform(iterations: b) { slot in
            // With skipBad, a sample that fails to load is counted and replaced by the next one that loads.
            var candidate = members[slot]
            for _ in 0..<(skipBad ? count : 1) {
                let g = Generator(seed: seed ^ (UInt64(epoch) << 40) ^ UInt64(candidate) &* 0x9E37_79B9)
                do {
                    let values = transform(try load(candidate), g)
                    precondition(values.count == plane, "transform produced \(values.count) values, expected \(plane)")
                    values.withUnsafeBufferPointer { (pointer + slot * plane).update(from: $0.baseAddress!, count: plane) }
                    let t = targets(candidate)
                    lock.withLock { rows[slot] = t }
                    return
                } catch {
                    lock.withLock {
                        if skipBad { skipped.append("\(error)") } else if failure == nil { failure = error }
                    }
                    candidate = (candidate + 1) % count
                }
            }
            lock.withLock { if failure == nil { failure = DataError("no sample of the dataset could be loaded") } }
        }
        if let failure { throw failure }
        var named: [String: Tensor] = [:]
        for key in rows.first?.keys ?? [:].keys {
            let width = rows[0][key]!.count
            named[key] = Tensor(rows.flatMap { $0[key]! }, shape: [b, width])
        }
        return Batch(images: images, targets: named)
    }
}
