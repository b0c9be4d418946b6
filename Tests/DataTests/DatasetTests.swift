import Data
import Foundation
import XCTest

final class DatasetTests: XCTestCase {
    var root: String!
    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "zoo-data-\(getpid())-\(abs(name.hashValue))"
        for f in ["F001_T1/0001.jpg", "M002_T3/0007.jpg", "LeftVideoSN001/0001.jpg"] {
            try FileManager.default.createDirectory(atPath: root + "/" + (f as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: root + "/" + f, contents: Data([0]))
        }
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: root) }

    func write(_ lines: [String]) throws -> String {
        let file = root + "/labels.jsonl"
        try lines.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    func testBP4DLinesSubjectsAndOverride() throws {
        let file = try write([
            #"{"img_path": "F001_T1/0001.jpg", "AUs": [1, 999, 4, 999, 999, 999, 12, 999, 999, 999, 999, 24]}"#,
            "",
            #"{"img_path": "M002_T3/0007.jpg", "AUs": [999, 999, 999, 999, 999, 999, 999, 999, 999, 999, 999, 999], "subject": "X9"}"#,
        ])
        let d = try AUDataset.load(labels: file, root: root, preset: .bp4d)
        XCTAssertEqual(d.samples.count, 2)
        XCTAssertEqual(d.samples[0].labels, [1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1])
        XCTAssertEqual(d.samples[0].subject, "F001")
        XCTAssertEqual(d.samples[1].subject, "X9")
        XCTAssertEqual(d.subjects, ["F001", "X9"])
    }

    func testDISFASubjectRule() throws {
        let file = try write([#"{"img_path": "LeftVideoSN001/0001.jpg", "AUs": [1, 2, 999, 999, 999, 12, 999, 26]}"#])
        let d = try AUDataset.load(labels: file, root: root, preset: .disfa)
        XCTAssertEqual(d.samples[0].subject, "SN001")  // last five characters of the first path component
        XCTAssertEqual(d.samples[0].labels, [1, 1, 0, 0, 0, 1, 0, 1])
    }

    func testBadLinesNameFileAndLineOrAreSkipped() throws {
        let file = try write([
            #"{"img_path": "F001_T1/0001.jpg", "AUs": [1, 999, 4]}"#,
            #"{"img_path": "F001_T1/0002.jpg", "AUs": [1, 999, 4, 999, 999, 999, 12, 999, 999, 999, 999, 24]}"#,
            #"{"img_path": "F001_T1/0001.jpg", "AUs": [2, 999, 4, 999, 999, 999, 12, 999, 999, 999, 999, 24]}"#,
            "not json",
            #"{"img_path": "M002_T3/0007.jpg", "AUs": [1, 999, 4, 999, 999, 999, 12, 999, 999, 999, 999, 24]}"#,
        ])
        XCTAssertThrowsError(try AUDataset.load(labels: file, root: root, preset: .bp4d)) { e in
            XCTAssertEqual("\(e)", "\(file):1: expected 12 AU entries for bp4d (1, 2, 4, 6, 7, 10, 12, 14, 15, 17, 23, 24), got 3")
        }
        let d = try AUDataset.load(labels: file, root: root, preset: .bp4d, skipBad: true)
        XCTAssertEqual(d.samples.map(\.subject), ["M002"])
        XCTAssertEqual(d.skipped.count, 4)
        XCTAssertEqual(d.skipped[1], "\(file):2: image \"\(root!)/F001_T1/0002.jpg\" not found")
        XCTAssertEqual(d.skipped[2], "\(file):3: AUs[0] must be 1 (present) or 999 (absent), got 2")
        XCTAssertTrue(d.skipped[3].hasPrefix("\(file):4: not a JSON object"))
    }

    func testImageFolderClassesAndEmptyFolder() throws {
        let dir = root + "/fer"
        for (c, n) in [("b_sad", 2), ("a_happy", 1)] {
            try FileManager.default.createDirectory(atPath: dir + "/" + c, withIntermediateDirectories: true)
            for i in 0..<n { FileManager.default.createFile(atPath: dir + "/\(c)/\(i).jpg", contents: Data([0])) }
        }
        let d = try ImageFolderDataset.load(root: dir)
        XCTAssertEqual(d.classes, ["a_happy", "b_sad"])
        XCTAssertEqual(d.samples.map(\.classIndex), [0, 1, 1])
        XCTAssertThrowsError(try ImageFolderDataset.load(root: dir, preset: .rafdb)) { e in
            XCTAssertTrue("\(e)".contains("2 class folders, but rafdb has 7 classes"))
        }
        try FileManager.default.createDirectory(atPath: dir + "/c_empty", withIntermediateDirectories: true)
        XCTAssertThrowsError(try ImageFolderDataset.load(root: dir)) { e in
            XCTAssertEqual("\(e)", "\(dir)/c_empty: class folder has no images")
        }
    }

    /// A 1 MB img_path used to come back whole in the error (a 100 MB one, as 104 MB of stderr).
    func testLongImagePathIsCutInTheMessage() throws {
        let long = String(repeating: "p", count: 1_000_000)
        let file = try write([#"{"img_path": "\#(long)", "AUs": [1, 999, 4, 999, 999, 999, 999, 999, 999, 999, 999, 999]}"#])
        XCTAssertThrowsError(try AUDataset.load(labels: file, root: root, preset: .bp4d)) { error in
            let message = "\(error)"
            XCTAssertLessThan(message.count, 1000, String(message.prefix(300)))
            XCTAssertTrue(message.contains("(\(root.count + 1 + long.count) characters)") && message.contains("not found"), String(message.prefix(300)))
        }
    }
}
