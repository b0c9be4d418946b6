import Foundation
import Images

/// `zoo data pack`: decode and resize a dataset once into a zstd shard that keeps its labels and subjects.
public enum Packing {
    /// What was packed.
    public struct Result { public var images: Int; public var skipped: [String] }

    /// Packs an AU label file (records keep the AU labels and subject), an ImageFolder (the class index),
    /// or a folder or list of unlabelled images (pretraining).
    public static func pack(source: String, output: String, size: Int, preset: AUDatasetPreset, root: String?, skipBad: Bool) throws -> Result {
        var items: [(path: String, record: ShardRecord)] = []
        var skipped: [String] = []
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory)
        if exists && !isDirectory.boolValue && source.hasSuffix(".jsonl") {
            let data = try AUData.load(source, root: root, preset: preset, skipBad: skipBad)
            skipped += data.skipped
            items = data.samples.map { ($0.path, ShardRecord(key: $0.imagePath, labels: $0.labels, subject: $0.subject)) }
        } else if exists && isDirectory.boolValue, let folder = try? ImageFolderDataset.load(root: source) {
            items = folder.samples.map { ($0.path, ShardRecord(key: String($0.path.dropFirst(source.count + 1)), classIndex: $0.classIndex)) }
        } else {
            items = try ImageList.load(source).map { ($0, ShardRecord(key: $0)) }
        }
        let writer = try ShardWriter(path: output, imageSize: size)
        // Decode and resize on all cores in chunks; append in order.
        let chunk = 64
        for start in stride(from: 0, to: items.count, by: chunk) {
            let part = Array(items[start..<min(items.count, start + chunk)])
            var images = [RGBImage?](repeating: nil, count: part.count)
            var errors = [String?](repeating: nil, count: part.count)
            let lock = NSLock()
            DispatchQueue.concurrentPerform(iterations: part.count) { i in
                do {
                    let image = try ImageFile.read(part[i].path)
                    let resized = image.width == size && image.height == size ? image : image.resized(width: size, height: size, filter: .bilinear)
                    lock.withLock { images[i] = resized }
                } catch {
                    lock.withLock { errors[i] = "\(error)" }
                }
            }
            for i in 0..<part.count {
                if let image = images[i] {
                    try writer.append(image, record: part[i].record)
                } else if skipBad {
                    skipped.append(errors[i]!)
                } else {
                    throw DataError(errors[i]!)
                }
            }
        }
        try writer.finish()
        return Result(images: writer.count, skipped: skipped)
    }

    /// Whether `path` is a packed shard (by its magic bytes).
    public static func isShard(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 8)).map { Array($0) == ShardFormat.magic } ?? false
    }
}
