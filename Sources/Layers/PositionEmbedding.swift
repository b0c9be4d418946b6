import Foundation
import Tensors

/// FMAE's fixed 2D sin-cos position table [1, 1 + g², D] (MAE's get_2d_sincos_pos_embed with a cls row):
/// the cls row is zeros; for patch (row h, column w) the first D/2 channels encode w and the second D/2
/// encode h, each half [sin | cos] of pos·ω_i with ω_i = 1 / 10000^(i / (D/4)). Computed in double.
public func sinCosPositionTable(dim: Int, gridSize g: Int) -> Tensor {
    precondition(dim % 4 == 0, "sin-cos position embedding needs a width divisible by 4, got \(dim)")
    let quarter = dim / 4
    let table = Tensor(zeros: [1, 1 + g * g, dim])
    let p = table.data
    let omega = (0..<quarter).map { 1 / Foundation.pow(10000.0, Double($0) / Double(quarter)) }
    for h in 0..<g {
        for w in 0..<g {
            let row = p + (1 + h * g + w) * dim
            for (half, pos) in [Double(w), Double(h)].enumerated() {
                let base = row + half * 2 * quarter
                for i in 0..<quarter {
                    base[i] = Float(Foundation.sin(pos * omega[i]))
                    base[quarter + i] = Float(Foundation.cos(pos * omega[i]))
                }
            }
        }
    }
    return table
}
