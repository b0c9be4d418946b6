import Fetch
import Foundation
import JSON
import XCTest
import Zoo

final class FetchTests: XCTestCase {
    private var folder = ""

    override func setUp() {
        folder = NSTemporaryDirectory() + "zoo-fetch-\(UUID().uuidString)"
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: folder)
        unsetenv("ZOO_GDRIVE_URL")
    }

    private func payload(_ count: Int = 300_000) -> Data {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        return Data((0..<count).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        })
    }

    private func entry(source: String, sha256: String? = nil, name: String = "tiny-released") throws -> Catalog.Entry {
        var fields = "\"name\": \"\(name)\", \"description\": \"test\", \"kind\": \"finetuned\", \"source\": \"\(source)\", \"format\": \"pth\", \"spec\": {}"
        if let sha256 { fields += ", \"sha256\": \"\(sha256)\"" }
        let catalog = try Catalog.parse(try JSONParser.parse(Data("{\"models\": [{\(fields)}]}".utf8)), file: "test")
        return catalog.entries[0]
    }

    private func cache(attempts: Int = 3) -> WeightsCache {
        var c = WeightsCache(folder: folder)
        c.showProgress = false
        c.attempts = attempts
        return c
    }

    private func sha(_ data: Data) throws -> String {
        let file = NSTemporaryDirectory() + "zoo-sha-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: file, contents: data)
        defer { try? FileManager.default.removeItem(atPath: file) }
        return try SHA256Digest.hex(ofFile: file)
    }

    func testSHA256MatchesKnownVectors() throws {
        // FIPS 180-2 examples.
        XCTAssertEqual(try sha(Data("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(try sha(Data(repeating: UInt8(ascii: "a"), count: 1_000_000)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        XCTAssertEqual(try sha(Data()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    func testFetchDownloadsChecksAndPlacesTheFile() throws {
        let data = payload()
        let server = try LocalHTTPServer { .file(data, request: $0) }
        defer { server.stop() }
        let e = try entry(source: server.base + "/w.pth", sha256: try sha(data).uppercased())
        let path = try cache().fetch(e)
        XCTAssertEqual(path, folder + "/tiny-released.pth")
        XCTAssertEqual(FileManager.default.contents(atPath: path), data)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".part"))
        // A second fetch finds it in the cache and asks the server nothing.
        XCTAssertEqual(try cache().fetch(e), path)
        XCTAssertEqual(server.requests.count, 1)
    }

    func testAnInterruptedTransferResumesWithARange() throws {
        let data = payload()
        var served = 0
        let server = try LocalHTTPServer { request in
            served += 1
            return .file(data, request: request, cutAfter: served == 1 ? 120_000 : nil)
        }
        defer { server.stop() }
        let e = try entry(source: server.base + "/w.pth", sha256: try sha(data))
        let path = try cache().fetch(e)
        XCTAssertEqual(FileManager.default.contents(atPath: path), data)
        XCTAssertEqual(server.requests.map(\.rangeStart), [nil, 120_000])
    }

    func testAFailedRunKeepsThePartialFileAndTheNextRunResumes() throws {
        let data = payload()
        var cut: Int? = 100_000
        let server = try LocalHTTPServer { .file(data, request: $0, cutAfter: cut) }
        defer { server.stop() }
        let e = try entry(source: server.base + "/w.pth", sha256: try sha(data))
        XCTAssertThrowsError(try cache(attempts: 1).fetch(e)) { error in
            guard case let .interrupted(url, received, expected, partial, _)? = error as? FetchError else {
                return XCTFail("expected an interruption, got \(error)")
            }
            XCTAssertEqual(url, server.base + "/w.pth")
            XCTAssertEqual(received, 100_000)
            XCTAssertEqual(expected, Int64(data.count))
            XCTAssertTrue(partial.hasSuffix("tiny-released.pth.part"))
            XCTAssertTrue("\(error)".contains("run the same command again to resume"), "\(error)")
        }
        let final = folder + "/tiny-released.pth"
        XCTAssertFalse(FileManager.default.fileExists(atPath: final), "nothing half-written under the final name")
        XCTAssertEqual(FileManager.default.contents(atPath: final + ".part")?.count, 100_000)

        cut = nil
        XCTAssertEqual(FileManager.default.contents(atPath: try cache(attempts: 1).fetch(e)), data)
        XCTAssertEqual(server.requests.last?.rangeStart, 100_000)
    }

    func testAWrongChecksumLeavesNoFile() throws {
        let data = payload(50_000)
        let server = try LocalHTTPServer { .file(data, request: $0) }
        defer { server.stop() }
        let wrong = String(repeating: "0", count: 64)
        let e = try entry(source: server.base + "/w.pth", sha256: wrong)
        XCTAssertThrowsError(try cache().fetch(e)) { error in
            guard case let .checksumMismatch(_, expected, actual)? = error as? FetchError else { return XCTFail("\(error)") }
            XCTAssertEqual(expected, wrong)
            XCTAssertEqual(actual, try? self.sha(data))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), [])
    }

    func testAServerThatIgnoresRangesStartsTheFileAgain() throws {
        let data = payload(80_000)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: folder + "/tiny-released.pth.part", contents: Data(repeating: 7, count: 5000))
        let server = try LocalHTTPServer { .file(data, request: $0, honourRange: false) }
        defer { server.stop() }
        let e = try entry(source: server.base + "/w.pth", sha256: try sha(data))
        XCTAssertEqual(FileManager.default.contents(atPath: try cache().fetch(e)), data)
        XCTAssertEqual(server.requests.first?.rangeStart, 5000)
    }

    func testGoogleDriveConfirmPageIsFollowed() throws {
        let data = payload(60_000)
        var base = ""
        let server = try LocalHTTPServer { request in
            guard request.path == "/download", request.query["id"] == "AbC_12-x" else {
                return LocalHTTPServer.Reply(status: 404, headers: [], body: Data())
            }
            if request.query["confirm"] == "t", request.query["uuid"] == "5f2e" { return .file(data, request: request) }
            return .html("""
                <html><body><p>Google Drive can't scan this file for viruses.</p>
                <form id="download-form" action="\(base)/download" method="get">
                <input type="submit" value="Download anyway"/>
                <input type="hidden" name="id" value="AbC_12-x"><input type="hidden" name="export" value="download">
                <input type="hidden" name="confirm" value="t"><input type="hidden" name="uuid" value="5f2e"></form></body></html>
                """)
        }
        defer { server.stop() }
        base = server.base
        setenv("ZOO_GDRIVE_URL", server.base, 1)
        let e = try entry(source: "gdrive:AbC_12-x", sha256: try sha(data))
        XCTAssertEqual(FileManager.default.contents(atPath: try cache().fetch(e)), data)
        XCTAssertEqual(server.requests.count, 2)
        XCTAssertEqual(server.requests.last?.query["uuid"], "5f2e")
    }

    func testGoogleDriveQuotaPageIsAClearError() throws {
        let server = try LocalHTTPServer { _ in .html("<html><body>Too many users have viewed or downloaded this file recently.</body></html>") }
        defer { server.stop() }
        setenv("ZOO_GDRIVE_URL", server.base, 1)
        XCTAssertThrowsError(try cache().fetch(try entry(source: "gdrive:xyz"))) { error in
            XCTAssertTrue("\(error)".contains("Google Drive file xyz"), "\(error)")
            XCTAssertTrue("\(error)".contains("quota"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/tiny-released.pth"))
    }

    func testHTTPErrorsAndBadSourcesNameWhatFailed() throws {
        let server = try LocalHTTPServer { _ in LocalHTTPServer.Reply(status: 404, headers: [], body: Data("no".utf8)) }
        defer { server.stop() }
        XCTAssertThrowsError(try cache().fetch(try entry(source: server.base + "/missing.pth"))) { error in
            XCTAssertEqual(error as? FetchError, .httpStatus(url: server.base + "/missing.pth", status: 404))
        }
        XCTAssertThrowsError(try cache().fetch(try entry(source: "ftp://example.org/w.pth"))) { error in
            XCTAssertTrue("\(error)".contains("neither an http(s) URL nor gdrive:ID"), "\(error)")
        }
        XCTAssertThrowsError(try cache().fetch(try entry(source: server.base + "/w", sha256: "abc"))) { error in
            XCTAssertTrue("\(error)".contains("not 64 hex digits"), "\(error)")
        }
        // Nothing listens on this port once the server is stopped.
        let closed = try LocalHTTPServer { _ in .html("") }
        closed.stop()
        XCTAssertThrowsError(try cache().fetch(try entry(source: closed.base + "/w.pth"))) { error in
            guard case .unreachable? = error as? FetchError else { return XCTFail("\(error)") }
        }
    }

    func testWeightsArgumentResolvesFilesThenCatalogNames() throws {
        let data = payload(10_000)
        let server = try LocalHTTPServer { .file(data, request: $0) }
        defer { server.stop() }
        let json = "{\"models\": [{\"name\": \"tiny-released\", \"description\": \"t\", \"kind\": \"finetuned\", \"source\": \"\(server.base)/w.pth\", \"format\": \"pth\", \"spec\": {}}]}"
        let catalog = try Catalog.parse(try JSONParser.parse(Data(json.utf8)), file: "test")
        let file = NSTemporaryDirectory() + "zoo-local-\(UUID().uuidString).pth"
        FileManager.default.createFile(atPath: file, contents: Data([1]))
        defer { try? FileManager.default.removeItem(atPath: file) }
        XCTAssertEqual(try cache().resolveWeights(file, catalog: catalog), file)
        XCTAssertEqual(try cache().resolveWeights("tiny-released", catalog: catalog), folder + "/tiny-released.pth")
        XCTAssertEqual(FileManager.default.contents(atPath: folder + "/tiny-released.pth"), data)
        XCTAssertEqual(try cache().resolveWeights("not-a-model.pth", catalog: catalog), "not-a-model.pth")
    }
}
