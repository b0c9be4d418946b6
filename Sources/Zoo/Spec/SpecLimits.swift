import Foundation

/// The bounds a spec's numbers must keep. They are far above any ViT that fits a machine (ViT-g/14 has
/// width 1408 and depth 40, images up to 1024 pixels) and far below what would overflow an Int or an
/// allocation, so a spec that passes them can be built or refused by the parameter budget without a trap.
public enum SpecLimits {
    /// Image side in pixels.
    public static let imageSize = 1...8192
    /// Patch side in pixels.
    public static let patchSize = 1...1024
    /// Image channels.
    public static let channels = 1...64
    /// A layer's width (embed_dim, dim, in_features, out_features, hidden sizes).
    public static let width = 1...(1 << 20)
    /// Blocks in an encoder or decoder.
    public static let depth = 1...1024
    /// The MLP width as a multiple of the embedding width: above 0, at most 64.
    public static let maximumMLPRatio = 64.0
    /// LayerNorm's ε.
    public static let normEps = 0.0...1.0
    /// A weight initialisation's standard deviation.
    public static let initStd = 0.0...10.0
    /// λ of a gradient reversal: its sign is fixed by the reversal itself.
    public static let gradientReversal = 0.0...1e4
}

/// Counts the parameters a spec asks for before any is allocated, so a spec that would exhaust memory
/// is refused with the path of the layer that crossed the limit instead of being half built.
public final class ParameterBudget {
    /// PyTorch and safetensors index a tensor's elements with 64-bit integers, but the kernels here
    /// use Int32-sized GEMM dimensions; one tensor holds at most 2^31 elements.
    public static let maximumTensorElements = 1 << 31
    /// The default total: 2^31 float32 parameters (8 GiB), over ViT-g (1.0 G parameters).
    public static let defaultLimit = 1 << 31

    public let limit: Int
    public private(set) var reserved = 0

    public init(limit: Int = ParameterBudget.defaultLimit) { self.limit = limit }

    /// The element count of `shape`, or nil when it overflows an Int.
    public static func elementCount(_ shape: [Int]) -> Int? {
        var n = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            n = p
        }
        return n
    }

    /// Reserves the tensors of the layer at `path`, or throws naming it, its size and the limit.
    public func reserve(_ shapes: [[Int]], path: String) throws {
        var total = 0
        for shape in shapes {
            guard let n = ParameterBudget.elementCount(shape), n <= ParameterBudget.maximumTensorElements else {
                throw SpecError.invalid(path: path.isEmpty ? "(root)" : path, message:
                    "a tensor of shape \(shape) exceeds the limit of \(ParameterBudget.maximumTensorElements) elements per tensor")
            }
            total += n  // at most (number of shapes) · 2^31: no overflow
        }
        let (sum, overflow) = reserved.addingReportingOverflow(total)
        guard !overflow, sum <= limit else {
            throw SpecError.invalid(path: path.isEmpty ? "(root)" : path, message:
                "the model would have more than \(limit) parameters (\(reserved) before this layer, \(total) in it)")
        }
        reserved = sum
    }
}
