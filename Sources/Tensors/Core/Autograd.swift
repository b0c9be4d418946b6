import Foundation

/// How a tensor was computed: the inputs that need gradients and the rule that maps the output's
/// gradient to theirs. Backward closures capture what they need (inputs, saved statistics), never the
/// output tensor itself, so the graph has no reference cycles and is freed with the tensors.
final class GradFn {
    let name: String
    let inputs: [Tensor?]
    let backward: (Tensor) -> [Tensor?]

    init(name: String, inputs: [Tensor?], backward: @escaping (Tensor) -> [Tensor?]) {
        self.name = name
        self.inputs = inputs
        self.backward = backward
    }
}

/// Gradient recording switch. Off inside `withNoGrad` (inference): ops then keep no graph and
/// intermediates are freed as soon as they are no longer used.
public enum GradMode {
    @TaskLocal static var disabled = false
    public static var isEnabled: Bool { !disabled }
}

/// Runs `body` without recording gradients.
public func withNoGrad<T>(_ body: () throws -> T) rethrows -> T {
    try GradMode.$disabled.withValue(true, operation: body)
}

/// Runs `body` with `parameters` treated as constants: ops inside record no gradient path to them, so
/// a loss computed there moves the other inputs only (an adversary's confusion loss reaching the encoder
/// through a head that must not learn from it). Their `requiresGrad` is restored afterwards.
public func withFrozenParameters<T>(_ parameters: [Tensor], _ body: () throws -> T) rethrows -> T {
    let was = parameters.map(\.requiresGrad)
    for p in parameters { p.requiresGrad = false }
    defer { for (p, w) in zip(parameters, was) { p.requiresGrad = w } }
    return try body()
}

extension Tensor {
    /// Whether an op on these inputs must record a graph node.
    @inline(__always)
    static func needsGraph(_ inputs: Tensor?...) -> Bool {
        guard GradMode.isEnabled else { return false }
        for t in inputs where t?.requiresGrad == true { return true }
        return false
    }

    /// Attaches a backward rule to an op's result when any input requires a gradient.
    /// `backward` returns one gradient per input (nil where an input needs none).
    @discardableResult
    func recording(_ name: String, _ inputs: [Tensor], _ backward: @escaping (Tensor) -> [Tensor?]) -> Tensor {
        guard GradMode.isEnabled, inputs.contains(where: { $0.requiresGrad }) else { return self }
        requiresGrad = true
        gradFn = GradFn(name: name, inputs: inputs.map { $0.requiresGrad ? $0 : nil }, backward: backward)
        return self
    }

    /// Reverse-mode differentiation from this tensor. A scalar starts from gradient 1; otherwise pass the
    /// gradient of the output. Leaves that require gradients accumulate into `grad`. The graph is freed
    /// as it is walked (PyTorch's retain_graph=False).
    ///
    /// `leafReady` is called with each leaf as soon as this walk has finished its gradient (every op that
    /// used it is done), while the rest of the graph is still being walked: the order is the reverse of use,
    /// the same on every run of the same graph. Data-parallel training starts averaging those gradients
    /// across processes there (PyTorch DDP's autograd hooks). It runs on the calling thread.
    public func backward(_ gradient: Tensor? = nil, leafReady: ((Tensor) -> Void)? = nil) {
        precondition(requiresGrad, "backward() on a tensor that does not require a gradient")
        let seed = gradient ?? {
            precondition(count == 1, "backward() without a gradient needs a scalar, got shape \(shape)")
            return Tensor(repeating: 1, shape: shape)
        }()
        precondition(seed.shape == shape, "gradient shape \(seed.shape) ≠ tensor shape \(shape)")

        // Topological order by iterative depth-first search (deep graphs would overflow recursion), and how
        // many op inputs each leaf is: a leaf's gradient is final once that many have been handed back.
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        var usesLeft: [ObjectIdentifier: Int] = [:]
        var stack: [(Tensor, Bool)] = [(self, false)]
        while let (t, expanded) = stack.popLast() {
            if expanded { order.append(t); continue }
            guard visited.insert(ObjectIdentifier(t)).inserted else { continue }
            stack.append((t, true))
            if let fn = t.gradFn {
                for case let input? in fn.inputs {
                    if input.gradFn == nil { usesLeft[ObjectIdentifier(input), default: 0] += 1 }
                    if !visited.contains(ObjectIdentifier(input)) { stack.append((input, false)) }
                }
            }
        }

        // Gradients in flight; `owned` marks buffers made here that may be added into in place
        // (an op may hand the same gradient object to several inputs).
        var pending: [ObjectIdentifier: (grad: Tensor, owned: Bool)] = [ObjectIdentifier(self): (seed, false)]
        // Stores a leaf's finished gradient. Called as soon as its last use is handed back, not where the
        // leaf falls in `order`: depth-first order puts every weight after the whole graph below its op,
        // so all of them would finish only at the very end of the walk.
        func finish(_ leaf: Tensor) {
            guard let (g, owned) = pending.removeValue(forKey: ObjectIdentifier(leaf)) else { return }
            if let existing = leaf.grad {
                Kernels.addInPlace(existing.data, g.data, existing.count)
            } else {
                leaf.grad = owned ? g : g.copy()
            }
            leafReady?(leaf)
        }
        for t in order.reversed() {
            guard let fn = t.gradFn else {
                finish(t)  // a leaf not finished above (one whose uses did not all hand a gradient back)
                continue
            }
            guard let (g, _) = pending.removeValue(forKey: ObjectIdentifier(t)) else { continue }
            t.gradFn = nil
            var grads = fn.backward(g)
            precondition(grads.count == fn.inputs.count, "\(fn.name): backward returned \(grads.count) gradients")
            for i in grads.indices {
                guard let input = fn.inputs[i] else { continue }
                defer {
                    if input.gradFn == nil, let left = usesLeft[ObjectIdentifier(input)] {
                        usesLeft[ObjectIdentifier(input)] = left - 1
                        if left == 1 { finish(input) }
                    }
                }
                guard var gi = grads[i] else { continue }
                grads[i] = nil
                precondition(gi.shape == input.shape,
                             "\(fn.name): gradient shape \(gi.shape) ≠ input shape \(input.shape)")
                // A gradient that nothing else holds (neither the tensor object nor, through a view, its
                // storage) is a fresh buffer of the backward rule: it may be kept as a leaf's `grad` and
                // added into without a copy. Before, every weight gradient was copied once more (a ViT-B
                // step copied 343 MB into newly faulted pages). Shared ones (the same gradient handed to
                // both inputs of an add, views of the incoming one) are still copied before any write.
                let exclusive = isKnownUniquelyReferenced(&gi) && isKnownUniquelyReferenced(&gi.storage)
                let key = ObjectIdentifier(input)
                if let (existing, existingOwned) = pending[key] {
                    if existingOwned {
                        Kernels.addInPlace(existing.data, gi.data, existing.count)
                    } else if exclusive {
                        Kernels.addInPlace(gi.data, existing.data, gi.count)
                        pending[key] = (gi, true)
                    } else {
                        let sum = existing.copy()
                        Kernels.addInPlace(sum.data, gi.data, sum.count)
                        pending[key] = (sum, true)
                    }
                } else {
                    pending[key] = (gi, exclusive)
                }
            }
        }
    }

    /// Clears the accumulated gradient.
    public func zeroGrad() { grad = nil }
}
