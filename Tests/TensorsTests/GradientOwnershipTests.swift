import Foundation
import Tensors
import TensorTesting
import XCTest

/// backward() keeps fresh gradient buffers without copying them, and copies every gradient that something
/// else can still see: no leaf's `grad` may share memory with another leaf's, with the caller's seed, or
/// with a tensor of the graph, or accumulating a second backward would change them too.
final class GradientOwnershipTests: XCTestCase {
    private func sharesMemory(_ a: Tensor, _ b: Tensor) -> Bool { a.storage === b.storage }

    func testGradientsHandedToSeveralInputsAreNotAliased() {
        let a = randomTensor([2, 3], seed: 1), b = randomTensor([2, 3], seed: 2)
        a.requiresGrad = true
        b.requiresGrad = true
        let seed = randomTensor([2, 3], seed: 3)
        (a + b).backward(seed)  // add hands the same gradient object to both inputs
        XCTAssertFalse(sharesMemory(a.grad!, b.grad!))
        XCTAssertFalse(sharesMemory(a.grad!, seed))
        XCTAssertFalse(sharesMemory(b.grad!, seed))
        assertClose(a.grad!.scalars, seed.scalars)
        // A second pass accumulates into each leaf on its own.
        (a + b).backward(seed)
        assertClose(a.grad!.scalars, seed.scalars.map { 2 * $0 })
        assertClose(b.grad!.scalars, seed.scalars.map { 2 * $0 })
        assertClose(seed.scalars, randomTensor([2, 3], seed: 3).scalars)
    }

    func testViewsOfOneGradientAreNotAliased() {
        // reshape's backward returns a view of the incoming gradient; the linear layer's weight
        // gradient is a fresh GEMM result (kept without a copy), used twice here through a shared weight.
        let x = randomTensor([4, 3], seed: 4), w = randomTensor([5, 3], seed: 5)
        w.requiresGrad = true
        x.requiresGrad = true
        let y = Tensor.linear(x, weight: w, bias: nil)
        let z = Tensor.linear(x.reshaped([2, 2, 3]), weight: w, bias: nil)
        let loss = (y.reshaped([2, 2, 5]) + z).squared().sum()
        loss.backward()
        let first = w.grad!.scalars, firstX = x.grad!.scalars
        XCTAssertFalse(sharesMemory(w.grad!, x.grad!))
        // Against finite differences, then twice the same after a second pass.
        GradientCheck.check([x, w]) { v in
            (Tensor.linear(v[0], weight: v[1], bias: nil).reshaped([2, 2, 5]) + Tensor.linear(v[0].reshaped([2, 2, 3]), weight: v[1], bias: nil)).squared().sum()
        }
        x.grad = nil
        w.grad = nil
        x.requiresGrad = true
        w.requiresGrad = true
        let again = (Tensor.linear(x, weight: w, bias: nil).reshaped([2, 2, 5]) + Tensor.linear(x.reshaped([2, 2, 3]), weight: w, bias: nil)).squared().sum()
        again.backward()
        let y2 = (Tensor.linear(x, weight: w, bias: nil).reshaped([2, 2, 5]) + Tensor.linear(x.reshaped([2, 2, 3]), weight: w, bias: nil)).squared().sum()
        y2.backward()
        assertClose(w.grad!.scalars, first.map { 2 * $0 }, tol: 1e-4)
        assertClose(x.grad!.scalars, firstX.map { 2 * $0 }, tol: 1e-4)
    }
}
