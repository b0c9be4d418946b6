import Foundation
import Tensors
import XCTest

/// The 8-lane exp and erf against libm (glibc's expf and erff, correctly rounded or within an ulp).
final class VectorMathTests: XCTestCase {
    /// Values spread over [lower, upper], 8 at a time.
    private func sweep(_ lower: Float, _ upper: Float, count: Int = 200_000, _ check: (VectorMath.Vector) -> Void) {
        let step = (upper - lower) / Float(count)
        var i = 0
        while i < count {
            var v = VectorMath.Vector()
            for k in 0..<8 { v[k] = lower + Float(i + k) * step }
            check(v)
            i += 8
        }
    }

    func testExpWithinAFewUlpsOfLibm() {
        var worst: Double = 0
        sweep(-87, 88) { x in
            let y = VectorMath.exp(x)
            for k in 0..<8 {
                let reference = Double(expf(x[k]))
                worst = max(worst, abs(Double(y[k]) - reference) / reference)
            }
        }
        XCTAssertLessThan(worst, 4e-7, "worst relative error \(worst)")  // float ulp is 6e-8…1.2e-7
        let ends = VectorMath.exp(VectorMath.Vector(-200, -88, 0, 1, 89, 200, -.infinity, .infinity))
        XCTAssertEqual(ends[0], 0)
        XCTAssertEqual(ends[1], 0, accuracy: 1e-37)
        XCTAssertEqual(ends[2], 1)
        XCTAssertEqual(ends[3], expf(1), accuracy: 2e-7)
        XCTAssertEqual(ends[4], .infinity)
        XCTAssertEqual(ends[5], .infinity)
        XCTAssertEqual(ends[6], 0)
        XCTAssertEqual(ends[7], .infinity)
    }

    func testErfWithinAbramowitzStegunsBound() {
        var worst: Float = 0, worstRelativeNearZero: Float = 0
        sweep(-6, 6) { x in
            let y = VectorMath.erf(x)
            for k in 0..<8 {
                worst = max(worst, abs(y[k] - erff(x[k])))
                if abs(x[k]) < 0.5 && x[k] != 0 { worstRelativeNearZero = max(worstRelativeNearZero, abs(y[k] / erff(x[k]) - 1)) }
            }
        }
        // 1.5e-7 for the formula, plus float rounding of 1 − t·P(t)·e^(−x²) (a few ulps of 1).
        XCTAssertLessThan(worst, 6e-7, "worst absolute error \(worst)")
        XCTAssertLessThan(worstRelativeNearZero, 3e-7, "worst relative error below 0.5: \(worstRelativeNearZero)")
        let odd = VectorMath.erf(VectorMath.Vector(-0.3, 0.3, -2, 2, 0, -0.0, 10, -10))
        XCTAssertEqual(odd[0], -odd[1])
        XCTAssertEqual(odd[2], -odd[3])
        XCTAssertEqual(odd[4], 0, accuracy: 1e-7)
        XCTAssertEqual(odd[6], 1)
        XCTAssertEqual(odd[7], -1)
    }

    func testGELUMatchesLibmOnEveryTailLength() {
        // 8-lane blocks and every length of the padded last block.
        for n in 1...19 {
            let values = (0..<n).map { Float($0) * 0.37 - 3 }
            let y = Tensor(values, shape: [n]).gelu().scalars
            for (x, v) in zip(values, y) {
                let reference = 0.5 * x * (1 + erff(x * 0.70710678118654752))
                XCTAssertEqual(v, reference, accuracy: 4e-7 * max(1, abs(reference)), "n \(n), x \(x)")
            }
        }
    }
}
