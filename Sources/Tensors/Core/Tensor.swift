import Foundation

/// A contiguous, row-major float32 tensor. Reshapes share storage; every other op writes a new one.
/// A tensor that requires a gradient records how it was made (`gradFn`), so `backward()` can run the
/// chain rule in reverse.
public final class Tensor {
    public internal(set) var storage: Storage
    /// Offset of element 0 inside `storage`, in floats.
    public internal(set) var offset: Int
    public let shape: [Int]
    public let count: Int
    /// Leaves with `requiresGrad` collect gradients in `grad`; op results inherit it from their inputs.
    public var requiresGrad: Bool
    public var grad: Tensor?
    /// How this tensor was computed; nil for leaves and for results made without gradient tracking.
    var gradFn: GradFn?

    public init(storage: Storage, offset: Int = 0, shape: [Int], requiresGrad: Bool = false) {
        let count = shape.reduce(1, *)
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        precondition(offset + count <= storage.count, "shape \(shape) does not fit its storage")
        self.storage = storage
        self.offset = offset
        self.shape = shape
        self.count = count
        self.requiresGrad = requiresGrad
    }

    /// Uninitialised tensor: the caller writes every element.
    public convenience init(uninitializedShape shape: [Int]) {
        self.init(storage: Storage(count: shape.reduce(1, *)), shape: shape)
    }

    public convenience init(zeros shape: [Int], requiresGrad: Bool = false) {
        self.init(storage: Storage(zeros: shape.reduce(1, *)), shape: shape, requiresGrad: requiresGrad)
    }

    public convenience init(repeating value: Float, shape: [Int], requiresGrad: Bool = false) {
        let storage = Storage(count: shape.reduce(1, *))
        storage.pointer.initialize(repeating: value, count: storage.count)
        self.init(storage: storage, shape: shape, requiresGrad: requiresGrad)
    }

    public convenience init(_ values: [Float], shape: [Int], requiresGrad: Bool = false) {
        precondition(values.count == shape.reduce(1, *), "\(values.count) values for shape \(shape)")
        let storage = Storage(count: values.count)
        values.withUnsafeBufferPointer { storage.pointer.initialize(from: $0.baseAddress!, count: values.count) }
        self.init(storage: storage, shape: shape, requiresGrad: requiresGrad)
    }

    public convenience init(scalar: Float) { self.init([scalar], shape: []) }

    /// Makes this tensor read and write `other`'s memory (same shape) from now on: replicas of a model
    /// then run on one set of weights, and an update of one is seen by all.
    public func shareStorage(with other: Tensor) {
        precondition(shape == other.shape, "shareStorage: shape \(shape) ≠ \(other.shape)")
        storage = other.storage
        offset = other.offset
    }

    // MARK: Access

    public var rank: Int { shape.count }
    /// Pointer to element 0. Writing through it is only for code that owns the tensor (kernels, loaders).
    @inline(__always) public var data: UnsafeMutablePointer<Float> { storage.pointer + offset }
    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: data, count: count) }
    public var scalars: [Float] { Array(buffer) }
    public var item: Float {
        precondition(count == 1, "item() needs one element, the tensor has shape \(shape)")
        return data[0]
    }
    public var isLeaf: Bool { gradFn == nil }
    public var strides: [Int] { Tensor.contiguousStrides(shape) }

    public static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var s = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i] = s
            s *= shape[i]
        }
        return strides
    }

    /// Converts a possibly negative dimension index.
    public func axis(_ d: Int) -> Int {
        let a = d < 0 ? d + rank : d
        precondition(a >= 0 && a < rank, "dimension \(d) out of range for shape \(shape)")
        return a
    }

    /// A copy with its own storage, outside any graph.
    public func copy() -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        t.data.update(from: data, count: count)
        return t
    }

    /// This tensor's values without its history (PyTorch's `detach`): shares storage.
    public func detached() -> Tensor { Tensor(storage: storage, offset: offset, shape: shape) }

    /// Replaces the values (and storage) of a leaf, e.g. when loading weights. Shapes must agree.
    public func assign(_ source: Tensor) {
        precondition(source.shape == shape, "assigning shape \(source.shape) to \(shape)")
        storage = source.storage
        offset = source.offset
    }

    /// Fills from a seeded generator.
    public func fillNormal(_ generator: Generator, mean: Double = 0, std: Double = 1) {
        let p = data
        for i in 0..<count { p[i] = Float(mean + std * generator.normal()) }
    }

    public func fillUniform(_ generator: Generator, lower: Double = 0, upper: Double = 1) {
        let p = data
        for i in 0..<count { p[i] = Float(lower + (upper - lower) * generator.uniform()) }
    }

    /// timm's trunc_normal_: normal(mean, std) cut at [lower, upper] (absolute bounds, default ±2).
    public func fillTruncatedNormal(_ generator: Generator, std: Double, lower: Double = -2, upper: Double = 2) {
        let p = data
        for i in 0..<count { p[i] = Float(generator.truncatedNormal(mean: 0, std: std, lower: lower, upper: upper)) }
    }

    public func fill(_ value: Float) { data.update(repeating: value, count: count) }

    public static func randn(_ shape: [Int], generator: Generator, std: Double = 1, requiresGrad: Bool = false) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        t.fillNormal(generator, std: std)
        t.requiresGrad = requiresGrad
        return t
    }

    public static func rand(_ shape: [Int], generator: Generator, requiresGrad: Bool = false) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        t.fillUniform(generator)
        t.requiresGrad = requiresGrad
        return t
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(8).map { String(format: "%.5g", $0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(shown)\(count > 8 ? ", …" : "")])"
    }
}

/// Integer indices for gather and targets: shape plus row-major values.
public struct IndexTensor: Equatable, Sendable {
    public var shape: [Int]
    public var values: [Int]
    public init(_ values: [Int], shape: [Int]) {
        precondition(values.count == shape.reduce(1, *), "\(values.count) indices for shape \(shape)")
        self.values = values
        self.shape = shape
    }
}
