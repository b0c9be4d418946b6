import Foundation
import Tensors
import Training
import XCTest

/// The gradient all-reduce during backward (`average(_:during:)`) and after it, on a simulated group whose
/// reductions complete only when tested or waited for, so a gradient read too early, a bucket buffer
/// reused while in flight or a mean written into the wrong tensor all show. The real MPI path runs under
/// mpirun in DataParallelCLITests.
final class GradientAveragerTests: XCTestCase {
    /// Rank 0 of three, where rank k's gradients are (k + 1) times rank 0's: every sum is 6× the values
    /// and every mean 2×. A reduction applies its sum only when it completes, `latency` tests after it starts.
    final class SimulatedRanks: ProcessGroup {
        let rank = 0, size = 3, localSize = 3
        var latency = 3
        var started = 0
        /// What the other ranks report for the gradient-order check; nil: the same as this rank.
        var otherRanksOrder: [Float]?

        /// Applies `sum` to every value as it was at the start, when complete: a buffer rewritten in flight
        /// gives a wrong mean. In bfloat16 the sum is the six-fold value rounded once (three ranks' ring
        /// would round at each step; the exact mean is what the tests check, not the ring's rounding).
        final class Reduction<Element>: PendingReduction {
            let values: UnsafeMutablePointer<Element>, snapshot: [Element], sum: (Element) -> Element
            var testsLeft: Int, done = false
            init(values: UnsafeMutablePointer<Element>, count: Int, latency: Int, sum: @escaping (Element) -> Element) {
                self.values = values
                snapshot = Array(UnsafeBufferPointer(start: values, count: count))
                testsLeft = latency
                self.sum = sum
            }
            func test() -> Bool {
                testsLeft -= 1
                if testsLeft <= 0 { wait() }
                return done
            }
            func wait() {
                guard !done else { return }
                done = true
                for i in snapshot.indices { values[i] = sum(snapshot[i]) }
            }
        }

        func startAllReduceSum(_ values: UnsafeMutablePointer<Float>, count: Int) -> PendingReduction {
            started += 1
            return Reduction(values: values, count: count, latency: latency) { 6 * $0 }
        }
        var startedInBFloat16 = 0
        func startAllReduceSum(bfloat16 values: UnsafeMutablePointer<UInt16>, count: Int) -> PendingReduction {
            started += 1
            startedInBFloat16 += 1
            return Reduction(values: values, count: count, latency: latency) {
                BFloat16.bits(fromFloatBits: (6 * BFloat16.float(fromBits: $0)).bitPattern)
            }
        }
        func allReduceSum(_ values: inout [Double]) { values = values.map { 6 * $0 } }
        func allGather(_ values: [Float]) -> [Float] { values + (otherRanksOrder ?? values) + (otherRanksOrder ?? values) }
        func broadcast(_ buffer: UnsafeMutableRawPointer, bytes: Int, root: Int) {}
        func barrier() {}
        func now() -> Double { ProcessInfo.processInfo.systemUptime }
    }

    /// Parameters of sizes below, at and above a 16-float bucket; the same values for the same seed.
    private func model(seed: UInt64) -> (params: [Tensor], loss: Tensor) {
        let g = Generator(seed: seed)
        let x = Tensor.randn([4, 8], generator: g)
        let w1 = Tensor.randn([5, 8], generator: g), b1 = Tensor.randn([5], generator: g)
        let w2 = Tensor.randn([3, 5], generator: g), b2 = Tensor.randn([3], generator: g)
        let w3 = Tensor.randn([2, 3], generator: g), b3 = Tensor.randn([2], generator: g)
        let unused = Tensor.randn([7], generator: g)
        let params = [w1, b1, w2, b2, w3, b3, unused]
        for p in params { p.requiresGrad = true }
        let h = Tensor.linear(Tensor.linear(x, weight: w1, bias: b1).gelu(), weight: w2, bias: b2).gelu()
        return (params, Tensor.linear(h, weight: w3, bias: b3).squared().mean())
    }

