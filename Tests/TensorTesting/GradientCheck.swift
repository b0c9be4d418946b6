import Foundation
import Tensors
import XCTest

/// Finite-difference gradient checking. The function under test runs in float32 (the engine's only
/// type); the check itself is in float64: the scalar probe Σ f(x)·R is accumulated in double and the
/// central difference (f(x+h) − f(x−h)) / 2h is formed in double. R is a fixed random projection, so
/// every output element contributes with a distinct weight.
public enum GradientCheck {
    public static func check(
        _ inputs: [Tensor], gradientScale: Double = 1, step: Float = 1e-2, rtol: Double = 2e-2, atol: Double = 2e-3, maxElements: Int = 48,
        file: StaticString = #filePath, line: UInt = #line, _ f: ([Tensor]) -> Tensor
    ) {
        for x in inputs { x.requiresGrad = true; x.grad = nil }
        let out = f(inputs)
        let projection = Tensor.randn(out.shape, generator: Generator(seed: 99))
        (out * projection).sum().backward()

        func probe() -> Double {
            withNoGrad {
                let y = f(inputs)
                XCTAssertEqual(y.shape, projection.shape, "output shape changed between calls", file: file, line: line)
                var s: Double = 0
                for i in 0..<y.count { s += Double(y.data[i]) * Double(projection.data[i]) }
                return s
            }
        }

        let picker = Generator(seed: 7)
        for (n, x) in inputs.enumerated() {
            guard let grad = x.grad else {
                XCTFail("input \(n) received no gradient", file: file, line: line)
                continue
            }
            XCTAssertEqual(grad.shape, x.shape, file: file, line: line)
            // Every element of small inputs, a random sample of large ones.
            let indices = x.count <= maxElements ? Array(0..<x.count) : (0..<maxElements).map { _ in picker.below(x.count) }
            var worst = 0.0
            for i in indices {
                let saved = x.data[i]
                x.data[i] = saved + step
                let plus = probe()
                x.data[i] = saved - step
                let minus = probe()
                x.data[i] = saved
                // gradientScale ≠ 1 checks ops whose backward is deliberately not the derivative.
                let numeric = gradientScale * (plus - minus) / (2 * Double(step))
                let analytic = Double(grad.data[i])
                let error = abs(numeric - analytic)
                worst = max(worst, error / (atol + rtol * abs(numeric)))
                if error > atol + rtol * abs(numeric) {
                    XCTFail("input \(n) element \(i): analytic \(analytic) vs numeric \(numeric)", file: file, line: line)
                    return
                }
            }
        }
    }
}

public func assertClose(_ a: [Float], _ b: [Float], tol: Float = 1e-5, _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "length \(message)", file: file, line: line)
    for (i, (x, y)) in zip(a, b).enumerated() where abs(x - y) > tol * max(1, abs(y)) {
        XCTFail("\(message) element \(i): \(x) vs \(y)", file: file, line: line)
        return
    }
}

public func randomTensor(_ shape: [Int], seed: UInt64, std: Double = 1) -> Tensor {
    Tensor.randn(shape, generator: Generator(seed: seed), std: std)
}
