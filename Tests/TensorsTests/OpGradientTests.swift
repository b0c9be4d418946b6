import Foundation
import Tensors
import TensorTesting
import XCTest

/// Every differentiable op against float64 central differences.
final class OpGradientTests: XCTestCase {
    func testBroadcastArithmetic() {
        let shapes: [([Int], [Int])] = [([2, 3, 4], [2, 3, 4]), ([2, 3, 4], [4]), ([2, 3, 4], [1, 3, 4]),
                                        ([2, 3, 4], [2, 1, 1]), ([3, 1], [1, 4]), ([4], [2, 3, 4]), ([2, 3], [])]
        for (sa, sb) in shapes {
            let a = randomTensor(sa, seed: 1), b = randomTensor(sb, seed: 2)
            GradientCheck.check([a, b]) { $0[0] + $0[1] }
            GradientCheck.check([a, b]) { $0[0] - $0[1] }
            GradientCheck.check([a, b]) { $0[0] * $0[1] }
            // Keep the divisor away from zero.
            let c = Tensor(randomTensor(sb, seed: 3).scalars.map { 1.5 + abs($0) }, shape: sb)
            GradientCheck.check([a, c]) { $0[0] / $0[1] }
        }
    }

    func testScalarOpsAndSqrt() {
        let a = randomTensor([3, 4], seed: 4)
        GradientCheck.check([a]) { $0[0] * 2.5 + 1 }
        GradientCheck.check([a]) { -$0[0] / 4 }
        let pos = Tensor(a.scalars.map { 0.5 + abs($0) }, shape: [3, 4])
        GradientCheck.check([pos]) { $0[0].sqrt() }
        GradientCheck.check([a]) { $0[0].squared() }
    }

    func testReshapePermuteTranspose() {
        let a = randomTensor([2, 3, 4], seed: 5)
        GradientCheck.check([a]) { $0[0].reshaped([6, -1]) * $0[0].reshaped([6, 4]) }
        GradientCheck.check([a]) { $0[0].permuted([2, 0, 1]) }
        GradientCheck.check([a]) { $0[0].transposed(0, 2) }
        let b = randomTensor([2, 3, 2, 2, 2, 2], seed: 6)
        GradientCheck.check([b]) { $0[0].permuted([0, 2, 4, 3, 5, 1]) }
    }

    func testConcatSliceExpand() {
        let a = randomTensor([2, 1, 3], seed: 7), b = randomTensor([2, 4, 3], seed: 8)
        GradientCheck.check([a, b]) { Tensor.concat([$0[0], $0[1]], dim: 1) }
        GradientCheck.check([b]) { $0[0].sliced(dim: 1, 1..<3) }
        GradientCheck.check([b]) { $0[0].sliced(dim: -1, 0..<1) }
        let c = randomTensor([1, 1, 3], seed: 9)
        GradientCheck.check([c]) { $0[0].expanded(to: [2, 5, 3]) }
    }

    func testGatherWithRepeatedIndices() {
        let a = randomTensor([2, 5, 3], seed: 10)
        let idx = IndexTensor([4, 0, 0, 1, 2, 2], shape: [2, 3])
        GradientCheck.check([a]) { $0[0].gathered(dim: 1, indices: idx) }
        let flat = randomTensor([6], seed: 11)
        GradientCheck.check([flat]) { $0[0].gathered(dim: 0, indices: IndexTensor([5, 3, 3], shape: [3])) }
    }

    func testSumAndMean() {
        let a = randomTensor([2, 3, 4, 5], seed: 12)
        GradientCheck.check([a]) { $0[0].sum() }
        GradientCheck.check([a]) { $0[0].sum(dims: [1]) }
        GradientCheck.check([a]) { $0[0].sum(dims: [0, 2], keepDims: true) }
        GradientCheck.check([a]) { $0[0].mean(dims: [-1]) }
        GradientCheck.check([a]) { $0[0].mean(dims: [0, 3]) }
        GradientCheck.check([a]) { $0[0].mean(dims: [1, 2]) }
    }

