import Checkpoint
import Foundation
import Tensors
import TensorTesting
import XCTest

final class DTypeTests: XCTestCase {
    func testConversionsRoundTrip() {
        let values: [Float] = [0, 1, -2.5, 65504, 1e-3, -0.0]
        let f32 = StoredTensor(Tensor(values, shape: [6]))
        for t in DType.allCases where t.isFloatingPoint {
            let back = f32.converted(to: t).converted(to: .f32).floatTensor().scalars
            let tol: Float = t == .bf16 ? 1e-2 : (t == .f16 ? 1e-3 : 0)
            assertClose(back, values, tol: tol, "\(t)")
        }
        XCTAssertEqual(f32.converted(to: .i64).converted(to: .f32).floatTensor().scalars, [0, 1, -2, 65504, 0, 0])
        XCTAssertEqual(f32.converted(to: .bool).converted(to: .f32).floatTensor().scalars, [0, 1, 1, 1, 1, 0])
        XCTAssertEqual(f32.converted(to: .u8).converted(to: .f32).floatTensor().scalars, [0, 1, 0, 255, 0, 0])
    }

    func testBFloat16RoundsToNearestEven() {
        // 1 + 2^-8 is halfway between two bfloat16 values: ties go to the even one (1.0).
        let t = StoredTensor(Tensor([1 + 1.0 / 256, 1 + 3.0 / 256], shape: [2])).converted(to: .bf16)
        XCTAssertEqual(t.converted(to: .f32).floatTensor().scalars, [1, 1 + 4.0 / 256])
    }
}
