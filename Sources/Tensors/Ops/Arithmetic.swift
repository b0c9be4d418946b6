import Foundation

/// An element-wise binary function, specialised at compile time so kernels stay flat loops.
protocol BinaryFunction {
    static func apply(_ a: Float, _ b: Float) -> Float
}
enum AddFunction: BinaryFunction { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a + b } }
enum SubFunction: BinaryFunction { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a - b } }
enum MulFunction: BinaryFunction { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a * b } }
enum DivFunction: BinaryFunction { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a / b } }

extension Tensor {
    /// out = F(a, b) with broadcasting. Fast paths: equal shapes, and one side repeating as a trailing
    /// block of the other (bias rows, position embeddings, per-sample scales); otherwise strided.
    static func broadcastKernel<F: BinaryFunction>(_ a: Tensor, _ b: Tensor, _: F.Type) -> Tensor {
        let shape = a.shape == b.shape ? a.shape : Broadcast.shape(a.shape, b.shape)
        let out = Tensor(uninitializedShape: shape)
        let o = out.data, pa = a.data, pb = b.data
        let n = out.count
        if a.count == n && b.count == n {
            Parallel.forEachChunk(n, grain: 1 << 15) { r in
                for i in r { o[i] = F.apply(pa[i], pb[i]) }
            }
        } else if a.count == n, let _ = Broadcast.trailingRepeat(b.shape, in: shape) {
            let m = b.count
            Parallel.forEachChunk(n / m, grain: max(1, (1 << 15) / max(m, 1))) { r in
                for row in r {
                    let oa = pa + row * m, oo = o + row * m
                    for j in 0..<m { oo[j] = F.apply(oa[j], pb[j]) }
                }
            }
        } else if b.count == n, let _ = Broadcast.trailingRepeat(a.shape, in: shape) {
            let m = a.count
            Parallel.forEachChunk(n / m, grain: max(1, (1 << 15) / max(m, 1))) { r in
                for row in r {
                    let ob = pb + row * m, oo = o + row * m
                    for j in 0..<m { oo[j] = F.apply(pa[j], ob[j]) }
                }
            }
        } else if a.count == n, let block = Tensor.leadingBlock(b.shape, in: shape) {
            // b [B, 1, …, 1] against a [B, …]: one b value per contiguous block of a (per-sample scales).
            Parallel.forEachChunk(b.count, grain: max(1, (1 << 15) / max(block, 1))) { r in
                for row in r {
                    let oa = pa + row * block, oo = o + row * block, v = pb[row]
                    for j in 0..<block { oo[j] = F.apply(oa[j], v) }
                }
            }
        } else {
            // General case: materialise both operands at the output shape, then combine.
            let ea = a.count == n ? a : withNoGrad { a.expanded(to: shape) }
            let eb = b.count == n ? b : withNoGrad { b.expanded(to: shape) }
            let qa = ea.data, qb = eb.data
            for i in 0..<n { o[i] = F.apply(qa[i], qb[i]) }
        }
        return out
    }

    /// When `small` equals `big` on its leading dims and is 1 after them, the size of the trailing block
    /// each of its elements covers; nil otherwise.
    static func leadingBlock(_ small: [Int], in big: [Int]) -> Int? {
        guard small.count == big.count, let last = small.lastIndex(where: { $0 != 1 }) else { return nil }
        guard Array(small[...last]) == Array(big[...last]) else { return nil }
        return big[(last + 1)...].reduce(1, *)
    }

    public static func + (a: Tensor, b: Tensor) -> Tensor {
        let out = broadcastKernel(a, b, AddFunction.self)
        let sa = a.shape, sb = b.shape
        return out.recording("add", [a, b]) { g in [g.sumToShape(sa), g.sumToShape(sb)] }
    }

    public static func - (a: Tensor, b: Tensor) -> Tensor {
        let out = broadcastKernel(a, b, SubFunction.self)
        let sa = a.shape, sb = b.shape
        return out.recording("sub", [a, b]) { g in [g.sumToShape(sa), b.requiresGrad ? (-g).sumToShape(sb) : nil] }
    }

    public static func * (a: Tensor, b: Tensor) -> Tensor {
        let out = broadcastKernel(a, b, MulFunction.self)
        return out.recording("mul", [a, b]) { g in
            [a.requiresGrad ? withNoGrad { (g * b.detached()).sumToShape(a.shape) } : nil,
             b.requiresGrad ? withNoGrad { (g * a.detached()).sumToShape(b.shape) } : nil]
        }
    }

    public static func / (a: Tensor, b: Tensor) -> Tensor {
        let out = broadcastKernel(a, b, DivFunction.self)
        return out.recording("div", [a, b]) { g in
            let bd = b.detached()
            return [a.requiresGrad ? withNoGrad { (g / bd).sumToShape(a.shape) } : nil,
                    b.requiresGrad ? withNoGrad { (-(g * a.detached()) / (bd * bd)).sumToShape(b.shape) } : nil]
        }
    }

    public static prefix func - (a: Tensor) -> Tensor { a * -1 }

    /// Multiplication by a constant.
    public static func * (a: Tensor, s: Float) -> Tensor {
        let out = Tensor(uninitializedShape: a.shape)
        Kernels.scale(out.data, a.data, s, a.count)
        return out.recording("mul_scalar", [a]) { g in [g * s] }
    }
    public static func * (s: Float, a: Tensor) -> Tensor { a * s }
    public static func / (a: Tensor, s: Float) -> Tensor { a * (1 / s) }

    public static func + (a: Tensor, s: Float) -> Tensor {
        let out = Tensor(uninitializedShape: a.shape)
        let o = out.data, p = a.data
        Parallel.forEachChunk(a.count, grain: 1 << 15) { r in for i in r { o[i] = p[i] + s } }
        return out.recording("add_scalar", [a]) { g in [g] }
    }
    public static func - (a: Tensor, s: Float) -> Tensor { a + (-s) }

    /// Element-wise square.
    public func squared() -> Tensor { self * self }

    /// Element-wise square root.
    public func sqrt() -> Tensor {
        let out = Tensor(uninitializedShape: shape)
        let o = out.data, p = data
        for i in 0..<count { o[i] = p[i].squareRoot() }
        let result = out.detached()  // the closure must not hold `out` itself (a cycle)
        return out.recording("sqrt", [self]) { g in
            let go = Tensor(uninitializedShape: result.shape)
            let gp = g.data, q = go.data, y = result.data
            for i in 0..<go.count { q[i] = gp[i] * 0.5 / y[i] }
            return [go]
        }
    }
}
