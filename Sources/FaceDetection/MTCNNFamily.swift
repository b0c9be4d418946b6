import Foundation
import Layers
import Tensors
import Zoo

/// MTCNN's three networks as one model, so the catalog entry `mtcnn` builds, shows and loads like any
/// other: keys `pnet.conv1.weight`, `rnet.dense4.weight`, `onet.dense6_3.bias`, …
/// `{"type": "mtcnn", "pnet": graph, "rnet": graph, "onet": graph, "min_face_size", "thresholds", "factor"}`.
/// As an image model it runs O-Net on 48 × 48 face crops (box regression, landmarks, face probability);
/// the cascade over whole photos is `zoo run detect` (`MTCNN`).
public enum MTCNNFamily: ModelFamily {
    public static let name = "mtcnn"
    public static let summary = "MTCNN face detection: P-, R- and O-Net graphs (facenet-pytorch's weights); the cascade runs as `zoo run detect`"
    public static let roles = ["detect", "predict", "show"]

    public static func build(_ root: SpecObject, context: ModelBuildContext) throws -> any ImageModel {
        func network(_ key: String) throws -> Graph {
            guard let spec = root.raw(key) else { throw SpecError.missing(path: key, expected: "a graph layer") }
            guard let graph = try context.layers.build(spec, path: key, context: context.layerContext(initialization: .timm)) as? Graph else {
                throw SpecError.invalid(path: key + ".type", message: "expected a graph layer (type \"graph\")")
            }
            return graph
        }
        let model = MTCNNModel(pnet: try network("pnet"), rnet: try network("rnet"), onet: try network("onet"), generator: context.generator)
        // The detector's settings are checked by `MTCNN.load`; here they are only part of the spec.
        for key in ["min_face_size", "thresholds", "factor"] { _ = root.raw(key) }
        return model
    }

    public static func describe(_ model: any ImageModel) -> [(String, JSONValue)] {
        guard let m = model as? MTCNNModel else { return [] }
        return [("networks", .object([("pnet", .integer(m.pnet.parameterCount)), ("rnet", .integer(m.rnet.parameterCount)),
                                      ("onet", .integer(m.onet.parameterCount))]))]
    }
}

public final class MTCNNModel: Module, ImageModel {
    public let pnet: Graph, rnet: Graph, onet: Graph
    public let generator: Generator
    public var inputShape: [Int] { [3, 48, 48] }

    init(pnet: Graph, rnet: Graph, onet: Graph, generator: Generator) {
        self.pnet = pnet
        self.rnet = rnet
        self.onet = onet
        self.generator = generator
        super.init()
        _ = child("pnet", pnet)
        _ = child("rnet", rnet)
        _ = child("onet", onet)
    }

    public func outputs(_ images: Tensor, extra: [String: Tensor]) -> [(name: String, tensor: Tensor)] {
        onet.outputs(images)
    }
}
