import Foundation
import Images
import SyntheticFaces
import Tensors
import XCTest

final class SyntheticFacesTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-synthetic-faces-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    /// The trivial encoder the writer is tested with: binary PPM, a "P6" header then the RGB bytes.
    private static func ppm(_ image: RGBImage) -> [UInt8] {
        Array("P6\n\(image.width) \(image.height)\n255\n".utf8) + image.pixels
    }

    private static let small = SyntheticFaceConfig(subjects: 4, framesPerSubject: 6, size: 32, identityBias: 0.8, testFraction: 0.25, seed: 7)

    /// Every regular file under `root`: relative path → contents.
    private func contents(of root: URL) throws -> [String: Data] {
        var result: [String: Data] = [:]
        let prefix = root.standardizedFileURL.path + "/"
        let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])!
        for case let url as URL in walker where try url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true {
            result[String(url.standardizedFileURL.path.dropFirst(prefix.count))] = try Data(contentsOf: url)
        }
        return result
    }

    private func write(_ config: SyntheticFaceConfig, _ name: String) throws -> (URL, SyntheticFaceDataset.Summary) {
        let directory = scratch.appendingPathComponent(name)
        let summary = try SyntheticFaceDataset(config: config).write(to: directory, encode: Self.ppm, fileExtension: "ppm")
        return (directory, summary)
    }

    private func labelLines(_ directory: URL, _ split: String) throws -> [[String: Any]] {
        let text = try String(contentsOf: directory.appendingPathComponent("\(split).jsonl"), encoding: .utf8)
        XCTAssertTrue(text.hasSuffix("\n"))
        return try text.split(separator: "\n").map { line in
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object: \(line)")
        }
    }

    // MARK: Determinism

    func testSameSeedWritesIdenticalBytesAndAnotherSeedDoesNot() throws {
        let (first, _) = try write(Self.small, "a")
        let (second, _) = try write(Self.small, "b")
        var other = Self.small
        other.seed = 8
        let (third, _) = try write(other, "c")
        let a = try contents(of: first), b = try contents(of: second), c = try contents(of: third)
        // 24 images, 24 links to them, two label files, synth.json.
        XCTAssertEqual(a.count, 24 + 24 + 3)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a["synth.json"], c["synth.json"])
        let imagesA = a.filter { $0.key.hasPrefix("images/") }.values
        let imagesC = Set(c.filter { $0.key.hasPrefix("images/") }.values)
        XCTAssertTrue(imagesA.allSatisfy { !imagesC.contains($0) }, "another seed should give other images")
    }

    func testRenderingIsAPureFunctionOfItsInputs() throws {
        let identity = FaceIdentity(seed: 42)
        XCTAssertEqual(identity, FaceIdentity(seed: 42))
        let jitter = FaceJitter.random(using: Generator(seed: 3))
        let (units, extras) = FacialExpression.surprise.face(strength: 0.8)
        let one = FaceRenderer.render(identity: identity, aus: units, extras: extras, size: 48, jitter: jitter)
        let two = FaceRenderer.render(identity: identity, aus: units, extras: extras, size: 48, jitter: jitter)
        XCTAssertEqual(one, two)
        let dataset = try SyntheticFaceDataset(config: Self.small)
        XCTAssertEqual(dataset.sample(subject: 1, frame: 3).image, dataset.sample(subject: 1, frame: 3).image)
        XCTAssertEqual(dataset.labels(subject: 2, frame: 5), dataset.labels(subject: 2, frame: 5))
    }

    // MARK: Files

    func testLabelFilesFollowFMAEFormat() throws {
        let (directory, summary) = try write(Self.small, "labels")
        let numbers = [1, 2, 4, 6, 7, 10, 12, 14, 15, 17, 23, 24]
        XCTAssertEqual(FacialActionUnit.bp4dNumbers, numbers)
        var seen = 0
        for split in ["train", "test"] {
            let lines = try labelLines(directory, split)
            XCTAssertEqual(lines.count, split == "train" ? summary.train.images : summary.test.images)
            var positives = [Int](repeating: 0, count: 12)
            for line in lines {
                XCTAssertEqual(Set(line.keys), ["img_path", "AUs"])
                let path = try XCTUnwrap(line["img_path"] as? String)
                XCTAssertNotNil(path.range(of: #"^[FM][0-9]{3}_T1/[0-9]{4}\.ppm$"#, options: .regularExpression), path)
                XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("images/" + path).path), path)
                let codes = try XCTUnwrap(line["AUs"] as? [Int])
                XCTAssertEqual(codes.count, 12)
                for (k, code) in codes.enumerated() {
                    XCTAssertTrue(code == numbers[k] || code == 999, "entry \(k) of \(path) is \(code)")
                    if code != 999 { positives[k] += 1 }
                }
                seen += 1
            }
            XCTAssertEqual(positives, split == "train" ? summary.train.auPositives : summary.test.auPositives)
        }
        XCTAssertEqual(seen, 24)

        // A PPM image as written: header and exactly size² RGB bytes.
        let first = try labelLines(directory, "train")[0]["img_path"] as! String
        let bytes = try Data(contentsOf: directory.appendingPathComponent("images/" + first))
        XCTAssertEqual(bytes.count, "P6\n32 32\n255\n".utf8.count + 32 * 32 * 3)

        let manifest = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("synth.json"))) as? [String: Any])
        XCTAssertEqual(manifest["au_list"] as? [Int], numbers)
        XCTAssertEqual(manifest["expression_classes"] as? [String], ["Neutral", "Happy", "Sad", "Surprise", "Fear", "Disgust", "Anger", "Contempt"])
        XCTAssertEqual((manifest["subjects"] as? [Any])?.count, 4)
        XCTAssertEqual((manifest["config"] as? [String: Any])?["frames_per_subject"] as? Int, 6)
    }

    func testSplitsAreSubjectExclusive() throws {
        let dataset = try SyntheticFaceDataset(config: SyntheticFaceConfig(subjects: 10, framesPerSubject: 3, size: 16, testFraction: 0.3))
        let train = Set(dataset.subjects(in: .train).map(\.id)), test = Set(dataset.subjects(in: .test).map(\.id))
        XCTAssertEqual(train.count, 7)
        XCTAssertEqual(test.count, 3)
        XCTAssertTrue(train.isDisjoint(with: test))
        XCTAssertEqual(Set(dataset.subjects.map(\.id)).count, 10, "subject ids are unique")
        for s in dataset.subjects {
            XCTAssertNotNil(s.id.range(of: #"^[FM][0-9]{3}$"#, options: .regularExpression))
            XCTAssertEqual(String(s.id.prefix(1)), s.identity.sex.rawValue)
        }
        // At least one test subject even for a zero fraction, at least one train subject for a full one.
        XCTAssertEqual(try SyntheticFaceDataset(config: SyntheticFaceConfig(subjects: 5, testFraction: 0)).subjects(in: .test).count, 1)
        XCTAssertEqual(try SyntheticFaceDataset(config: SyntheticFaceConfig(subjects: 5, testFraction: 1)).subjects(in: .train).count, 1)

        // On disk: the subject (first 4 characters of img_path) sets of the two label files are disjoint.
        let (directory, summary) = try write(Self.small, "splits")
        let trainFiles = Set(try labelLines(directory, "train").map { String(($0["img_path"] as! String).prefix(4)) })
        let testFiles = Set(try labelLines(directory, "test").map { String(($0["img_path"] as! String).prefix(4)) })
        XCTAssertTrue(trainFiles.isDisjoint(with: testFiles))
        XCTAssertEqual(trainFiles, Set(summary.train.subjects))
        XCTAssertEqual(testFiles, Set(summary.test.subjects))
        XCTAssertEqual(summary.test.subjects.count, 1)
    }

    func testExpressionFoldersSortIntoClassOrder() throws {
        let (directory, summary) = try write(Self.small, "folders")
        let names = FacialExpression.allCases.map(\.folderName)
        XCTAssertEqual(names, ["0_Neutral", "1_Happy", "2_Sad", "3_Surprise", "4_Fear", "5_Disgust", "6_Anger", "7_Contempt"])
        for (split, counts) in [("train", summary.train), ("test", summary.test)] {
            let root = directory.appendingPathComponent("expressions/\(split)")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root.path).sorted(), names)
            for (c, name) in names.enumerated() {
                let files = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(name).path)
                XCTAssertEqual(files.count, counts.expressions[c], "\(split)/\(name)")
                for file in files {
                    // The same bytes as the AU image: F001_T1_0003.ppm ↔ images/F001_T1/0003.ppm.
                    let original = directory.appendingPathComponent("images/\(file.prefix(7))/\(file.dropFirst(8))")
                    XCTAssertEqual(try Data(contentsOf: root.appendingPathComponent("\(name)/\(file)")), try Data(contentsOf: original))
                }
            }
            XCTAssertEqual(counts.expressions.reduce(0, +), counts.images)
        }
    }

    func testWriteIsAllOrNothing() throws {
        let dataset = try SyntheticFaceDataset(config: Self.small)
        let directory = scratch.appendingPathComponent("atomic")
        struct EncoderFailed: Error {}
        var calls = 0
        XCTAssertThrowsError(try dataset.write(to: directory, encode: { image in
            calls += 1
            if calls == 10 { throw EncoderFailed() }
            return Self.ppm(image)
        }, fileExtension: "ppm")) { XCTAssertTrue($0 is EncoderFailed) }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.path), [], "nothing left behind")

        try dataset.write(to: directory, encode: Self.ppm, fileExtension: "ppm")
        XCTAssertThrowsError(try dataset.write(to: directory, encode: Self.ppm, fileExtension: "ppm")) {
            XCTAssertEqual($0 as? SyntheticFaceError, .destinationExists(directory.standardizedFileURL.path))
        }
        let before = try contents(of: directory)
        try dataset.write(to: directory, encode: Self.ppm, fileExtension: "ppm", replacing: true)
        XCTAssertEqual(try contents(of: directory), before)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.path), ["atomic"])
        XCTAssertThrowsError(try dataset.write(to: scratch.appendingPathComponent("x"), encode: Self.ppm, fileExtension: "j/pg"))
    }

    func testJitterZeroGivesAlignedEvenlyLitFaces() throws {
        let aligned = try SyntheticFaceDataset(config: SyntheticFaceConfig(subjects: 3, framesPerSubject: 5, size: 32, jitter: 0))
        let loose = try SyntheticFaceDataset(config: SyntheticFaceConfig(subjects: 3, framesPerSubject: 5, size: 32, jitter: 1))
        for frame in 1...5 {
            let j = aligned.labels(subject: 0, frame: frame).jitter
            XCTAssertEqual([j.rotation, j.scale, j.shift.x, j.shift.y, j.turn, j.brightness, j.contrast, j.lightGradient, j.noise],
                           [0, 1, 0, 0, 0, 1, 1, 0, 0])
            // Only the pose and lighting change: the labels are the same frame for frame.
            XCTAssertEqual(aligned.labels(subject: 0, frame: frame).occurrence, loose.labels(subject: 0, frame: frame).occurrence)
        }
        XCTAssertNotEqual(loose.labels(subject: 0, frame: 1).jitter.rotation, 0)
    }

    func testInvalidConfigurationsAreRejected() {
        for config in [SyntheticFaceConfig(subjects: 1), SyntheticFaceConfig(framesPerSubject: 0), SyntheticFaceConfig(framesPerSubject: 10_000),
                       SyntheticFaceConfig(size: 8), SyntheticFaceConfig(identityBias: -1), SyntheticFaceConfig(testFraction: 1.5),
                       SyntheticFaceConfig(jitter: -0.1), SyntheticFaceConfig(jitter: 1.5)] {
            XCTAssertThrowsError(try SyntheticFaceDataset(config: config)) { error in
                guard case .invalidConfiguration? = error as? SyntheticFaceError else { return XCTFail("\(error)") }
            }
        }
    }

    // MARK: The identity shortcut

    /// AU12 rate of each subject of `split`, from labels alone (nothing rendered).
    private func au12Rates(_ dataset: SyntheticFaceDataset, _ split: SyntheticFaceDataset.Split) -> [Double] {
        let k = FacialActionUnit.au12.index
        return dataset.subjects(in: split).map { s in
            let frames = dataset.config.framesPerSubject
            let hits = (1...frames).filter { dataset.labels(subject: s.index, frame: $0).occurrence[k] }.count
            return Double(hits) / Double(frames)
        }
    }

    private func spread(_ values: [Double]) -> Double { values.max()! - values.min()! }

    func testIdentityBiasShowsInTrainingRatesOnly() throws {
        let biased = try SyntheticFaceDataset(config: SyntheticFaceConfig(subjects: 12, framesPerSubject: 400, identityBias: 0.9, seed: 3))
        let train = au12Rates(biased, .train), test = au12Rates(biased, .test)
        XCTAssertEqual(train.count, 9)
        XCTAssertEqual(test.count, 3)
        // Training subjects: from "almost never smiles" to "usually smiles".
        XCTAssertGreaterThan(spread(train), 0.5, "train AU12 rates \(train)")
        XCTAssertLessThan(train.min()!, 0.12)
        // Test subjects share one rate (p ≈ 0.27, binomial s.e. ≈ 0.02 with 400 frames).
        XCTAssertLessThan(spread(test), 0.1, "test AU12 rates \(test)")
        // Calibrated: the training subjects' average rate is the test rate.
        let testMean = test.reduce(0, +) / Double(test.count)
        XCTAssertEqual(train.reduce(0, +) / Double(train.count), testMean, accuracy: 0.05)

        // b = 0: the same subjects and split, no shortcut in training either.
        var config = biased.config
        config.identityBias = 0
        let fair = au12Rates(try SyntheticFaceDataset(config: config), .train)
        XCTAssertLessThan(spread(fair), 0.12, "unbiased train AU12 rates \(fair)")
        XCTAssertEqual(fair.reduce(0, +) / Double(fair.count), testMean, accuracy: 0.05)
        XCTAssertTrue(try SyntheticFaceDataset(config: config).subjects.allSatisfy { $0.auLogitOffsets.allSatisfy { $0 == 0 } })
    }

    func testBiasOffsetsAreEvenlySpreadOverTrainingSubjects() throws {
        let dataset = try SyntheticFaceDataset(config: SyntheticFaceConfig(subjects: 6, framesPerSubject: 1, identityBias: 0.5, testFraction: 1.0 / 3))
        // 4·b·v for v = −1, −1/3, 1/3, 1, plus one calibration shift per AU: steps of 4 · 0.5 · 2/3.
        for k in 0..<12 {
            let offsets = dataset.subjects(in: .train).map { $0.auLogitOffsets[k] }.sorted()
            XCTAssertEqual(offsets.count, 4)
            for i in 1..<4 { XCTAssertEqual(offsets[i] - offsets[i - 1], 4 * 0.5 * 2 / 3, accuracy: 1e-9) }
        }
        for s in dataset.subjects(in: .test) {
            XCTAssertEqual(s.auLogitOffsets, [Double](repeating: 0, count: 12))
            XCTAssertEqual(s.expressionLogitOffsets, [Double](repeating: 0, count: 8))
        }
    }

    func testLabelsMatchTheirExpression() throws {
        let dataset = try SyntheticFaceDataset(config: SyntheticFaceConfig(subjects: 3, framesPerSubject: 200, identityBias: 0))
        var classes = Set<Int>()
        for frame in 1...200 {
            let labels = dataset.labels(subject: 0, frame: frame)
            classes.insert(labels.expression.rawValue)
            for unit in labels.expression.actionUnits { XCTAssertTrue(labels.occurrence[unit.index]) }
            for k in 0..<12 {
                XCTAssertEqual(labels.occurrence[k], labels.intensities[k] > 0)
                if labels.occurrence[k] { XCTAssertGreaterThanOrEqual(labels.intensities[k], 0.4) }
            }
        }
        XCTAssertEqual(classes.count, 8, "all 8 classes occur")
    }

    // MARK: Pixels

    /// Per row, the number of pixels whose largest channel difference exceeds `threshold`.
    private func changedRows(_ a: RGBImage, _ b: RGBImage, threshold: Int = 8) -> [Int] {
        (0..<a.height).map { y in
            (0..<a.width).filter { x in
                let i = a.index(x: x, y: y)
                return (0..<3).contains { abs(Int(a.pixels[i + $0]) - Int(b.pixels[i + $0])) > threshold }
            }.count
        }
    }

    func testActionUnitsChangeTheirOwnRegion() {
        let size = 64
        let none = [Float](repeating: 0, count: 12)
        for seed: UInt64 in [1, 2, 3] {
            let identity = FaceIdentity(seed: seed)
            let neutral = FaceRenderer.render(identity: identity, aus: none, size: size)
            func rows(_ unit: FacialActionUnit) -> [Int] {
                changedRows(neutral, FaceRenderer.render(identity: identity, aus: FacialActionUnit.intensities([unit]), size: size))
            }
            let third = size / 3
            // Brow raisers: the upper part of the face (brows and forehead), nothing below the middle.
            for unit in [FacialActionUnit.au1, .au2] {
                let r = rows(unit)
                XCTAssertGreaterThan(r[..<(size / 2)].reduce(0, +), 20, "\(unit) seed \(seed)")
                XCTAssertGreaterThan(r[..<(third + 4)].reduce(0, +), 5, "\(unit) seed \(seed) in the upper third")
                XCTAssertEqual(r[(size / 2)...].reduce(0, +), 0, "\(unit) seed \(seed)")
            }
            // Smile: the lower third changes, the upper third does not.
            let smile = rows(.au12)
            XCTAssertGreaterThan(smile[(2 * third)...].reduce(0, +), 20, "AU12 seed \(seed)")
            XCTAssertEqual(smile[..<third].reduce(0, +), 0, "AU12 seed \(seed)")
            // Lip and chin units stay below the eyes.
            for unit in [FacialActionUnit.au15, .au17, .au23, .au24] {
                XCTAssertEqual(rows(unit)[..<(size * 45 / 100)].reduce(0, +), 0, "\(unit) seed \(seed)")
            }
        }
    }

    func testEveryActionUnitIsVisibleAt64Pixels() {
        let none = [Float](repeating: 0, count: 12)
        for seed: UInt64 in [4, 5] {
            let identity = FaceIdentity(seed: seed)
            let neutral = FaceRenderer.render(identity: identity, aus: none, size: 64)
            for unit in FacialActionUnit.bp4d {
                let changed = changedRows(neutral, FaceRenderer.render(identity: identity, aus: FacialActionUnit.intensities([unit]), size: 64),
                                          threshold: 16).reduce(0, +)
                XCTAssertGreaterThanOrEqual(changed, 6, "\(unit) changes only \(changed) pixels by more than 16 levels (seed \(seed))")
            }
        }
    }

    func testSubjectsLookDifferent() {
        let none = [Float](repeating: 0, count: 12)
        let faces = (0..<6).map { FaceRenderer.render(identity: FaceIdentity(seed: UInt64($0)), aus: none, size: 32) }
        for i in 0..<faces.count {
            for j in (i + 1)..<faces.count {
                let difference = zip(faces[i].pixels, faces[j].pixels).map { abs(Int($0) - Int($1)) }.reduce(0, +)
                XCTAssertGreaterThan(Double(difference) / Double(faces[i].pixels.count), 10, "subjects \(i) and \(j) look too alike")
            }
        }
    }

    /// A 224-pixel render is a pure function of its arguments, and an expression changes the lower face
    /// (mouth and cheeks) far more than the upper face of the same person.
    func testLargeRendersAreDeterministicAndExpressionsMoveTheMouth() throws {
        let identity = FaceIdentity(seed: 4)
        func render(_ expression: FacialExpression) -> RGBImage {
            let (units, extras) = expression.face()
            return FaceRenderer.render(identity: identity, aus: units, extras: extras, size: 224)
        }
        let neutral = render(.neutral), happy = render(.happy)
        XCTAssertEqual(neutral, render(.neutral))
        func meanDifference(rows: Range<Int>) -> Double {
            var total = 0
            for y in rows {
                for x in 0..<224 * 3 { total += abs(Int(neutral.pixels[y * 224 * 3 + x]) - Int(happy.pixels[y * 224 * 3 + x])) }
            }
            return Double(total) / Double(rows.count * 224 * 3)
        }
        let upper = meanDifference(rows: 0..<90), lower = meanDifference(rows: 130..<200)
        XCTAssertGreaterThan(lower, 1, "a smile changes the lower face")
        XCTAssertGreaterThan(lower, 2 * upper, "upper \(upper), lower \(lower)")
    }
}
