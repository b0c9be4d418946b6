import Foundation
import Tensors
import TensorTesting
import XCTest

/// backward(leafReady:) announces each leaf once, with its final gradient, as soon as the walk has finished
/// it: the last layer's weights before the first layer's graph is walked, which is what lets data-parallel
/// training start their all-reduce early.
final class LeafReadyTests: XCTestCase {
    /// Three linear layers with GELU between them, the third weight used twice (as a shared weight is).
    private func network() -> (params: [Tensor], loss: () -> Tensor) {
        let x = randomTensor([5, 4], seed: 1)
        let w1 = randomTensor([6, 4], seed: 2), b1 = randomTensor([6], seed: 3)
        let w2 = randomTensor([6, 6], seed: 4), b2 = randomTensor([6], seed: 5)
        let w3 = randomTensor([3, 6], seed: 6)
        let params = [w1, b1, w2, b2, w3]
        for p in params { p.requiresGrad = true }
        return (params, {
            let h1 = Tensor.linear(x, weight: w1, bias: b1).gelu()
            let h2 = Tensor.linear(h1, weight: w2, bias: b2).gelu()
            let out = Tensor.linear(h2, weight: w3, bias: nil) + Tensor.linear(h2.gelu(), weight: w3, bias: nil)
            return out.squared().mean()
        })
    }

    func testEachLeafOnceWithItsFinalGradientLastLayerFirst() {
        let (params, loss) = network()
        var announced: [(index: Int, grad: [Float])] = []
        loss().backward(leafReady: { leaf in
            guard let i = params.firstIndex(where: { $0 === leaf }) else { return XCTFail("not a parameter") }
            announced.append((i, leaf.grad!.scalars))
        })
        XCTAssertEqual(announced.map(\.index).sorted(), [0, 1, 2, 3, 4], "every leaf exactly once")
        for (i, grad) in announced { XCTAssertEqual(grad, params[i].grad!.scalars, "parameter \(i) changed after it was announced") }
        // Reverse of use: w3 (used twice, finished only after both uses), then layer 2, then layer 1.
        let order = announced.map(\.index)
        XCTAssertEqual(order.first, 4)
        XCTAssertLessThan(order.firstIndex(of: 2)!, order.firstIndex(of: 0)!)
        XCTAssertLessThan(order.firstIndex(of: 3)!, order.firstIndex(of: 1)!)

        // The same gradients as a plain backward.
        let (fresh, freshLoss) = network()
        freshLoss().backward()
        for i in params.indices { XCTAssertEqual(params[i].grad!.scalars, fresh[i].grad!.scalars) }
    }

    func testTheLastLayersAreAnnouncedBeforeTheFirstLayersGradientExists() {
        // When w2 is announced, backward has not yet reached layer 1: w1 has no gradient.
        let (params, loss) = network()
        var w1HadGradientWhenW2Finished: Bool?
        loss().backward(leafReady: { leaf in
            if leaf === params[2] { w1HadGradientWhenW2Finished = params[0].grad != nil }
        })
        XCTAssertEqual(w1HadGradientWhenW2Finished, false)
    }

    func testAccumulatingIntoAnExistingGradientAnnouncesTheSum() {
        let (params, loss) = network()
        loss().backward()
        let once = params[4].grad!.scalars
        var announced: [Float]?
        loss().backward(leafReady: { leaf in if leaf === params[4] { announced = leaf.grad!.scalars } })
        assertClose(announced ?? [], once.map { 2 * $0 })
    }
}
