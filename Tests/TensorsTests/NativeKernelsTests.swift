import Foundation
import Tensors
import TensorTesting
import XCTest

/// The AVX2 + FMA kernels (Sources/CKernels) are chosen wherever the CPU has both, and give what the
/// portable Swift kernels give: checked here through the ops, against float64 references.
final class NativeKernelsTests: XCTestCase {
    func testChosenWhereTheCPUHasAVX2AndFMA() throws {
        guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flagsLine = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else {
            throw XCTSkip("no /proc/cpuinfo")
        }
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        let portable = ProcessInfo.processInfo.environment["ZOO_PORTABLE_KERNELS"] == "1"
        XCTAssertEqual(NativeKernels.avx2, flags.contains("avx2") && flags.contains("fma") && !portable)
    }

    func testGELUAndItsGradientAgainstDouble() {
        let n = 100_003  // 8-lane blocks and a tail of 3
        let xs = (0..<n).map { -9 + 18 * Float($0) / Float(n) }
        let x = Tensor(xs, shape: [n])
        x.requiresGrad = true
        let y = x.gelu()
        y.backward(Tensor(repeating: 1, shape: [n]))
        let ys = y.scalars, gs = x.grad!.scalars
        var worst: Double = 0, worstGrad: Double = 0
        for i in 0..<n {
            let v = Double(xs[i])
            let cdf = 0.5 * (1 + Foundation.erf(v / 2.0.squareRoot()))
            worst = max(worst, abs(Double(ys[i]) - v * cdf))
            worstGrad = max(worstGrad, abs(Double(gs[i]) - (cdf + v * Foundation.exp(-0.5 * v * v) / (2 * Double.pi).squareRoot())))
        }
        // 1.5e-7 from the erf formula plus float rounding, scaled by |x| ≤ 9.
        XCTAssertLessThan(worst, 2e-6, "GELU worst absolute error \(worst)")
        XCTAssertLessThan(worstGrad, 1e-6, "GELU gradient worst absolute error \(worstGrad)")
        let ends = Tensor([-200, -90, 0, 90, 200, .nan, -0.0, 1e-30], shape: [8]).gelu().scalars
        XCTAssertEqual(Array(ends[0...4]), [0, 0, 0, 90, 200])
        XCTAssertTrue(ends[5].isNaN)
        XCTAssertEqual(ends[6], 0)
        XCTAssertEqual(ends[7], 5e-31, accuracy: 1e-37)
    }

    func testSoftmaxRowsWithMaskedAndLargeScores() {
        // −∞ scores (masked) get probability 0; huge scores must not overflow; 11 columns: lanes and a tail.
        var values = (0..<33).map { Float(sin(Double($0))) * 50 }
        values[2] = -.infinity
        values[13] = 1e30
        values[25] = -.infinity
        let y = Tensor(values, shape: [3, 11]).softmax().scalars
        XCTAssertEqual(y[2], 0)
        XCTAssertEqual(y[13], 1)
        XCTAssertEqual(y[25], 0)
        for r in 0..<3 {
            let row = values[(r * 11)..<((r + 1) * 11)].map(Double.init)
            let m = row.max()!, e = row.map { Foundation.exp($0 - m) }, s = e.reduce(0, +)
            for j in 0..<11 { XCTAssertEqual(Double(y[r * 11 + j]), e[j] / s, accuracy: 3e-7, "row \(r) col \(j)") }
        }
    }

    func testAdamWOverLanesAndTailAgainstDouble() {
        // 8-lane blocks and a tail of 3, three steps of varied gradients (some zero, some large), weight decay on.
        let n = 100_003
        let p = Tensor((0..<n).map { Float(sin(Double($0))) }, shape: [n], requiresGrad: true)
        let optimizer = AdamW(groups: [ParameterGroup(parameters: [p], weightDecay: 0.05)], learningRate: 3e-3)
        var reference = p.scalars.map(Double.init)
        var m = [Double](repeating: 0, count: n), v = [Double](repeating: 0, count: n)
        for step in 1...3 {
            let grads = (0..<n).map { i -> Float in i % 17 == 0 ? 0 : Float(cos(Double(i * step))) * (i % 5 == 0 ? 40 : 0.01) }
            p.grad = Tensor(grads, shape: [n])
            optimizer.update()
            let lr = 3e-3, bc1 = 1 - pow(0.9, Double(step)), bc2 = 1 - pow(0.999, Double(step))
            for i in 0..<n {
                let g = Double(grads[i])
                m[i] = 0.9 * m[i] + 0.1 * g
                v[i] = 0.999 * v[i] + 0.001 * g * g
                reference[i] = reference[i] * (1 - lr * 0.05) - lr / bc1 * m[i] / (v[i].squareRoot() / bc2.squareRoot() + 1e-8)
            }
        }
        let got = p.scalars
        var worst: Double = 0
        for i in 0..<n { worst = max(worst, abs(Double(got[i]) - reference[i])) }
        // Each step moves a parameter by at most lr·(1 + 1e-3); float rounding of |p| ≤ 1 is 6e-8 a step.
        XCTAssertLessThan(worst, 1e-6, "AdamW worst absolute error \(worst)")
    }
}
