import Foundation
import Images
import Tensors
import XCTest

final class AugmentTests: XCTestCase {
    // A 2×2 image whose ops are worked out by hand below: (0,64,128) (255,10,200) / (100,100,100) (30,240,5).
    let tiny = RGBImage(width: 2, height: 2, pixels: [0, 64, 128, 255, 10, 200, 100, 100, 100, 30, 240, 5])

    /// A deterministic textured image (gradients plus a pattern), for the pipeline tests.
    static func textured(width: Int, height: Int) -> RGBImage {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let i = (y * width + x) * 3
                pixels[i] = UInt8((x * 255) / max(1, width - 1))
                pixels[i + 1] = UInt8((y * 255) / max(1, height - 1))
                pixels[i + 2] = UInt8(((x / 8 + y / 8) % 2) * 200 + (x * y) % 55)
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    // MARK: Pixel-wise operations, hand-computed

    func testInvert() {
        let out = RandAugmentOperation.invert.applied(to: tiny, magnitude: 9)
        XCTAssertEqual(out.pixels, [255, 191, 127, 0, 245, 55, 155, 155, 155, 225, 15, 250])
    }

    func testPosterizeIncreasing() {
        // Magnitude 5 keeps 4 − int(0.5·4) = 2 bits (mask 0b1100_0000); magnitude 10 keeps none.
        XCTAssertEqual(RandAugmentOperation.posterizeIncreasing.parameter(magnitude: 5), 2)
        let out = RandAugmentOperation.posterizeIncreasing.applied(to: tiny, magnitude: 5)
        XCTAssertEqual(out.pixels, [0, 64, 128, 192, 0, 192, 64, 64, 64, 0, 192, 0])
        let black = RandAugmentOperation.posterizeIncreasing.applied(to: tiny, magnitude: 10)
        XCTAssertEqual(black.pixels, [UInt8](repeating: 0, count: 12))
        XCTAssertEqual(tiny.posterized(bits: 8), tiny)
    }

    func testSolarizeIncreasing() {
        // Magnitude 5: threshold 256 − int(0.5·256) = 128; values ≥ 128 become 255 − v.
        XCTAssertEqual(RandAugmentOperation.solarizeIncreasing.parameter(magnitude: 5), 128)
        let out = RandAugmentOperation.solarizeIncreasing.applied(to: tiny, magnitude: 5)
        XCTAssertEqual(out.pixels, [0, 64, 127, 0, 10, 55, 100, 100, 100, 30, 15, 5])
        // Magnitude 0: threshold 256, nothing changes.
        XCTAssertEqual(RandAugmentOperation.solarizeIncreasing.applied(to: tiny, magnitude: 0), tiny)
    }

    func testSolarizeAdd() {
        // Magnitude 5 adds int(0.5·110) = 55 to values below 128, capped at 255.
        let out = RandAugmentOperation.solarizeAdd.applied(to: tiny, magnitude: 5)
        XCTAssertEqual(out.pixels, [55, 119, 128, 255, 65, 200, 155, 155, 155, 85, 240, 60])
    }

    func testBrightnessIncreasing() {
        // Magnitude 5: factor 1 ± 0.45. Dimming truncates v·0.55; brightening clamps at 255.
        XCTAssertEqual(RandAugmentOperation.brightnessIncreasing.parameter(magnitude: 5, negated: true)!, 0.55, accuracy: 1e-12)
        let dim = RandAugmentOperation.brightnessIncreasing.applied(to: tiny, magnitude: 5, negated: true)
        XCTAssertEqual(dim.pixels, [0, 35, 70, 140, 5, 110, 55, 55, 55, 16, 132, 2])
        let bright = RandAugmentOperation.brightnessIncreasing.applied(to: tiny, magnitude: 5)
        XCTAssertEqual(bright.pixels, [0, 92, 185, 255, 14, 255, 145, 145, 145, 43, 255, 7])
        // Factor max(0.1, 1 − 0.9) at magnitude 10.
        XCTAssertEqual(RandAugmentOperation.brightnessIncreasing.parameter(magnitude: 10, negated: true)!, 0.1, accuracy: 1e-12)
    }

    func testContrastIncreasing() {
        // Luma (Pillow's rounded fixed point): 52, 105, 100, 150 → mean 101.75 → grey level 102.
        XCTAssertEqual(tiny.luma(), [52, 105, 100, 150])
        let out = RandAugmentOperation.contrastIncreasing.applied(to: tiny, magnitude: 5, negated: true)
        // trunc(102 + 0.55·(v − 102)).
        XCTAssertEqual(out.pixels, [45, 81, 116, 186, 51, 155, 100, 100, 100, 62, 177, 48])
    }

    func testColorIncreasing() {
        // Factor 0.55 blends each pixel toward its luma: trunc(L + 0.55·(v − L)).
        let out = RandAugmentOperation.colorIncreasing.applied(to: tiny, magnitude: 5, negated: true)
        XCTAssertEqual(out.pixels, [23, 58, 93, 187, 52, 157, 100, 100, 100, 84, 199, 70])
        // Factor 0 (not reachable from RandAugment) is pure grey.
        XCTAssertEqual(tiny.colorAdjusted(0).pixels, [52, 52, 52, 105, 105, 105, 100, 100, 100, 150, 150, 150])
    }

    func testSharpnessSmoothsInteriorOnly() {
        // One 130 pixel in a black 5×5: the smoothing gives 130·5/13 = 50 at the centre, 130/13 = 10 around it,
        // and leaves the one-pixel border alone; sharpness factor 0 is that smoothed image.
        var image = RGBImage(width: 5, height: 5)
        let centre = image.index(x: 2, y: 2)
        image.pixels[centre] = 130
        image.pixels[centre + 1] = 130
        image.pixels[centre + 2] = 130
        let smooth = image.sharpnessAdjusted(0)
        for y in 0..<5 {
            for x in 0..<5 {
                let expected: UInt8 = (x, y) == (2, 2) ? 50 : (1...3).contains(x) && (1...3).contains(y) ? 10 : 0
                XCTAssertEqual(smooth.pixels[smooth.index(x: x, y: y)], expected, "(\(x), \(y))")
            }
        }
        // Factor 1.45 extrapolates away from the smoothed image: centre 50 + 1.45·80 = 166, ring 10 − 14.5 → 0.
        let sharp = RandAugmentOperation.sharpnessIncreasing.applied(to: image, magnitude: 5)
        XCTAssertEqual(sharp.pixels[centre], 166)
        XCTAssertEqual(sharp.pixels[sharp.index(x: 1, y: 1)], 0)
        // Images under 3×3 have no interior, so sharpness leaves them alone.
        XCTAssertEqual(tiny.sharpnessAdjusted(1.9), tiny)
    }

    func testAutoContrastStretchesEachChannel() {
        // Red spans 0…255 already; green 10…240 → (v − 10)·255/230; blue 5…200 → (v − 5)·255/195.
        let out = RandAugmentOperation.autoContrast.applied(to: tiny, magnitude: 9)
        XCTAssertEqual(out.pixels, [0, 59, 160, 255, 0, 255, 100, 99, 124, 30, 255, 0])
        // A single-valued channel is left as it is.
        let flat = RGBImage(width: 2, height: 1, pixels: [7, 7, 7, 7, 7, 7])
        XCTAssertEqual(flat.autocontrasted(), flat)
    }

    func testEqualizeSpreadsThreeLevels() {
        // 765 pixels, 255 each of 50, 60, 70: step = (765 − 255) / 255 = 2, so the table is
        // (1 + count below) / 2: 50 → 0, 60 → 128, 70 → 255. Green and blue hold one value each: unchanged.
        var pixels = [UInt8]()
        for value: UInt8 in [50, 60, 70] {
            for _ in 0..<255 { pixels += [value, 9, 200] }
        }
        let image = RGBImage(width: 51, height: 15, pixels: pixels)
        let out = RandAugmentOperation.equalize.applied(to: image, magnitude: 9)
        XCTAssertEqual(Array(out.pixels[0..<3]), [0, 9, 200])
        XCTAssertEqual(Array(out.pixels[(255 * 3)..<(255 * 3 + 3)]), [128, 9, 200])
        XCTAssertEqual(Array(out.pixels[(510 * 3)..<(510 * 3 + 3)]), [255, 9, 200])
        // Under 256 pixels the step is 0 and Pillow leaves the image alone.
        XCTAssertEqual(tiny.equalized(), tiny)
    }

    // MARK: Geometric operations, invariants

    func testRotateByZeroIsIdentity() {
        let image = Self.textured(width: 17, height: 13)
        for resampling in AffineResampling.allCases {
            XCTAssertEqual(RandAugmentOperation.rotate.applied(to: image, magnitude: 0, resampling: resampling), image)
            XCTAssertEqual(image.rotated(degrees: 360, resampling: resampling, fill: (1, 2, 3)), image)
        }
        // Four quarter turns of a square image come back to it; a half turn reverses the pixel order.
        let square = Self.textured(width: 9, height: 9)
        var turned = square
        for _ in 0..<4 { turned = turned.rotated(degrees: 90, resampling: .bicubic, fill: (0, 0, 0)) }
        XCTAssertEqual(turned, square)
        let half = image.rotated(degrees: 180, resampling: .bilinear, fill: (0, 0, 0))
        XCTAssertEqual(Array(half.pixels[0..<3]), Array(image.pixels[image.index(x: 16, y: 12)..<(image.index(x: 16, y: 12) + 3)]))
    }

    func testRotateFillsTheCornersAndKeepsTheCentre() {
        let grey = RGBImage(width: 40, height: 40, fill: (200, 50, 20))
        let out = RandAugmentOperation.rotate.applied(to: grey, magnitude: 10)  // 30° counter-clockwise
        let fill: [UInt8] = [124, 116, 104]
        for (x, y) in [(0, 0), (39, 0), (0, 39), (39, 39)] {
            XCTAssertEqual(Array(out.pixels[out.index(x: x, y: y)..<(out.index(x: x, y: y) + 3)]), fill, "corner (\(x), \(y))")
        }
        // Inside, a flat image interpolates to itself exactly (the cubic of a constant is that constant).
        XCTAssertEqual(Array(out.pixels[out.index(x: 20, y: 20)..<(out.index(x: 20, y: 20) + 3)]), [200, 50, 20])
    }

    func testTranslateMovesAWhitePixelByTheExpectedOffset() {
        // Magnitude 10 on a 20-wide image is 0.45·20 = 9 pixels; whole-pixel shifts sample pixels exactly.
        var image = RGBImage(width: 20, height: 20)
        let white = image.index(x: 10, y: 10)
        image.pixels.replaceSubrange(white..<(white + 3), with: [255, 255, 255])
        func whitePixels(_ image: RGBImage) -> [[Int]] {
            var found: [[Int]] = []
            for y in 0..<image.height {
                for x in 0..<image.width where image.pixels[image.index(x: x, y: y)..<(image.index(x: x, y: y) + 3)].allSatisfy({ $0 == 255 }) {
                    found.append([x, y])
                }
            }
            return found
        }
        for resampling in AffineResampling.allCases {
            let left = RandAugmentOperation.translateXRelative.applied(to: image, magnitude: 10, resampling: resampling)
            XCTAssertEqual(whitePixels(left), [[1, 10]])
            // The nine columns uncovered on the right are the fill colour.
            XCTAssertEqual(Array(left.pixels[left.index(x: 11, y: 0)..<(left.index(x: 11, y: 0) + 3)]), [124, 116, 104])
            XCTAssertEqual(Array(left.pixels[left.index(x: 10, y: 0)..<(left.index(x: 10, y: 0) + 3)]), [0, 0, 0])
            let right = RandAugmentOperation.translateXRelative.applied(to: image, magnitude: 10, negated: true, resampling: resampling)
            XCTAssertEqual(whitePixels(right), [[19, 10]])
            XCTAssertEqual(Array(right.pixels[right.index(x: 8, y: 0)..<(right.index(x: 8, y: 0) + 3)]), [124, 116, 104])
            XCTAssertEqual(Array(right.pixels[right.index(x: 9, y: 0)..<(right.index(x: 9, y: 0) + 3)]), [0, 0, 0])
            let up = RandAugmentOperation.translateYRelative.applied(to: image, magnitude: 10, resampling: resampling)
            XCTAssertEqual(whitePixels(up), [[10, 1]])
            let down = RandAugmentOperation.translateYRelative.applied(to: image, magnitude: 10, negated: true, resampling: resampling)
            XCTAssertEqual(whitePixels(down), [[10, 19]])
        }
    }

    func testShearFillsOnlyTheUncoveredTriangle() {
        // ShearX 0.3 samples x + 0.3·y: row y is fill exactly where x + 0.5 + 0.3·(y + 0.5) ≥ 10.
        let flat = RGBImage(width: 10, height: 10, fill: (10, 220, 30))
        let sheared = RandAugmentOperation.shearX.applied(to: flat, magnitude: 10)
        let shearedY = RandAugmentOperation.shearY.applied(to: flat, magnitude: 10)
        for y in 0..<10 {
            for x in 0..<10 {
                let uncovered = Double(x) + 0.5 + 0.3 * (Double(y) + 0.5) >= 10
                let expected: [UInt8] = uncovered ? [124, 116, 104] : [10, 220, 30]
                XCTAssertEqual(Array(sheared.pixels[sheared.index(x: x, y: y)..<(sheared.index(x: x, y: y) + 3)]), expected)
                // ShearY is the transpose.
                XCTAssertEqual(Array(shearedY.pixels[shearedY.index(x: y, y: x)..<(shearedY.index(x: y, y: x) + 3)]), expected)
            }
        }
    }

    // MARK: Against Pillow

    /// Bytes from Pillow 13 (Image.rotate / Image.transform / ImageEnhance) on a 6×5 image, the calls timm makes.
    func testMatchesPillowOnASmallImage() {
        let image = RGBImage(width: 6, height: 5, pixels: [
            0, 70, 140, 40, 110, 180, 80, 150, 220, 120, 190, 4, 160, 230, 44, 200, 14, 84,
            13, 83, 153, 60, 130, 200, 107, 177, 247, 154, 224, 38, 178, 248, 62, 225, 39, 109,
            26, 96, 166, 80, 150, 220, 111, 181, 251, 165, 235, 49, 196, 10, 80, 227, 41, 111,
            39, 109, 179, 100, 170, 240, 138, 208, 22, 176, 246, 60, 214, 28, 98, 252, 66, 136,
            52, 122, 192, 97, 167, 237, 142, 212, 26, 187, 1, 71, 232, 46, 116, 254, 68, 138,
        ])
        let fill = RandAugment.imageNetFill
        // img.rotate(-27, BICUBIC, fillcolor=(124, 116, 104))
        XCTAssertEqual(image.rotated(degrees: -27, resampling: .bicubic, fill: fill).pixels, [
            124, 116, 104, 19, 89, 159, 57, 127, 201, 82, 152, 212, 110, 180, 12, 124, 116, 104,
            23, 93, 163, 53, 123, 188, 90, 160, 255, 128, 195, 142, 147, 253, 0, 176, 176, 60,
            56, 126, 211, 107, 176, 220, 121, 193, 189, 158, 237, 58, 177, 199, 55, 209, 102, 93,
            78, 148, 255, 125, 216, 87, 159, 243, 0, 188, 174, 59, 215, 0, 99, 228, 34, 112,
            124, 116, 104, 148, 197, 16, 183, 5, 67, 217, 45, 101, 246, 49, 130, 124, 116, 104,
        ])
        // img.transform(size, AFFINE, (1, -0.27, 0, 0, 1, 0), BILINEAR, fillcolor=…)
        XCTAssertEqual(image.shearedX(-0.27, resampling: .bilinear, fill: fill).pixels, [
            0, 70, 140, 34, 104, 174, 74, 144, 214, 114, 184, 33, 154, 224, 38, 194, 43, 78,
            13, 83, 153, 40, 110, 180, 87, 157, 227, 134, 204, 122, 168, 238, 52, 205, 123, 89,
            124, 116, 104, 43, 113, 183, 90, 160, 230, 128, 198, 185, 175, 161, 59, 206, 20, 90,
            124, 116, 104, 42, 112, 182, 102, 172, 228, 140, 210, 24, 178, 234, 62, 216, 30, 100,
            124, 116, 104, 52, 122, 192, 87, 157, 227, 132, 202, 71, 177, 46, 61, 222, 36, 106,
        ])
        // img.transform(size, AFFINE, (1, 0, 0, 0.27, 1, 0), BICUBIC, fillcolor=…)
        XCTAssertEqual(image.shearedY(0.27, resampling: .bicubic, fill: fill).pixels, [
            1, 71, 141, 46, 116, 186, 97, 167, 237, 151, 221, 35, 183, 198, 67, 226, 40, 110,
            15, 85, 155, 69, 139, 209, 107, 177, 255, 163, 233, 47, 201, 0, 85, 239, 53, 123,
            28, 98, 168, 91, 161, 231, 128, 198, 96, 174, 255, 58, 220, 34, 104, 255, 70, 140,
            42, 112, 182, 101, 171, 241, 142, 212, 8, 186, 14, 70, 234, 48, 118, 254, 68, 138,
            53, 123, 193, 96, 166, 236, 124, 116, 104, 124, 116, 104, 124, 116, 104, 124, 116, 104,
        ])
        // ImageEnhance.Sharpness(img).enhance(1.81)
        XCTAssertEqual(image.sharpnessAdjusted(1.81).pixels, [
            0, 70, 140, 40, 110, 180, 80, 150, 220, 120, 190, 4, 160, 230, 44, 200, 14, 84,
            13, 83, 153, 61, 131, 201, 110, 180, 255, 161, 247, 0, 176, 255, 60, 225, 39, 109,
            26, 96, 166, 83, 153, 238, 105, 175, 255, 168, 255, 19, 194, 0, 78, 227, 41, 111,
            39, 109, 179, 107, 177, 255, 141, 226, 0, 177, 255, 45, 215, 0, 99, 252, 66, 136,
            52, 122, 192, 97, 167, 237, 142, 212, 26, 187, 1, 71, 232, 46, 116, 254, 68, 138,
        ])
        // ImageEnhance.Color(img).enhance(1.81)
        XCTAssertEqual(image.colorAdjusted(1.81).pixels, [
            0, 80, 207, 0, 120, 247, 33, 160, 255, 97, 224, 0, 137, 255, 0, 255, 0, 88,
            0, 93, 220, 13, 140, 255, 60, 187, 255, 131, 255, 0, 155, 255, 0, 255, 0, 113,
            0, 106, 233, 33, 160, 255, 64, 191, 255, 142, 255, 0, 255, 0, 84, 255, 0, 115,
            0, 119, 246, 53, 180, 255, 115, 242, 0, 153, 255, 0, 255, 0, 102, 255, 14, 140,
            5, 132, 255, 50, 177, 255, 119, 246, 0, 255, 0, 75, 255, 0, 120, 255, 16, 142,
        ])
        // ImageEnhance.Contrast(img).enhance(0.19)
        XCTAssertEqual(image.contrastAdjusted(0.19).pixels, [
            105, 118, 131, 112, 126, 139, 120, 133, 147, 128, 141, 106, 135, 149, 113, 143, 107, 121,
            107, 121, 134, 116, 130, 143, 125, 138, 152, 134, 147, 112, 139, 152, 117, 148, 112, 126,
            110, 123, 136, 120, 133, 147, 126, 139, 152, 136, 149, 114, 142, 107, 120, 148, 113, 126,
            112, 126, 139, 124, 137, 150, 131, 144, 109, 138, 152, 116, 145, 110, 123, 153, 117, 131,
            115, 128, 141, 123, 137, 150, 132, 145, 110, 140, 105, 118, 149, 114, 127, 153, 118, 131,
        ])
    }

    // MARK: Magnitudes and config

    func testLevelMappingsAtMaximum() {
        XCTAssertEqual(RandAugmentOperation.rotate.parameter(magnitude: 10), 30)
        XCTAssertEqual(RandAugmentOperation.rotate.parameter(magnitude: 10, negated: true), -30)
        XCTAssertEqual(RandAugmentOperation.shearX.parameter(magnitude: 10)!, 0.3, accuracy: 1e-12)
        XCTAssertEqual(RandAugmentOperation.translateYRelative.parameter(magnitude: 10, negated: true)!, -0.45, accuracy: 1e-12)
        XCTAssertEqual(RandAugmentOperation.solarizeIncreasing.parameter(magnitude: 10), 0)
        XCTAssertEqual(RandAugmentOperation.solarizeAdd.parameter(magnitude: 10), 110)
        XCTAssertEqual(RandAugmentOperation.colorIncreasing.parameter(magnitude: 9)!, 1.81, accuracy: 1e-12)
        XCTAssertNil(RandAugmentOperation.equalize.parameter(magnitude: 9))
        // Unsigned ops ignore the sign.
        XCTAssertEqual(RandAugmentOperation.solarizeAdd.parameter(magnitude: 10, negated: true), 110)
    }

    func testConfigString() throws {
        let fmae = try RandAugment(config: "rand-m9-mstd0.5-inc1")
        XCTAssertEqual(fmae.operations, RandAugmentOperation.increasing)
        XCTAssertEqual(fmae.operations.count, 15)
        XCTAssertEqual(fmae.magnitude, 9)
        XCTAssertEqual(fmae.magnitudeStd, 0.5)
        XCTAssertEqual(fmae.layers, 2)
        XCTAssertEqual(fmae.probability, 0.5)
        XCTAssertEqual(fmae.resampling, .bicubic)
        XCTAssertTrue(fmae.fill == (124, 116, 104))
        // The default RandAugment (what TrainAugmentation uses) is that config.
        let standard = RandAugment()
        XCTAssertEqual(standard.operations, fmae.operations)
        XCTAssertEqual([standard.magnitude, standard.magnitudeStd, standard.magnitudeMax, standard.probability],
                       [fmae.magnitude, fmae.magnitudeStd, fmae.magnitudeMax, fmae.probability])
        let plain = try RandAugment(config: "rand-m7-n3-mstd101")
        XCTAssertEqual(plain.operations, RandAugmentOperation.standard)
        XCTAssertEqual(plain.layers, 3)
        XCTAssertEqual(plain.magnitudeStd, .infinity)
        XCTAssertThrowsError(try RandAugment(config: "augmix-m5"))
        XCTAssertThrowsError(try RandAugment(config: "rand-q4"))
    }

    func testRandAugmentAppliesAboutHalfTheOperations() {
        // Two layers at p 0.5: on average one operation changes the image. Invert-only RandAugment changes
        // the image exactly when an odd number of its two inverts ran: probability ½.
        let invertOnly = RandAugment(operations: [.invert])
        let g = Generator(seed: 5)
        var changed = 0
        for _ in 0..<2000 where invertOnly.apply(tiny, generator: g) != tiny { changed += 1 }
        XCTAssertEqual(Double(changed) / 2000, 0.5, accuracy: 0.04)
    }

    func testSignedOperationsFlipTheirSignHalfTheTime() {
        // Brightness only, always applied, fixed magnitude 5: every output is the ×0.55 or the ×1.45 image.
        let brightness = RandAugment(operations: [.brightnessIncreasing], layers: 1, magnitude: 5, magnitudeStd: 0, probability: 1)
        let dim = tiny.brightnessAdjusted(0.55), bright = tiny.brightnessAdjusted(1.45)
        let g = Generator(seed: 21)
        var dimmed = 0
        for _ in 0..<1000 {
            let out = brightness.apply(tiny, generator: g)
            XCTAssertTrue(out == dim || out == bright)
            if out == dim { dimmed += 1 }
        }
        XCTAssertEqual(Double(dimmed) / 1000, 0.5, accuracy: 0.05)
    }

    // MARK: RandomResizedCrop

    func testRandomResizedCropBoxesStayInBounds() {
        let crop = RandomResizedCrop(size: 224)
        let g = Generator(seed: 11)
        let (w, h) = (256, 200)
        var areas: [Double] = []
        for _ in 0..<5000 {
            let b = crop.box(imageWidth: w, imageHeight: h, generator: g)
            XCTAssertTrue(b.x >= 0 && b.y >= 0 && b.width > 0 && b.height > 0 && b.x + b.width <= w && b.y + b.height <= h)
            // Width and height are rounded from the drawn ones, so the bounds hold within half a pixel per side.
            let (bw, bh) = (Double(b.width), Double(b.height))
            XCTAssertGreaterThanOrEqual((bw + 0.5) * (bh + 0.5), 0.08 * Double(w * h))
            XCTAssertLessThanOrEqual((bw - 0.5) * (bh - 0.5), Double(w * h))
            XCTAssertGreaterThanOrEqual((bw + 0.5) / (bh - 0.5), 3.0 / 4)
            XCTAssertLessThanOrEqual((bw - 0.5) / (bh + 0.5), 4.0 / 3)
            let area = bw * bh / Double(w * h)
            areas.append(area)
        }
        // Areas spread over the range; the mean of U(0.08, 1) is 0.54, less the boxes that did not fit.
        XCTAssertLessThan(areas.min()!, 0.1)
        XCTAssertGreaterThan(areas.max()!, 0.95)
        XCTAssertEqual(areas.reduce(0, +) / Double(areas.count), 0.5, accuracy: 0.06)
    }

    func testRandomResizedCropFallsBackToTheCentralCrop() {
        // A 1000×10 strip fits no box of area ≥ 0.08 with ratio ≤ 4/3, so the central crop of ratio 4/3 is
        // taken: height 10, width round(13.33) = 13, centred.
        let crop = RandomResizedCrop(size: 8)
        let b = crop.box(imageWidth: 1000, imageHeight: 10, generator: Generator(seed: 1))
        XCTAssertEqual(b, RandomResizedCrop.Box(x: 493, y: 0, width: 13, height: 10))
        let out = crop.apply(Self.textured(width: 1000, height: 10), generator: Generator(seed: 1))
        XCTAssertEqual(out.width, 8)
        XCTAssertEqual(out.height, 8)
    }

    // MARK: RandomErasing

    func testRandomErasingFrequencyAndBounds() {
        let erasing = RandomErasing()
        let g = Generator(seed: 3)
        let (c, h, w) = (3, 24, 32)
        var erasedCount = 0
        let draws = 3000
        for _ in 0..<draws {
            var tensor = [Float](repeating: 7, count: c * h * w)
            let boxes = erasing.apply(to: &tensor, channels: c, height: h, width: w, generator: g)
            XCTAssertLessThanOrEqual(boxes.count, 1)
            guard let box = boxes.first else {
                XCTAssertTrue(tensor.allSatisfy { $0 == 7 })
                continue
            }
            erasedCount += 1
            XCTAssertTrue(box.top >= 0 && box.left >= 0 && box.height > 0 && box.width > 0)
            XCTAssertTrue(box.top + box.height <= h && box.left + box.width <= w)
            // Every value inside the box (all channels) is noise, every value outside untouched.
            for ch in 0..<c {
                for y in 0..<h {
                    for x in 0..<w {
                        let inside = (box.top..<(box.top + box.height)).contains(y) && (box.left..<(box.left + box.width)).contains(x)
                        let value = tensor[(ch * h + y) * w + x]
                        if inside { XCTAssertNotEqual(value, 7) } else { XCTAssertEqual(value, 7) }
                    }
                }
            }
        }
        // p 0.25; a few draws find no fitting box in 10 attempts. 3000 draws: σ ≈ 0.008.
        XCTAssertEqual(Double(erasedCount) / Double(draws), 0.25, accuracy: 0.03)
    }

    func testPixelModeNoiseIsStandardNormal() {
        let erasing = RandomErasing(probability: 1, minArea: 0.3, maxArea: 0.3, minAspect: 1, maxAspect: 1)
        var tensor = [Float](repeating: .nan, count: 3 * 100 * 100)
        let boxes = erasing.apply(to: &tensor, channels: 3, height: 100, width: 100, generator: Generator(seed: 9))
        XCTAssertEqual(boxes, [RandomErasing.Box(top: boxes[0].top, left: boxes[0].left, height: 55, width: 55)])
        let noise = tensor.filter { !$0.isNaN }.map(Double.init)
        XCTAssertEqual(noise.count, 3 * 55 * 55)
        let mean = noise.reduce(0, +) / Double(noise.count)
        let variance = noise.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(noise.count)
        XCTAssertEqual(mean, 0, accuracy: 0.05)
        XCTAssertEqual(variance, 1, accuracy: 0.08)
    }

    // MARK: Pipelines

    func testTrainAugmentationIsDeterministicPerSeed() {
        let image = Self.textured(width: 96, height: 80)
        let train = TrainAugmentation(size: 32)
        let a = train.apply(image, generator: Generator(seed: 42))
        let b = train.apply(image, generator: Generator(seed: 42))
        let c = train.apply(image, generator: Generator(seed: 43))
        XCTAssertEqual(a.count, 3 * 32 * 32)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        XCTAssertTrue(a.allSatisfy(\.isFinite))
        // Many seeds give many different tensors.
        let distinct = Set((0..<20).map { train.apply(image, generator: Generator(seed: UInt64($0))) })
        XCTAssertEqual(distinct.count, 20)
    }

    func testTrainAugmentationWithEverythingOffIsCropResizeNormalise() {
        // Scale 1 and ratio 1 on a square image: the box is the whole image; with flip, RandAugment and
        // erasing off, the result is the plain resize.
        let image = Self.textured(width: 48, height: 48)
        let plain = TrainAugmentation(size: 24, scale: 1...1, ratio: 1...1, flipProbability: 0, randAugment: nil, erasing: nil)
        XCTAssertEqual(plain.apply(image, generator: Generator(seed: 1)),
                       image.resized(width: 24, height: 24, filter: .bicubic).tensorCHW())
        let flipped = TrainAugmentation(size: 24, scale: 1...1, ratio: 1...1, flipProbability: 1, randAugment: nil, erasing: nil)
        XCTAssertEqual(flipped.apply(image, generator: Generator(seed: 1)),
                       image.resized(width: 24, height: 24, filter: .bicubic).flippedHorizontally().tensorCHW())
    }

    func testEvalAndPretrainTransforms() {
        let image = Self.textured(width: 64, height: 50)
        let eval = EvalTransform(size: 32)
        XCTAssertEqual(eval.apply(image), image.resized(width: 32, height: 32, filter: .bilinear).tensorCHW())
        let pretrain = PretrainAugmentation(size: 32)
        let resized = image.resized(width: 32, height: 32, filter: .bilinear)
        var flips = 0
        for seed in 0..<200 {
            let out = pretrain.augmentedImage(image, generator: Generator(seed: UInt64(seed)))
            if out == resized { continue }
            XCTAssertEqual(out, resized.flippedHorizontally())
            flips += 1
        }
        XCTAssertEqual(Double(flips) / 200, 0.5, accuracy: 0.1)
        let g1 = Generator(seed: 8), g2 = Generator(seed: 8)
        XCTAssertEqual(pretrain.apply(image, generator: g1), pretrain.apply(image, generator: g2))
    }
}
