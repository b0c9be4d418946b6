import Foundation
import Tensors
import TensorTesting
import XCTest

/// Softmax and layer norm reduce each row 8 lanes at a time plus a scalar tail: check every tail length
/// (and a ViT row, 197 and 768 wide) against double-precision references, and the gradients where a row
/// has both full lanes and a tail.
final class VectorRowsTests: XCTestCase {
    func testRowReductionsAgainstDouble() {
        for n in [0, 1, 7, 8, 9, 15, 16, 17, 197] {
            let a = (0..<n).map { Float(sin(Double($0) * 1.3)) * 3 }, b = (0..<n).map { Float(cos(Double($0) * 0.7)) }
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    let x = pa.baseAddress ?? UnsafePointer(bitPattern: 8)!, y = pb.baseAddress ?? UnsafePointer(bitPattern: 8)!
                    let sum = a.reduce(0.0) { $0 + Double($1) }
                    XCTAssertEqual(Double(VectorRows.sum(x, n)), sum, accuracy: 1e-5, "sum n \(n)")
                    XCTAssertEqual(Double(VectorRows.dot(x, y, n)), zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) },
                                   accuracy: 1e-5, "dot n \(n)")
                    XCTAssertEqual(Double(VectorRows.sumOfSquares(x, centre: 0.5, n)),
                                   a.reduce(0.0) { $0 + (Double($1) - 0.5) * (Double($1) - 0.5) }, accuracy: 1e-4, "squares n \(n)")
                    XCTAssertEqual(VectorRows.maximum(x, n), a.max() ?? -.infinity, "max n \(n)")
                }
            }
        }
    }

    func testSoftmaxEveryTailLength() {
        for n in Array(1...19) + [197] {
            let x = randomTensor([3, n], seed: UInt64(n), std: 4)
            let y = x.softmax().scalars, xs = x.scalars
            for r in 0..<3 {
                let row = xs[(r * n)..<((r + 1) * n)].map(Double.init)
                let m = row.max()!, e = row.map { Foundation.exp($0 - m) }, s = e.reduce(0, +)
                for j in 0..<n { XCTAssertEqual(Double(y[r * n + j]), e[j] / s, accuracy: 3e-7, "n \(n) row \(r) col \(j)") }
            }
        }
    }

    func testLayerNormEveryTailLength() {
        for d in Array(1...19) + [768] {
            let x = randomTensor([2, d], seed: UInt64(100 + d), std: 3), w = randomTensor([d], seed: 7), b = randomTensor([d], seed: 8)
            let y = Tensor.layerNorm(x, weight: w, bias: b, eps: 1e-6).scalars
            let xs = x.scalars, ws = w.scalars, bs = b.scalars
            for r in 0..<2 {
                let row = xs[(r * d)..<((r + 1) * d)].map(Double.init)
                let mean = row.reduce(0, +) / Double(d)
                let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(d)
                for j in 0..<d {
                    let expected = (row[j] - mean) / (variance + 1e-6).squareRoot() * Double(ws[j]) + Double(bs[j])
                    XCTAssertEqual(Double(y[r * d + j]), expected, accuracy: 2e-5 * max(1, abs(expected)), "d \(d) row \(r) col \(j)")
                }
            }
        }
    }

    func testGradientsWithLanesAndTail() {
        let x = randomTensor([3, 13], seed: 31, std: 2), w = randomTensor([13], seed: 32), b = randomTensor([13], seed: 33)
        GradientCheck.check([x]) { $0[0].softmax() }
        GradientCheck.check([x, w, b]) { Tensor.layerNorm($0[0], weight: $0[1], bias: $0[2], eps: 1e-6) }
        // Attention rows of 11 scores: one full 8-lane block and a tail of 3.
        let qkv = randomTensor([1, 11, 3 * 2 * 4], seed: 34)
        GradientCheck.check([qkv]) { Tensor.attention(qkv: $0[0], heads: 2) }
    }
}
