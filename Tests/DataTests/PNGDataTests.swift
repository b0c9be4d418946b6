import Data
import Foundation
import Images
import XCTest

/// PNG images go wherever JPEG ones do: an AU label file naming .png files (mixed with .jpg) through the
/// dataset loader and its batches, and through `zoo data pack` into a shard.
final class PNGDataTests: XCTestCase {
    static let imageFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("ImagesTests/Fixtures")
    var root: String!

    /// images/<path> ← fixture, and labels.jsonl beside images/, as `zoo data synth` lays a dataset out.
    let files = [("F001_T1/0001.png", "png_rgb8.png"), ("F001_T1/0002.png", "png_palette4_trns_adam7.png"),
                 ("M002_T3/0001.jpg", "img_pattern_q90.jpg"), ("M002_T3/0002.png", "png_grey16.png")]

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "zoo-png-data-\(getpid())-\(abs(name.hashValue))"
        var lines: [String] = []
        for (i, (path, fixture)) in files.enumerated() {
            let target = root + "/images/" + path
            try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: Self.imageFixtures.appendingPathComponent(fixture).path, toPath: target)
            let present = i % 2 == 0 ? 1 : 999
            lines.append(#"{"img_path": "\#(path)", "AUs": [\#(present), 999, 999, 999, 999, 999, 12, 999, 999, 999, 999, 999]}"#)
        }
        try lines.joined(separator: "\n").write(toFile: root + "/labels.jsonl", atomically: true, encoding: .utf8)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: root) }

    func testLabelFileOfPNGsLoadsIntoBatches() throws {
        let data = try AUData.load(root + "/labels.jsonl", root: nil, preset: .bp4d, skipBad: false)
        XCTAssertEqual(data.samples.map(\.imagePath), files.map(\.0))
        let size = 8
        let source = data.batches(batchSize: 4, imageSize: size, shuffle: false, seed: 1, skipBad: false,
                                  transform: ImagePipeline(size: size, augment: false).evaluation,
                                  targets: { ["au": $0.labels] })
        let batch = try source.batch(epoch: 0, index: 0)
        XCTAssertEqual(batch.images.shape, [4, 3, size, size])
        let plane = 3 * size * size, values = batch.images.scalars
        for (i, (path, fixture)) in files.enumerated() {
            // The batch holds exactly the evaluation transform of the decoded file.
            let expected = EvalTransform(size: size).apply(try ImageFile.read(Self.imageFixtures.appendingPathComponent(fixture).path))
            XCTAssertEqual(Array(values[(i * plane)..<((i + 1) * plane)]), expected, path)
        }
        XCTAssertEqual(batch.targets["au"]?.scalars.prefix(12).first, 1)
    }

    func testDamagedPNGIsSkippedWithItsName() throws {
        let damaged = root + "/images/F001_T1/0002.png"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: damaged))
        try bytes.prefix(bytes.count - 20).write(to: URL(fileURLWithPath: damaged))
        let data = try AUData.load(root + "/labels.jsonl", root: nil, preset: .bp4d, skipBad: false)
        let source = data.batches(batchSize: 4, imageSize: 8, shuffle: false, seed: 1, skipBad: true,
                                  transform: ImagePipeline(size: 8, augment: false).evaluation, targets: { ["au": $0.labels] })
        _ = try source.batch(epoch: 0, index: 0)
        XCTAssertEqual(source.skipped.count, 1)
        XCTAssertTrue(source.skipped.first?.hasPrefix("\(damaged): truncated: ") == true, "\(source.skipped)")
    }

    func testPackingPNGsIntoAShard() throws {
        let shard = root + "/data.shard"
        let result = try Packing.pack(source: root + "/labels.jsonl", output: shard, size: 8, preset: .bp4d, root: nil, skipBad: false)
        XCTAssertEqual(result.images, files.count)
        XCTAssertEqual(result.skipped, [])
        let packed = try AUData.load(shard, root: nil, preset: .bp4d, skipBad: false)
        for (sample, (path, fixture)) in zip(packed.samples, files) {
            let image = try XCTUnwrap(packed.shard).image(try XCTUnwrap(sample.shardIndex))
            let decoded = try ImageFile.read(Self.imageFixtures.appendingPathComponent(fixture).path)
            XCTAssertEqual(image, decoded.resized(width: 8, height: 8, filter: .bilinear), path)
        }
    }
}
