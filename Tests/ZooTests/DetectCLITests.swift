import Foundation
import JSON
import XCTest

/// `zoo run detect` end to end: the JSON layout the README documents, a photo without a face as an empty
/// list, an unreadable photo named (and passed over with --skip-bad), a folder of photos.
final class DetectCLITests: XCTestCase {
    static let photos = repositoryRoot.appendingPathComponent("Tests/FaceDetectionTests/Fixtures").path

    func testDetectWritesOneEntryPerPhoto() throws {
        let out = NSTemporaryDirectory() + "zoo-detect-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = try runZoo(["run", "detect", "--images", Self.photos + "/group.png", Self.photos + "/coffee.png", "--output", out])
        XCTAssertEqual(run.status, 0, run.stderr)
        guard case let .array(entries) = try JSONParser.parse(try Data(contentsOf: URL(fileURLWithPath: out))) else { return XCTFail("not a list") }
        XCTAssertEqual(entries.count, 2)
        XCTAssertEqual(entries[0]["size"], .array([.integer(560), .integer(260)]))
        guard case let .array(faces)? = entries[0]["faces"] else { return XCTFail("no faces list") }
        XCTAssertEqual(faces.count, 3)
        for face in faces {
            guard case let .array(box)? = face["box"], case let .array(landmarks)? = face["landmarks"], case .number? = face["score"] else {
                return XCTFail("face entry \(face.serialized())")
            }
            XCTAssertEqual(box.count, 4)
            XCTAssertEqual(landmarks.count, 5)
        }
        XCTAssertEqual(entries[1]["faces"], .array([]), "a photo without a face is an empty list")
    }

    func testUnreadablePhotosAreNamedAndSkippedOnRequest() throws {
        let bad = NSTemporaryDirectory() + "zoo-detect-bad-\(UUID().uuidString).png"
        FileManager.default.createFile(atPath: bad, contents: Data("\u{89}PNG\r\n\u{1A}\nnot really".utf8))
        defer { try? FileManager.default.removeItem(atPath: bad) }
        let failed = try runZoo(["run", "detect", "--images", bad, Self.photos + "/coffee.png"])
        XCTAssertEqual(failed.status, 1)
        XCTAssertTrue(failed.stderr.contains(bad), failed.stderr)
        let skipped = try runZoo(["run", "detect", "--images", bad, Self.photos + "/coffee.png", "--skip-bad"])
        XCTAssertEqual(skipped.status, 0, skipped.stderr)
        XCTAssertTrue(skipped.stderr.contains("skipped \(bad)"), skipped.stderr)
        XCTAssertTrue(skipped.stdout.contains("coffee.png"))
        let folder = try runZoo(["run", "detect", "--images", Self.photos])
        XCTAssertEqual(folder.status, 0, folder.stderr)
        guard case let .array(all) = try JSONParser.parse(Data(folder.stdout.utf8)) else { return XCTFail("not a list") }
        XCTAssertEqual(all.count, 4, "the four fixture photos")
    }
}
