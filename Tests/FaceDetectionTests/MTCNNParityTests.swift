import FaceDetection
import Foundation
import Images
import JSON
import Layers
import XCTest
import Zoo

/// MTCNN against facenet-pytorch's `MTCNN().detect` on the committed photos
/// (Fixtures/make_mtcnn_fixtures.py): the same faces, in the same order, boxes and landmarks within 2 px,
/// scores within 1e-3; no face in the photos without one.
final class MTCNNParityTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
    static var detector: MTCNN?

    private func mtcnn() throws -> MTCNN {
        if let d = Self.detector { return d }
        let registry = LayerRegistry()
        registry.register(builtinLayerPlugins)
        let d = try MTCNN.bundled(catalog: try Catalog.locate(), registry: registry)
        Self.detector = d
        return d
    }

    func testBundledNetworksHoldFacenetPytorchsWeights() throws {
        let d = try mtcnn()
        XCTAssertEqual(d.pnet.parameterCount, 6_632)
        XCTAssertEqual(d.rnet.parameterCount, 100_178)
        XCTAssertEqual(d.onet.parameterCount, 389_040)
    }

    func testDetectionsMatchFacenetPytorch() throws {
        let data = try XCTUnwrap(FileManager.default.contents(atPath: Self.fixtures + "/mtcnn_reference.json"))
        guard case let .object(photos) = try JSONParser.parse(data) else { return XCTFail("reference is not an object") }
        XCTAssertEqual(photos.map(\.0).sorted(), ["astronaut.png", "chelsea.png", "coffee.png", "group.png"])
        var worstBox: Float = 0, worstScore: Float = 0
        for (name, expected) in photos {
            let image = try ImageFile.read(Self.fixtures + "/" + name)
            let faces = try mtcnn().detect(image)
            guard case let .array(reference)? = expected["faces"] else { return XCTFail(name) }
            XCTAssertEqual(faces.count, reference.count, "\(name): \(faces.map(\.box))")
            for (face, ref) in zip(faces, reference) {
                let box = numbers(ref["box"]), score = numbers(ref["score"]).first ?? -1
                let landmarks = (ref["landmarks"].map { v -> [Float] in
                    guard case let .array(points) = v else { return [] }
                    return points.flatMap { numbers($0) }
                }) ?? []
                for (a, b) in zip(face.box + face.landmarks.flatMap { $0 }, box + landmarks) {
                    worstBox = max(worstBox, abs(a - b))
                    XCTAssertEqual(a, b, accuracy: 2, "\(name): box \(face.box) landmarks \(face.landmarks) vs \(box) \(landmarks)")
                }
                worstScore = max(worstScore, abs(face.score - score))
                XCTAssertEqual(face.score, score, accuracy: 1e-3, name)
            }
        }
        print("MTCNN vs facenet-pytorch: max |Δ| box/landmark \(worstBox) px, score \(worstScore)")
    }

    private func numbers(_ value: JSONValue?) -> [Float] {
        switch value {
        case let .array(items)?: return items.flatMap { numbers($0) }
        case let .number(d)?: return [Float(d)]
        case let .integer(i)?: return [Float(i)]
        default: return []
        }
    }
}
