import Images
import XCTest

final class RGBImageTests: XCTestCase {
    func testFillAndIndex() {
        let image = RGBImage(width: 3, height: 2, fill: (10, 20, 30))
        XCTAssertEqual(image.pixels.count, 18)
        XCTAssertEqual(Array(image.pixels[image.index(x: 2, y: 1)..<(image.index(x: 2, y: 1) + 3)]), [10, 20, 30])
    }
}
