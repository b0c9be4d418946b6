import BundledModels
import Checkpoint
import Foundation
import JSON
import Layers
import Tensors
import Zoo

/// MTCNN built from a spec (the catalog entry `mtcnn`: three `graph` layer specs and the detector's
/// settings) and the three state dicts facenet-pytorch ships (`pnet.pt`, `rnet.pt`, `onet.pt` in one folder).
extension MTCNN {
    public static let specFields = ["family", "pnet", "rnet", "onet", "min_face_size", "thresholds", "factor"]

    public static func load(spec value: JSONValue, weightsFolder: String, registry: LayerRegistry = .shared) throws -> MTCNN {
        let spec = try SpecObject(value, path: "")
        func network(_ key: String) throws -> Graph {
            let context = BuildContext(registry: registry, generator: Generator(seed: 0))
            guard let layer = spec.raw(key) else { throw SpecError.missing(path: key, expected: "a graph layer spec") }
            guard let graph = try registry.build(layer, path: key, context: context) as? Graph else {
                throw SpecError.invalid(path: key, message: "expected a graph layer (type \"graph\")")
            }
            let file = weightsFolder + "/\(key).pt"
            let weights = try CheckpointReader.read(path: file)
            do {
                try graph.load(Dictionary(uniqueKeysWithValues: weights.tensors.map { ($0.name, $0.tensor.floatTensor()) }), strict: true)
            } catch {
                throw CheckpointError.malformed(file: file, reason: "does not fit the \(key) spec: \(error)")
            }
            return graph
        }
        let detector = MTCNN(pnet: try network("pnet"), rnet: try network("rnet"), onet: try network("onet"))
        detector.minFaceSize = try spec.double("min_face_size", default: 20, in: 12...100_000)
        detector.factor = try spec.double("factor", default: 0.709, in: 0.1...0.99)
        var thresholds = [0.6, 0.7, 0.7]
        if let value = spec.raw("thresholds") {
            let numbers: [Double]? = { if case let .array(items) = value, items.count == 3 {
                let n = items.compactMap { item -> Double? in
                    switch item { case let .number(d): return d; case let .integer(i): return Double(i); default: return nil }
                }
                return n.count == 3 && n.allSatisfy({ (0...1).contains($0) }) ? n : nil
            } else { return nil } }()
            guard let numbers else { throw SpecError.invalid(path: "thresholds", message: "expected 3 probabilities (P-, R-, O-Net), got \(value.brief)") }
            thresholds = numbers
        }
        detector.thresholds = (Float(thresholds[0]), Float(thresholds[1]), Float(thresholds[2]))
        _ = spec.raw("type")
        try spec.finish()
        return detector
    }

    /// The catalog's `mtcnn` with the networks zoo ships.
    public static func bundled(catalog: Catalog, registry: LayerRegistry = .shared) throws -> MTCNN {
        guard let entry = catalog.entry(named: "mtcnn") else { throw CatalogError.unknownModel(name: "mtcnn", hint: "") }
        guard let folder = entry.source.flatMap(BundledModels.path(forSource:)) else {
            throw CatalogError.invalid(file: catalog.file, reason: "mtcnn: the bundled MTCNN networks are missing (source \(entry.source ?? "none"))")
        }
        return try load(spec: entry.spec, weightsFolder: folder, registry: registry)
    }
}