    func testMeansDuringAndAfterBackward() throws {
        // Every mean is (6 · g) · (1/3), with g this rank's gradient, during backward or after it.
        let (plain, plainLoss) = model(seed: 7)
        plainLoss.backward()
        let own = plain.map { $0.grad?.scalars }
        try GradientAverager(group: SimulatedRanks(), bucketBytes: 64).average(plain)
        for i in plain.indices { XCTAssertEqual(plain[i].grad?.scalars, own[i]?.map { 6 * $0 * (1 / Float(3)) }, "parameter \(i), after backward") }

        for inFlight in [1, 2, 8] {
            let group = SimulatedRanks()
            let averager = GradientAverager(group: group, bucketBytes: 64, maxBucketsInFlight: inFlight)
            let (params, loss) = model(seed: 7)
            var startedBeforeBackwardEnded = 0
            try averager.average(params) { ready in
                loss.backward(leafReady: ready)
                startedBeforeBackwardEnded = group.started
            }
            for i in params.indices {
                XCTAssertEqual(params[i].grad?.scalars, plain[i].grad?.scalars, "parameter \(i), \(inFlight) buckets in flight")
            }
            XCTAssertNil(params[6].grad, "an unused parameter stays without a gradient")
            // 40 + 5 + 15 + 3 + 6 + 2 floats: w1 alone (≥ 16), then buckets of at most 16.
            XCTAssertGreaterThan(startedBeforeBackwardEnded, 1, "reductions start while backward runs")
            XCTAssertEqual(averager.calls, group.started)
        }
    }

    func testGradientsAccumulatedEarlierJoinAfterBackward() throws {
        // A parameter that the last backward does not reach keeps the gradient of an earlier one, and is
        // averaged all the same.
        let group = SimulatedRanks()
        let (params, loss) = model(seed: 3)
        let extra = Tensor([1, 2, 3], shape: [3], requiresGrad: true)
        (extra * Tensor([1, 1, 1], shape: [3])).sum().backward()
        try GradientAverager(group: group, bucketBytes: 64).average(params + [extra]) { loss.backward(leafReady: $0) }
        XCTAssertEqual(extra.grad?.scalars, [2, 2, 2])
    }

    func testRanksThatFinishGradientsInDifferentOrdersAreStopped() {
        let group = SimulatedRanks()
        group.otherRanksOrder = [1, 2, 3, 4]
        let (params, loss) = model(seed: 5)
        XCTAssertThrowsError(try GradientAverager(group: group, bucketBytes: 64).average(params) { loss.backward(leafReady: $0) }) {
            XCTAssertTrue("\($0)".contains("different orders"), "\($0)")
        }
    }

    func testOneProcessOnlyRunsBackward() throws {
        let (params, loss) = model(seed: 9)
        let (plain, plainLoss) = model(seed: 9)
        plainLoss.backward()
        try GradientAverager(group: SingleProcess()).average(params) { loss.backward(leafReady: $0) }
        for i in params.indices { XCTAssertEqual(params[i].grad?.scalars, plain[i].grad?.scalars) }
    }

    /// bf16 on the wire: every gradient (in a bucket, or a large one in its own buffer) travels rounded
    /// to bfloat16 and comes back as the rounded sum over 3; the buffers serve a second step as well.
    func testMeansInBFloat16() throws {
        func bf16(_ x: Float) -> Float { BFloat16.float(fromBits: BFloat16.bits(fromFloatBits: x.bitPattern)) }
        let (plain, plainLoss) = model(seed: 11)
        plainLoss.backward()
        let own = plain.map { $0.grad?.scalars }
        let group = SimulatedRanks()
        let averager = GradientAverager(group: group, bucketBytes: 64, maxBucketsInFlight: 2, dtype: .bf16)
        for step in 0..<2 {
            let (params, loss) = model(seed: 11)
            try averager.average(params) { loss.backward(leafReady: $0) }
            for i in params.indices {
                guard let g = own[i] else { XCTAssertNil(params[i].grad); continue }
                let expected = g.map { bf16(6 * bf16($0)) * (1 / Float(3)) }
                XCTAssertEqual(params[i].grad?.scalars, expected, "parameter \(i), step \(step)")
                // Within bfloat16's relative precision (2⁻⁸, twice) of the fp32 mean 2g.
                for (m, x) in zip(params[i].grad!.scalars, g) { XCTAssertEqual(m, 2 * x, accuracy: abs(2 * x) * 0.008 + 1e-30) }
            }
        }
        XCTAssertEqual(group.startedInBFloat16, group.started, "every reduction in bf16")
        XCTAssertGreaterThan(group.started, 2)
    }
}
