import Tensors
import XCTest

/// The strided walk that copies, reductions and checkpoint views share.
final class StridedCursorTests: XCTestCase {
    func testOffsetsMatchIndexTimesStridesFromAnyStart() {
        let shape = [2, 3, 4], strides = [1, 8, 2]  // a permuted, padded layout
        var expected: [Int] = []
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 { expected.append(5 + i * 1 + j * 8 + k * 2) } } }
        for start in [0, 1, 7, 12, 23] {
            var cursor = StridedCursor(shape: shape, strides: strides, position: start, base: 5)
            var seen: [Int] = []
            for _ in start..<24 {
                seen.append(cursor.offset)
                cursor.advance()
            }
            XCTAssertEqual(seen, Array(expected[start...]), "start \(start)")
            XCTAssertEqual(cursor.offset, 5, "wraps to the first element")
        }
        // Broadcast strides (0 on a stretched dimension) and rank 0.
        var broadcast = StridedCursor(shape: [3, 2], strides: [0, 1])
        var offsets: [Int] = []
        for _ in 0..<6 { offsets.append(broadcast.offset); broadcast.advance() }
        XCTAssertEqual(offsets, [0, 1, 0, 1, 0, 1])
        XCTAssertEqual(StridedCursor(shape: [], strides: [], base: 3).offset, 3)
    }
}
