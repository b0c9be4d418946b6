import Foundation
import Tensors
import Zoo

/// Dimensions reordered (torch's x.permute(dims)): MTCNN's R- and O-Nets permute [N, C, H, W] to
/// [N, W, H, C] before flattening, so their dense layers' weights read the features in that order.
public final class Permute: Module, UnaryLayer {
    public let order: [Int]
    public init(_ order: [Int]) {
        self.order = order
        super.init()
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == order.count, "permute \(order): input \(x.shape) has rank \(x.rank), expected \(order.count)")
        return x.permuted(order)
    }
}

public enum PermutePlugin: LayerPlugin {
    public static let name = "permute"
    public static let summary = "reorder dimensions, as torch's permute (dims: a permutation of 0…rank−1)"

    public static let fields: [String]? = ["dims"]

    public static func build(_ spec: SpecObject, context: BuildContext) throws -> Module {
        let dims = try spec.intArray("dims", default: [])
        guard (1...16).contains(dims.count), dims.sorted() == Array(0..<dims.count) else {
            throw SpecError.invalid(path: spec.childPath("dims"), message:
                "expected a permutation of 0…rank−1 (rank 1 to 16), got \(dims.prefix(17).map(String.init).joined(separator: ", "))")
        }
        return Permute(dims)
    }
}