    func testLinearAndMatmul() {
        let x = randomTensor([2, 3, 4], seed: 13), w = randomTensor([5, 4], seed: 14), b = randomTensor([5], seed: 15)
        GradientCheck.check([x, w, b]) { Tensor.linear($0[0], weight: $0[1], bias: $0[2]) }
        GradientCheck.check([x, w]) { Tensor.linear($0[0], weight: $0[1], bias: nil) }
        let a = randomTensor([2, 3, 4], seed: 16), m = randomTensor([2, 4, 2], seed: 17), shared = randomTensor([4, 2], seed: 18)
        GradientCheck.check([a, m]) { Tensor.matmul($0[0], $0[1]) }
        GradientCheck.check([a, shared]) { Tensor.matmul($0[0], $0[1]) }
    }

    func testLayerNorm() {
        let x = randomTensor([3, 2, 8], seed: 19, std: 2), w = randomTensor([8], seed: 20), b = randomTensor([8], seed: 21)
        GradientCheck.check([x, w, b]) { Tensor.layerNorm($0[0], weight: $0[1], bias: $0[2], eps: 1e-6) }
        GradientCheck.check([x]) { Tensor.layerNorm($0[0], weight: nil, bias: nil, eps: 1e-5) }
    }

    func testActivations() {
        let x = randomTensor([4, 7], seed: 22, std: 2)
        GradientCheck.check([x]) { $0[0].gelu() }
        GradientCheck.check([x]) { $0[0].softmax() }
    }

    func testFusedAttention() {
        for (b, n, heads, hd) in [(2, 5, 2, 3), (1, 7, 3, 4)] {
            let qkv = randomTensor([b, n, 3 * heads * hd], seed: 23)
            GradientCheck.check([qkv]) { Tensor.attention(qkv: $0[0], heads: heads) }
        }
    }

    func testAttentionMatchesComposedOps() {
        // The fused op against softmax(q·kᵀ·scale)·v built from separate ops.
        let b = 2, n = 5, heads = 2, hd = 4, dim = heads * hd
        let qkv = randomTensor([b, n, 3 * dim], seed: 24)
        let fused = withNoGrad { Tensor.attention(qkv: qkv, heads: heads) }
        let parts = qkv.reshaped([b, n, 3, heads, hd]).permuted([2, 0, 3, 1, 4])  // [3, B, H, N, hd]
        let q = parts.sliced(dim: 0, 0..<1).reshaped([b, heads, n, hd])
        let k = parts.sliced(dim: 0, 1..<2).reshaped([b, heads, n, hd])
        let v = parts.sliced(dim: 0, 2..<3).reshaped([b, heads, n, hd])
        let scores = Tensor.matmul(q, k.transposed(2, 3)) * (1 / Float(hd).squareRoot())
        let composed = Tensor.matmul(scores.softmax(), v).permuted([0, 2, 1, 3]).reshaped([b, n, dim])
        assertClose(fused.scalars, composed.scalars, tol: 1e-5)
    }

    func testLosses() {
        let logits = randomTensor([4, 5], seed: 25, std: 2)
        let classes = [0, 3, 4, 1]
        GradientCheck.check([logits]) { Tensor.crossEntropy(logits: $0[0], targets: classes) }
        GradientCheck.check([logits]) { Tensor.crossEntropy(logits: $0[0], targets: classes, labelSmoothing: 0.1) }
        let targets = Tensor((0..<20).map { Float($0 % 3 == 0 ? 1 : 0) }, shape: [4, 5])
        GradientCheck.check([logits]) { Tensor.binaryCrossEntropyWithLogits(logits: $0[0], targets: targets) }
        let soft = Tensor((0..<20).map { Float($0) / 20 }, shape: [4, 5])
        GradientCheck.check([logits, soft]) { Tensor.binaryCrossEntropyWithLogits(logits: $0[0], targets: $0[1]) }
        let other = randomTensor([4, 5], seed: 26)
        GradientCheck.check([logits, other]) { Tensor.meanSquaredError($0[0], $0[1]) }
    }

