import XCTest
import Tensors

final class BFloat16Tests: XCTestCase {
    func testRoundsToNearestWithTiesToEven() {
        func round(_ bits: UInt32) -> UInt16 { BFloat16.bits(fromFloatBits: bits) }
        XCTAssertEqual(round(Float(1).bitPattern), 0x3F80)
        XCTAssertEqual(round(0x3F80_7FFF), 0x3F80, "below half: down")
        XCTAssertEqual(round(0x3F80_8000), 0x3F80, "a tie to the even 0x3F80")
        XCTAssertEqual(round(0x3F81_8000), 0x3F82, "a tie to the even 0x3F82")
        XCTAssertEqual(round(0x3F80_8001), 0x3F81, "above half: up")
        XCTAssertEqual(round(Float.infinity.bitPattern), 0x7F80)
        XCTAssertEqual(round((-Float.infinity).bitPattern), 0xFF80)
        XCTAssertEqual(round(0x7F7F_FFFF), 0x7F80, "float's largest rounds up to infinity")
        XCTAssertTrue(BFloat16.float(fromBits: round(Float.nan.bitPattern)).isNaN)
        XCTAssertTrue(BFloat16.float(fromBits: round(0x7F80_0001)).isNaN, "a NaN whose payload is in the low half stays NaN")
        XCTAssertEqual(BFloat16.float(fromBits: 0xC040), -3)
    }

    func testBulkRoundingAndWideningWithAScale() {
        let count = 100_003  // several chunks and a tail
        let values = (0..<count).map { Float($0 % 977) * 0.37 - 150 }
        var bits = [UInt16](repeating: 0, count: count)
        var back = [Float](repeating: .nan, count: count)
        values.withUnsafeBufferPointer { v in bits.withUnsafeMutableBufferPointer { BFloat16.round(v.baseAddress!, into: $0.baseAddress!, count: count) } }
        bits.withUnsafeBufferPointer { b in back.withUnsafeMutableBufferPointer { BFloat16.widen(b.baseAddress!, into: $0.baseAddress!, count: count, scale: 0.5) } }
        for i in stride(from: 0, to: count, by: 101) {
            XCTAssertEqual(bits[i], BFloat16.bits(fromFloatBits: values[i].bitPattern))
            XCTAssertEqual(back[i], BFloat16.float(fromBits: bits[i]) * 0.5)
            XCTAssertEqual(back[i], values[i] * 0.5, accuracy: abs(values[i]) * 0.5 / 256)
        }
    }
}
