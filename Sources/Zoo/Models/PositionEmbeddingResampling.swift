import Foundation
import Tensors

/// Resamples a position table [1, extra + g², D] to another square grid, as MAE's interpolate_pos_embed:
/// the `extra` leading rows (cls) are kept, the grid is resized with torch's bicubic interpolation
/// (align_corners=False, A = −0.75, edge indices clamped).
public func resamplePositionTable(_ table: Tensor, extraTokens: Int, to newGrid: Int) -> Tensor {
    let d = table.shape[2]
    let oldCount = table.shape[1] - extraTokens
    let oldGrid = Int(Double(oldCount).squareRoot().rounded())
    precondition(oldGrid * oldGrid == oldCount, "position table \(table.shape) has no square grid after \(extraTokens) extra tokens")
    let out = Tensor(uninitializedShape: [1, extraTokens + newGrid * newGrid, d])
    out.data.update(from: table.data, count: extraTokens * d)
    let weights = bicubicWeights(from: oldGrid, to: newGrid)
    // Separable: rows first into [newGrid, oldGrid, D], then columns.
    let rows = [Float](unsafeUninitializedCapacity: newGrid * oldGrid * d) { buffer, n in
        for i in 0..<newGrid {
            for j in 0..<oldGrid {
                for c in 0..<d {
                    var s: Float = 0
                    for (index, w) in weights[i] { s += w * table.data[(extraTokens + index * oldGrid + j) * d + c] }
                    buffer[(i * oldGrid + j) * d + c] = s
                }
            }
        }
        n = newGrid * oldGrid * d
    }
    let grid = out.data + extraTokens * d
    for i in 0..<newGrid {
        for j in 0..<newGrid {
            for c in 0..<d {
                var s: Float = 0
                for (index, w) in weights[j] { s += w * rows[(i * oldGrid + index) * d + c] }
                grid[(i * newGrid + j) * d + c] = s
            }
        }
    }
    return out
}

/// For each output index, the four (input index, weight) taps of torch's bicubic kernel.
func bicubicWeights(from input: Int, to output: Int) -> [[(Int, Float)]] {
    let a = -0.75
    func near(_ x: Double) -> Double { ((a + 2) * x - (a + 3)) * x * x + 1 }          // |x| ≤ 1
    func far(_ x: Double) -> Double { ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }     // 1 < |x| < 2
    let scale = Double(input) / Double(output)
    return (0..<output).map { i in
        let source = scale * (Double(i) + 0.5) - 0.5
        let base = Int(source.rounded(.down))
        let t = source - Double(base)
        let w = [far(t + 1), near(t), near(1 - t), far(2 - t)]
        return (0..<4).map { k in (min(max(base - 1 + k, 0), input - 1), Float(w[k])) }
    }
}