    func testDropoutAndDropPath() {
        // A fresh generator per call draws the same mask, so the function is deterministic.
        let x = randomTensor([4, 3, 2], seed: 27)
        GradientCheck.check([x]) { $0[0].dropout(0.3, generator: Generator(seed: 5)) }
        GradientCheck.check([x]) { $0[0].dropPath(0.5, generator: Generator(seed: 6)) }
        let dropped = x.dropPath(0.5, generator: Generator(seed: 6))
        for s in 0..<4 {  // each sample is either all zero or all scaled by 2
            let row = Array(dropped.scalars[(s * 6)..<(s * 6 + 6)]), source = Array(x.scalars[(s * 6)..<(s * 6 + 6)])
            XCTAssertTrue(row.allSatisfy { $0 == 0 } || zip(row, source).allSatisfy { $0 == 2 * $1 }, "sample \(s)")
        }
    }

    func testGradientReversal() {
        let x = randomTensor([3, 4], seed: 28)
        // Backward is −λ times the derivative of the forward (the identity).
        GradientCheck.check([x], gradientScale: -2) { $0[0].gradientReversed(lambda: 2) * 3 }
        GradientCheck.check([x], gradientScale: -0.5) { ($0[0] * $0[0]).gradientReversed(lambda: 0.5) }
        x.requiresGrad = true
        x.grad = nil
        (x.gradientReversed(lambda: 2).sum() * 3).backward()
        XCTAssertEqual(x.grad!.scalars, [Float](repeating: -6, count: 12))
        let y = x.gradientReversed(lambda: 0.5)
        XCTAssertEqual(y.scalars, x.scalars)
    }

    func testFrozenParametersPassGradientsToInputsOnly() {
        let x = randomTensor([3, 4], seed: 29), w = randomTensor([5, 4], seed: 30), b = randomTensor([5], seed: 31)
        w.requiresGrad = true
        b.requiresGrad = true
        // The input's gradient is the linear map's, checked by finite differences through the frozen weights.
        GradientCheck.check([x]) { inputs in withFrozenParameters([w, b]) { Tensor.linear(inputs[0], weight: w, bias: b).gelu() } }
        XCTAssertNil(w.grad, "a frozen weight must not collect a gradient")
        XCTAssertNil(b.grad)
        XCTAssertTrue(w.requiresGrad && b.requiresGrad, "requiresGrad is restored after the block")
        // Outside the block the same weights learn again.
        Tensor.linear(x, weight: w, bias: b).sum().backward()
        XCTAssertNotNil(w.grad)
    }
}

final class ModuleTests: XCTestCase {
    final class Pair: Module {
        let a = Tensor(zeros: [2, 3]), b = Tensor(zeros: [3])
        override init() {
            super.init()
            parameter("weight", a)
            parameter("bias", b)
        }
    }

    func testStrictLoadReportsEveryProblemByName() {
        let root = Module()
        root.child("layer", Pair())
        root.child("", Pair())  // merged: its keys sit at the root
        XCTAssertEqual(root.namedParameters().map(\.key), ["weight", "bias", "layer.weight", "layer.bias"])
        let weights: [String: Tensor] = ["weight": Tensor(zeros: [2, 3]), "bias": Tensor(zeros: [4]),
                                         "layer.weight": Tensor(repeating: 1, shape: [2, 3]), "extra": Tensor(zeros: [1])]
        XCTAssertThrowsError(try root.load(weights)) { e in
            XCTAssertEqual("\(e)", "missing keys (1): layer.bias; unexpected keys (1): extra; shape mismatches (1): bias expected [3], got [4]")
        }
        XCTAssertEqual(root.namedParameters()[2].tensor.scalars, [0, 0, 0, 0, 0, 0], "nothing loaded after an error")
        // Non-strict loading still refuses shape mismatches but tolerates missing and unexpected keys.
        XCTAssertNoThrow(try root.load(["layer.weight": Tensor(repeating: 1, shape: [2, 3]), "extra": Tensor(zeros: [1])], strict: false))
        XCTAssertEqual(root.namedParameters()[2].tensor.scalars, [1, 1, 1, 1, 1, 1])
    }

    func testFreezeTrainEvalAndCount() {
        let root = Module()
        let p = root.child("p", Pair())
        XCTAssertEqual(root.parameterCount, 9)
        root.freeze()
        XCTAssertTrue(root.trainableParameters().isEmpty)
        p.freeze(false)
        XCTAssertEqual(root.trainableParameters().count, 2)
        root.eval()
        XCTAssertFalse(p.training)
        root.train()
        XCTAssertTrue(p.training)
    }
}
