import Foundation

/// A layer that maps one tensor to one tensor.
public protocol UnaryLayer: AnyObject {
    func callAsFunction(_ x: Tensor) -> Tensor
}

/// A node of the model tree. Parameters and children are registered under the keys PyTorch gives them,
/// so the dotted paths of `namedParameters()` are the state-dict keys (`blocks.0.attn.qkv.weight`).
/// Swift properties keep Swift names; keys exist only at this boundary.
///
/// Order follows `torch.nn.Module.state_dict()`: a module's own parameters in registration order,
/// then each child's. A child registered with the empty key is merged into its parent, as if its
/// parameters and children had been registered on the parent directly (FMAE's MAE keeps encoder and
/// decoder in one module; the ViT encoder's keys sit at the root of a classifier).
open class Module {
    public private(set) var ownParameters: [(key: String, tensor: Tensor)] = []
    public private(set) var children: [(key: String, module: Module)] = []
    public private(set) var training = true
    /// Own parameters that are constants (registered with `trainable: false`, or `fix`ed later, like the
    /// sin-cos position tables): `freeze(false)` leaves them frozen.
    public private(set) var fixedKeys: Set<String> = []

    public init() {}

    /// Registers a parameter under `key` and returns it.
    @discardableResult
    public func parameter(_ key: String, _ tensor: Tensor, trainable: Bool = true) -> Tensor {
        precondition(!ownParameters.contains { $0.key == key }, "parameter \(key) registered twice")
        tensor.requiresGrad = trainable
        if !trainable { fixedKeys.insert(key) }
        ownParameters.append((key, tensor))
        return tensor
    }

    /// Registers a child module under `key` (empty: merged into this module) and returns it.
    @discardableResult
    public func child<M: Module>(_ key: String, _ module: M) -> M {
        precondition(key.isEmpty || !children.contains { $0.key == key }, "child \(key) registered twice")
        children.append((key, module))
        return module
    }

    /// Every parameter with its state-dict key, in state-dict order.
    public func namedParameters() -> [(key: String, tensor: Tensor)] {
        var own: [(String, Tensor)] = []
        var nested: [(String, Module)] = []
        collect(prefix: "", own: &own, nested: &nested)
        var result = own
        for (key, module) in nested {
            result += module.namedParameters().map { (key + "." + $0.key, $0.tensor) }
        }
        return result.map { (key: $0.0, tensor: $0.1) }
    }

    /// Own parameters of this module and of merged children first, then the keyed children.
    private func collect(prefix: String, own: inout [(String, Tensor)], nested: inout [(String, Module)]) {
        own += ownParameters.map { ($0.key, $0.tensor) }
        for (key, module) in children {
            if key.isEmpty { module.collect(prefix: prefix, own: &own, nested: &nested) } else { nested.append((key, module)) }
        }
    }

    public func parameters() -> [Tensor] { namedParameters().map(\.tensor) }
    public func trainableParameters() -> [(key: String, tensor: Tensor)] { namedParameters().filter { $0.tensor.requiresGrad } }

    /// PyTorch's `sum(p.numel() for p in model.parameters())`, frozen ones included.
    public var parameterCount: Int { parameters().reduce(0) { $0 + $1.count } }

    /// Training mode turns on dropout and drop-path; evaluation mode turns them off.
    public func train(_ on: Bool = true) {
        training = on
        for (_, c) in children { c.train(on) }
    }
    public func eval() { train(false) }

    /// Makes the own parameter `key` a constant: no gradient, now or after `freeze(false)`.
    public func fix(_ key: String) {
        guard let p = ownParameters.first(where: { $0.key == key }) else { preconditionFailure("no parameter \(key) to fix") }
        p.tensor.requiresGrad = false
        fixedKeys.insert(key)
    }

    /// Stops (or resumes) gradients for every parameter below this module; fixed ones stay frozen.
    public func freeze(_ frozen: Bool = true) {
        for (key, p) in ownParameters where !fixedKeys.contains(key) { p.requiresGrad = !frozen }
        for (_, c) in children { c.freeze(frozen) }
    }

    public func zeroGrad() {
        for p in parameters() { p.grad = nil }
    }

    /// Loads weights by state-dict key. Strict: every missing key, unexpected key and shape mismatch is
    /// collected and reported together, and nothing is changed unless all match.
    public func load(_ weights: [String: Tensor], strict: Bool = true) throws {
        let named = namedParameters()
        var problems = LoadError(missing: [], unexpected: [], mismatched: [])
        let known = Set(named.map(\.key))
        for (key, tensor) in named {
            guard let w = weights[key] else { problems.missing.append(key); continue }
            if w.shape != tensor.shape { problems.mismatched.append((key, expected: tensor.shape, got: w.shape)) }
        }
        problems.unexpected = weights.keys.filter { !known.contains($0) }.sorted()
        if !problems.mismatched.isEmpty || (strict && !problems.isEmpty) { throw problems }
        for (key, tensor) in named {
            if let w = weights[key] { tensor.assign(w) }
        }
    }
}

/// Keys, shapes and what went wrong when weights do not fit a model.
public struct LoadError: Error, CustomStringConvertible {
    public var missing: [String]
    public var unexpected: [String]
    public var mismatched: [(key: String, expected: [Int], got: [Int])]
    public var isEmpty: Bool { missing.isEmpty && unexpected.isEmpty && mismatched.isEmpty }

    public init(missing: [String] = [], unexpected: [String] = [], mismatched: [(key: String, expected: [Int], got: [Int])] = []) {
        self.missing = missing
        self.unexpected = unexpected
        self.mismatched = mismatched
    }

    public var description: String {
        var lines: [String] = []
        if !missing.isEmpty { lines.append("missing keys (\(missing.count)): " + missing.joined(separator: ", ")) }
        if !unexpected.isEmpty { lines.append("unexpected keys (\(unexpected.count)): " + unexpected.joined(separator: ", ")) }
        if !mismatched.isEmpty {
            lines.append("shape mismatches (\(mismatched.count)): "
                + mismatched.map { "\($0.key) expected \($0.expected), got \($0.got)" }.joined(separator: ", "))
        }
        return lines.joined(separator: "; ")
    }
}

/// Children under the keys "0", "1", … (torch.nn.ModuleList).
public final class ModuleList<Element: Module>: Module {
    public let items: [Element]
    public init(_ items: [Element]) {
        self.items = items
        super.init()
        for (i, m) in items.enumerated() { child(String(i), m) }
    }
}
