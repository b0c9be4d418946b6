import Foundation
import Images

/// Draws a synthetic face: a subject's appearance (`FaceIdentity`) with action units moving its geometry
/// (`FacialActionUnit`), plus pose and lighting jitter.
///
/// The face is laid out in unit coordinates (x right, y down, the image spanning 0…1, head centred at
/// (0.5, 0.5)), then posed (roll, zoom, shift about the centre) and scaled to pixels. Painting goes back
/// to front: background, hair behind the head, shirt, neck, ears, face, cheeks, wrinkles, nose, eyes,
/// brows, mouth, chin, freckles, hair in front, glasses; a final pass applies lighting and noise.
/// Deterministic: the output depends only on the arguments.
public enum FaceRenderer {
    /// Renders a `size`×`size` face. `aus` holds 12 intensities in BP4D order (`FacialActionUnit.bp4d`),
    /// each clamped to 0…1; a missing tail counts as 0.
    public static func render(identity: FaceIdentity, aus: [Float], extras: ExpressionExtras = .none,
                              size: Int, jitter: FaceJitter = .none) -> RGBImage {
        precondition(size >= 8, "a synthetic face needs at least 8×8 pixels, not \(size)")
        var drawing = FaceDrawing(identity: identity, aus: aus, extras: extras, size: size, jitter: jitter)
        drawing.drawAll()
        return drawing.finish()
    }
}

/// One render in progress: the canvas, the pose mapping unit coordinates to pixels, and the face parts.
private struct FaceDrawing {
    let id: FaceIdentity
    let units: [Float]
    let extras: ExpressionExtras
    let jitter: FaceJitter
    var canvas: FaceCanvas
    let size: Float
    let cosine: Float, sine: Float
    /// Unit lengths to image fractions: the jitter's zoom times a fixed 1.1 that frames the face like a
    /// face-detector crop (forehead to chin, the top of the hair cut off).
    let zoom: Float

    // Layout shared between parts (unit coordinates).
    let cx: Float            // head centre x
    let fx: Float            // feature centre x (the head centre slid by `turn`)
    let cy: Float = 0.5
    let skin: SIMD3<Float>
    let browY: Float
    let tipY: Float          // nose tip
    let lowerHalfHeight: Float

    init(identity: FaceIdentity, aus: [Float], extras: ExpressionExtras, size: Int, jitter: FaceJitter) {
        id = identity
        units = (0..<12).map { $0 < aus.count ? min(max(aus[$0], 0), 1) : 0 }
        self.extras = ExpressionExtras(mouthOpen: min(max(extras.mouthOpen, 0), 1),
                                       eyeWiden: min(max(extras.eyeWiden, 0), 1),
                                       noseWrinkle: min(max(extras.noseWrinkle, 0), 1),
                                       lipCornerSide: extras.lipCornerSide)
        self.jitter = jitter
        canvas = FaceCanvas(width: size, height: size, color: identity.background)
        self.size = Float(size)
        zoom = jitter.scale * 1.1
        cosine = Float(Foundation.cos(Double(jitter.rotation)))
        sine = Float(Foundation.sin(Double(jitter.rotation)))
        cx = 0.5
        fx = 0.5 + 0.025 * min(max(jitter.turn, -1), 1)
        skin = identity.skin
        browY = identity.eyeY - identity.browGap
        tipY = identity.eyeY + identity.noseLength
        lowerHalfHeight = identity.faceHalfHeight + 0.045 * self.extras.mouthOpen
    }

    // MARK: Action units

    func au(_ unit: FacialActionUnit) -> Float { units[unit.index] }

    /// AU12 and AU14 on side `s` (−1 image left, +1 image right): zero on the other side when one-sided.
    func cornerUnit(_ unit: FacialActionUnit, side s: Float) -> Float {
        switch extras.lipCornerSide {
        case .left?: return s < 0 ? au(unit) : 0
        case .right?: return s > 0 ? au(unit) : 0
        case nil: return au(unit)
        }
    }

    // MARK: Pose and primitives in unit coordinates

    func map(_ p: SIMD2<Float>) -> SIMD2<Float> {
        let d = p - 0.5
        let r = SIMD2(cosine * d.x - sine * d.y, sine * d.x + cosine * d.y) * zoom
        return (0.5 + jitter.shift + r) * size
    }

    func length(_ l: Float) -> Float { l * zoom * size }

    func polygonMask(_ points: [SIMD2<Float>]) -> CoverageMask { canvas.polygonMask(points.map(map)) }

    func ellipseMask(_ center: SIMD2<Float>, _ radii: SIMD2<Float>, angle: Float = 0) -> CoverageMask {
        canvas.ellipseMask(center: map(center), radii: radii * zoom * size, angle: angle + jitter.rotation)
    }

    func softMask(_ center: SIMD2<Float>, _ radii: SIMD2<Float>, feather: Float, angle: Float = 0) -> CoverageMask {
        canvas.softEllipseMask(center: map(center), radii: radii * zoom * size,
                               angle: angle + jitter.rotation, feather: feather)
    }

    func strokeMask(_ points: [SIMD2<Float>], _ halfWidths: [Float]) -> CoverageMask {
        canvas.strokeMask(points.map(map), halfWidths: halfWidths.map(length))
    }

    mutating func paint(_ mask: CoverageMask, _ color: SIMD3<Float>, _ opacity: Float = 1) {
        canvas.paint(mask, color: color.clamped(lowerBound: .zero, upperBound: .one), opacity: min(opacity, 1))
    }

    mutating func polygon(_ points: [SIMD2<Float>], _ color: SIMD3<Float>, _ opacity: Float = 1) {
        guard opacity > 0.001 else { return }
        paint(polygonMask(points), color, opacity)
    }

    mutating func ellipse(_ center: SIMD2<Float>, _ radii: SIMD2<Float>, _ color: SIMD3<Float>, _ opacity: Float = 1, angle: Float = 0) {
        guard opacity > 0.001 else { return }
        paint(ellipseMask(center, radii, angle: angle), color, opacity)
    }

    mutating func soft(_ center: SIMD2<Float>, _ radii: SIMD2<Float>, _ color: SIMD3<Float>, _ opacity: Float, feather: Float = 1) {
        guard opacity > 0.001 else { return }
        paint(softMask(center, radii, feather: feather), color, opacity)
    }

    mutating func stroke(_ points: [SIMD2<Float>], _ halfWidth: Float, _ color: SIMD3<Float>, _ opacity: Float = 1) {
        guard opacity > 0.001 else { return }
        paint(strokeMask(points, [halfWidth]), color, opacity)
    }

    /// A stroke whose half width runs linearly from `from` at the first point to `to` at the last.
    mutating func taperedStroke(_ points: [SIMD2<Float>], from: Float, to: Float, _ color: SIMD3<Float>, _ opacity: Float = 1) {
        guard opacity > 0.001 else { return }
        let n = Float(max(points.count - 1, 1))
        let widths = points.indices.map { from + (to - from) * Float($0) / n }
        paint(strokeMask(points, widths), color, opacity)
    }

    func curve(_ a: SIMD2<Float>, _ middle: SIMD2<Float>, _ b: SIMD2<Float>, _ segments: Int = 10) -> [SIMD2<Float>] {
        FaceCanvas.quadraticThrough(a, middle, b, segments: segments)
    }

    func lit(_ c: SIMD3<Float>, _ factor: Float) -> SIMD3<Float> {
        (c * factor).clamped(lowerBound: .zero, upperBound: .one)
    }

    // MARK: Parts

    mutating func drawAll() {
        drawBackground()
        if id.hairStyle == .long { drawBackHair() }
        drawBody()
        drawEars()
        let contour = faceContour()
        drawFace(contour)
        if id.stubble > 0 { drawStubble(contour) }
        drawCheeks()
        drawForehead()
        drawNose()
        drawEyes()
        drawBrows()
        drawMouthAndChin()
        drawMarks()
        drawHair()
        if let glasses = id.glasses { drawGlasses(glasses) }
    }

    mutating func drawBackground() {
        soft([0.5, 0.3], [0.8, 0.75], lit(id.background, 1.18), 0.6)
        soft([0.5, 1.0], [0.9, 0.35], lit(id.background, 0.8), 0.5)
    }

    mutating func drawBackHair() {
        let w = id.faceHalfWidth, h = id.faceHalfHeight
        let color = lit(id.hair, 0.85)
        ellipse([cx, cy - 0.03], [w + 0.075, h + id.hairVolume + 0.02], color)
        polygon([[cx - w - 0.085, cy - 0.03], [cx + w + 0.085, cy - 0.03], [cx + w + 0.11, 1.1], [cx - w - 0.11, 1.1]], color)
    }

    mutating func drawBody() {
        let w = id.faceHalfWidth, h = id.faceHalfHeight
        ellipse([0.5, 1.17], [0.62, 0.24], id.shirt)
        soft([0.5, 0.98], [0.5, 0.06], lit(id.shirt, 0.7), 0.5)
        polygon([[cx - 0.42 * w, cy + 0.3 * h], [cx + 0.42 * w, cy + 0.3 * h], [cx + 0.5 * w, 1.1], [cx - 0.5 * w, 1.1]], lit(skin, 0.82))
        soft([cx, cy + lowerHalfHeight * 0.97], [0.55 * w, 0.07], lit(skin, 0.55), 0.65)
    }

    mutating func drawEars() {
        for s: Float in [-1, 1] {
            let c = SIMD2(cx + s * id.faceHalfWidth * 0.97, id.eyeY + 0.055)
            let r = SIMD2<Float>(0.036, 0.07) * id.earSize
            ellipse(c, r, lit(skin, 0.9), angle: s * 0.15)
            soft(c + [s * 0.006, 0.0], r * 0.6, lit(skin, 0.65), 0.6)
        }
    }

    /// The head outline: an ellipse above the centre line, a superellipse jaw below it (pointed, round
    /// or square with `jawExponent`); the jaw drops when the mouth opens.
    func faceContour() -> [SIMD2<Float>] {
        let w = id.faceHalfWidth, h = id.faceHalfHeight, n = id.jawExponent
        let count = 64
        return (0..<count).map { i -> SIMD2<Float> in
            let theta = 2 * Double.pi * Double(i) / Double(count)
            let c = Float(Foundation.cos(theta)), s = Float(Foundation.sin(theta))
            if s > 0 {
                let x = Float(Foundation.pow(Double(abs(c)), 2 / Double(n))) * (c < 0 ? -1 : 1)
                let y = Float(Foundation.pow(Double(s), 2 / Double(n)))
                return [cx + w * x, cy + lowerHalfHeight * y]
            }
            return [cx + w * c * (0.96 + 0.04 * abs(c)), cy + h * s]
        }
    }

    mutating func drawFace(_ contour: [SIMD2<Float>]) {
        let w = id.faceHalfWidth, h = id.faceHalfHeight
        polygon(contour, lit(skin, 0.8))
        var centreLight = softMask([fx, cy - 0.03], [w * 0.98, h * 1.02], feather: 0.6)
        centreLight.intersect(polygonMask(contour))
        paint(centreLight, skin)
        soft([fx, id.eyeY - 0.14], [w * 0.55, 0.07], lit(skin, 1.07), 0.5)
    }

    /// A beard shadow over the jaw, fading out towards the cheeks.
    mutating func drawStubble(_ contour: [SIMD2<Float>]) {
        let chin = cy + lowerHalfHeight
        var beard = softMask([fx, chin - 0.06], [id.faceHalfWidth * 1.05, chin - tipY - 0.01], feather: 0.55)
        beard.intersect(polygonMask(contour))
        paint(beard, lit(id.hair * 0.5 + skin * 0.5, 0.8), id.stubble)
    }

    mutating func drawCheeks() {
        for s: Float in [-1, 1] {
            let a6 = au(.au6), a12 = cornerUnit(.au12, side: s)
            let rise = 0.045 * a6 + 0.02 * a12
            let c = SIMD2(fx + s * (id.eyeSpacing + 0.012), id.eyeY + 0.125 - rise)
            let r = SIMD2<Float>(0.06, 0.045) * (1 + 0.25 * a6)
            soft(c, r, id.blush, 0.2 + 0.35 * a6 + 0.15 * a12)
            soft(c + [s * 0.006, -0.014], [0.036, 0.022], lit(skin, 1.15), 0.2 + 0.45 * a6)
            // The lower edge of the raised cheek.
            stroke(curve(c + [-s * 0.045, 0.03], c + [s * 0.004, 0.052], c + [s * 0.05, 0.028], 8), 0.0045, lit(skin, 0.7), 0.55 * a6)
        }
    }

    mutating func drawForehead() {
        let a1 = au(.au1), a2 = au(.au2), a4 = au(.au4)
        let line = lit(skin, 0.6)
        for j in 0..<3 {
            let y = browY - 0.055 - 0.024 * Float(j)
            stroke(curve([fx - 0.06, y + 0.006], [fx, y - 0.004], [fx + 0.06, y + 0.006]), 0.0045, line, 0.85 * a1 * (1 - 0.2 * Float(j)))
        }
        for s: Float in [-1, 1] {
            for j in 0..<2 {
                let y = browY - 0.05 - 0.024 * Float(j)
                stroke(curve([fx + s * 0.075, y + 0.002], [fx + s * 0.14, y - 0.007], [fx + s * 0.2, y + 0.008]), 0.0045, line, 0.85 * a2 * (1 - 0.2 * Float(j)))
            }
            stroke([[fx + s * 0.016, browY - 0.03], [fx + s * 0.011, browY + 0.022]], 0.0048, lit(skin, 0.52), 0.95 * a4)
        }
        soft([fx, browY + 0.005], [0.04, 0.032], lit(skin, 0.72), 0.5 * a4)
        stroke([[fx - 0.022, browY + 0.036], [fx + 0.022, browY + 0.036]], 0.004, lit(skin, 0.6), 0.6 * a4)
    }

    var nostrilLift: Float { 0.012 * au(.au10) + 0.012 * extras.noseWrinkle }

    mutating func drawNose() {
        let nw = id.noseHalfWidth, lift = nostrilLift
        let light: Float = id.partSide
        stroke([[fx + light * 0.014, id.eyeY + 0.01], [fx + light * 0.022, tipY - 0.035]], 0.006, lit(skin, 0.78), 0.45)
        soft([fx, tipY - 0.006], [nw * 1.35, 0.032], lit(skin, 0.85), 0.45)
        soft([fx, tipY - 0.012], [nw * 0.55, 0.017], lit(skin, 1.12), 0.6)
        for j in 0..<3 {
            let y = id.eyeY + 0.03 + 0.015 * Float(j)
            stroke(curve([fx - 0.022, y + 0.003], [fx, y - 0.003], [fx + 0.022, y + 0.003], 6), 0.004, lit(skin, 0.55), 0.9 * extras.noseWrinkle)
        }
        soft([fx, tipY + 0.022 - lift], [nw * 0.9, 0.012], lit(skin, 0.75), 0.45)
        for s: Float in [-1, 1] {
            let wing = FaceCanvas.quadraticBezier([fx + s * nw * 0.45, tipY - 0.03 - lift], [fx + s * nw * 1.3, tipY - 0.005 - lift],
                                                  [fx + s * nw * 0.55, tipY + 0.014 - lift], segments: 8)
            stroke(wing, 0.0045, lit(skin, 0.6), 0.75)
            ellipse([fx + s * nw * 0.48, tipY + 0.01 - lift], [0.012, 0.0065], lit(skin, 0.3), 0.85, angle: s * 0.35)
        }
    }

    mutating func drawEyes() {
        let hw = id.eyeHalfWidth, open = id.eyeOpening
        let a6 = au(.au6), a7 = au(.au7), widen = extras.eyeWiden
        let upper = open * (1 + 0.8 * widen - 0.5 * a7 - 0.12 * a6)
        let lower = open * max(0.7 + 0.2 * widen - 0.55 * a6 - 0.6 * a7, 0.06)
        for s: Float in [-1, 1] {
            let ec = SIMD2(fx + s * id.eyeSpacing, id.eyeY)
            let inner = SIMD2(ec.x - s * hw, ec.y + 0.004)
            let outer = SIMD2(ec.x + s * hw, ec.y - id.eyeTilt)
            let top = curve(inner, [ec.x + s * 0.1 * hw, ec.y - upper], outer)
            let bottom = curve(inner, [ec.x + s * 0.05 * hw, ec.y + lower], outer)
            soft([ec.x, ec.y - 0.012], [hw * 1.35, open + 0.03], lit(skin, 0.75), 0.4 + 0.25 * au(.au4), feather: 0.9)
            // The fold under the eye that the cheek raiser and lid tightener push up.
            stroke(curve(inner + [s * 0.2 * hw, 0.014], [ec.x, ec.y + lower + 0.017], outer + [-s * 0.1 * hw, 0.012], 8),
                   0.004, lit(skin, 0.65), 0.12 + 0.6 * a6 + 0.3 * a7)
            let opening = top + bottom.dropFirst().dropLast().reversed()
            let eyeMask = polygonMask(opening)
            paint(eyeMask, [0.96, 0.94, 0.9])
            let ri = hw * 0.44
            let iris = SIMD2(ec.x + jitter.gaze.x * hw * 0.35, ec.y + 0.1 * open + jitter.gaze.y * open * 0.3)
            for (center, radius, color) in [(iris, ri, id.iris), (iris, ri * 0.45, SIMD3<Float>(0.04, 0.03, 0.03)),
                                            (iris + [-0.3 * ri, -0.35 * ri], ri * 0.2, SIMD3<Float>(1, 1, 1))] {
                var m = ellipseMask(center, [radius, radius])
                m.intersect(eyeMask)
                paint(m, color, 0.95)
            }
            var ring = canvas.ellipseOutlineMask(center: map(iris), radii: SIMD2(repeating: length(ri)), angle: 0, halfWidth: length(0.0025))
            ring.intersect(eyeMask)
            paint(ring, id.iris * 0.5, 0.8)
            // Lid shadow on the top of the eyeball.
            var shade = softMask([ec.x, ec.y - upper], [hw, upper * 0.8], feather: 1)
            shade.intersect(eyeMask)
            paint(shade, lit(skin, 0.5), 0.35)
            var lash = top
            if id.sex == .female { lash.append(outer + [s * 0.012, -0.007]) }
            taperedStroke(lash, from: id.lashHalfWidth * 0.5, to: id.lashHalfWidth * 1.1, [0.08, 0.06, 0.06], 0.95)
            stroke(bottom, 0.0028, lit(skin, 0.5), 0.35 + 0.35 * a7 + 0.3 * a6)
            let crease = curve(inner + [s * 0.15 * hw, -0.006], [ec.x + s * 0.1 * hw, ec.y - upper - 0.012 - 0.004 * widen], outer + [-s * 0.05 * hw, -0.008], 8)
            stroke(crease, 0.0035, lit(skin, 0.6), 0.45 * (1 - 0.5 * a7))
            // Crow's feet fan out from the outer corner.
            let origin = outer + [s * 0.014, 0.002]
            for (dx, dy) in [(Float(0.9), Float(-0.43)), (1, 0), (0.9, 0.43)] {
                taperedStroke([origin, origin + [s * dx * 0.04, dy * 0.04]], from: 0.0042, to: 0.002, lit(skin, 0.55), 0.8 * a6)
            }
        }
    }

    mutating func drawBrows() {
        let hw = id.eyeHalfWidth
        let a1 = au(.au1), a2 = au(.au2), a4 = au(.au4), wrinkle = extras.noseWrinkle
        for s: Float in [-1, 1] {
            let centre = fx + s * id.eyeSpacing
            var inner = SIMD2(centre - s * hw * 1.0, browY + 0.004)
            var middle = SIMD2(centre + s * 0.1 * hw, browY - id.browArch)
            var outer = SIMD2(centre + s * hw * 1.2, browY + 0.012 - 0.5 * id.eyeTilt)
            inner.y += -0.06 * a1 + 0.035 * a4 + 0.015 * wrinkle
            inner.x -= s * (0.028 * a4 + 0.01 * wrinkle)
            middle.y += -0.025 * a1 - 0.04 * a2 + 0.022 * a4
            middle.x -= s * 0.012 * a4
            outer.y += -0.055 * a2 + 0.008 * a4
            let points = curve(inner, middle, outer, 12)
            let widths = points.indices.map { id.browHalfThickness * (1.1 - 0.6 * Float($0) / 12) }
            paint(strokeMask(points, widths), id.brow, 0.95)
        }
    }

    mutating func drawMouthAndChin() {
        let a10 = au(.au10), a15 = au(.au15), a17 = au(.au17), a23 = au(.au23), a24 = au(.au24)
        let open = extras.mouthOpen
        let mc = SIMD2(fx, tipY + id.philtrum)
        var corners: [SIMD2<Float>] = []
        for s: Float in [-1, 1] {
            let a12 = cornerUnit(.au12, side: s), a14 = cornerUnit(.au14, side: s)
            let halfWidth = id.mouthHalfWidth * (1 + 0.3 * a12 - 0.16 * a14 - 0.12 * a23 - 0.25 * a24 - 0.12 * open + 0.04 * a15)
            let y = mc.y - 0.042 * a12 + 0.038 * a15 + 0.006 * a14 + 0.012 * a17 - 0.004 * a10 + 0.01 * open
            corners.append([mc.x + s * halfWidth, y])
        }
        let (left, right) = (corners[0], corners[1])
        let halfWidth = (right.x - left.x) / 2
        var line = SIMD2(mc.x, mc.y + 0.002 - 0.016 * a17)
        line.y += (0.5 * (left.y + right.y) - line.y) * 0.85 * a24
        let gap = 0.085 * open
        let upperInnerMid = line - [0, 0.25 * gap + 0.016 * a10]
        let lowerInnerMid = line + [0, 0.75 * gap]
        let tu = id.upperLip * max(1 - 0.65 * a23 - 0.55 * a24, 0.25)
        let tl = id.lowerLip * max(1 - 0.6 * a23 - 0.55 * a24 + 0.15 * a17, 0.25)

        // Nasolabial folds, from the nose wings to just outside the mouth corners.
        for (s, corner) in [(Float(-1), left), (1, right)] {
            let start = SIMD2(fx + s * (id.noseHalfWidth + 0.01), tipY - 0.008 - nostrilLift)
            let end = corner + [s * 0.022, 0.012]
            let control = SIMD2(start.x + s * 0.045, 0.5 * (start.y + end.y) - 0.005)
            let depth = 0.15 + 0.45 * a10 + 0.5 * cornerUnit(.au12, side: s) + 0.2 * extras.noseWrinkle
            taperedStroke(FaceCanvas.quadraticBezier(start, control, end), from: 0.006, to: 0.003, lit(skin, 0.62), depth)
        }

        let upperInner = curve(left, upperInnerMid, right, 12)
        let lowerInner = curve(left, lowerInnerMid, right, 12)
        if lowerInnerMid.y - upperInnerMid.y > 0.002 {
            let interior = upperInner + lowerInner.dropFirst().dropLast().reversed()
            let interiorMask = polygonMask(interior)
            paint(interiorMask, [0.3, 0.07, 0.09])
            var teeth = polygonMask(upperInner + upperInner.reversed().map { $0 + [0, 0.024] })
            teeth.intersect(interiorMask)
            paint(teeth, [0.96, 0.94, 0.88])
            if gap > 0.04 {
                var lowerTeeth = polygonMask(lowerInner + lowerInner.reversed().map { $0 - [0, 0.014] })
                lowerTeeth.intersect(interiorMask)
                paint(lowerTeeth, [0.88, 0.86, 0.8])
            }
        }

        // Upper lip: corners, up to the two peaks of the cupid's bow, the dip between them, back along the inner line.
        let peakY = upperInnerMid.y - tu - 0.003
        let peakL = SIMD2(mc.x - 0.32 * halfWidth, peakY), peakR = SIMD2(mc.x + 0.32 * halfWidth, peakY)
        let dip = SIMD2(mc.x, upperInnerMid.y - tu + 0.004)
        var upperOuter = curve(left, 0.5 * (left + peakL) + [0, -0.25 * tu], peakL, 6)
        upperOuter.append(dip)
        upperOuter += curve(peakR, 0.5 * (right + peakR) + [0, -0.25 * tu], right, 6)
        polygon(upperOuter + upperInner.dropFirst().dropLast().reversed(), id.lip * 0.85)
        let lowerOuter = curve(left, lowerInnerMid + [0, tl], right, 12)
        polygon(lowerInner + lowerOuter.dropFirst().dropLast().reversed(), id.lip)
        soft(lowerInnerMid + [0, tl * 0.45], [halfWidth * 0.4, tl * 0.28], [1, 1, 1], 0.25)
        if gap + 0.016 * a10 < 0.002 {
            stroke(upperInner, 0.0045 + 0.005 * a24, id.lip * (0.4 - 0.2 * a24), 0.8 + 0.2 * a24)
        }
        // Lip tightener: the rolled, hard edge of the thinned upper lip and tension lines above it.
        stroke(upperOuter, 0.003, lit(id.lip, 1.3), 0.5 * a23)
        for k in [-1.5, -0.5, 0.5, 1.5] as [Float] {
            let x = mc.x + k * 0.3 * halfWidth
            stroke([[x, peakY - 0.005], [x + 0.002 * k, peakY - 0.018]], 0.0035, lit(skin, 0.62), 0.65 * a23)
        }
        // Lip pressor: skin bulging above and below the pressed lips, dark pressed corners.
        stroke(curve(left + [0.01, -0.014], [mc.x, peakY - 0.012], right + [-0.01, -0.014]), 0.005, lit(skin, 1.18), 0.7 * a24)
        stroke(curve(left + [0.012, 0.016], [mc.x, lowerInnerMid.y + tl + 0.01], right + [-0.012, 0.016]), 0.005, lit(skin, 0.6), 0.6 * a24)
        for (s, corner) in [(Float(-1), left), (1, right)] {
            ellipse(corner + [s * 0.004, 0], [0.007, 0.007], lit(skin, 0.42), 0.8 * a24)
            let a14 = cornerUnit(.au14, side: s)
            let p = corner + [s * 0.02, 0]
            soft(p, [0.014, 0.024], lit(skin, 0.65), 0.6 * a14)
            stroke(curve(p + [0, -0.02], p + [s * 0.008, 0], p + [0, 0.018], 6), 0.006, lit(skin, 0.48), 0.95 * a14)
            taperedStroke([corner + [s * 0.008, 0.006], corner + [s * 0.02, 0.042]], from: 0.0045, to: 0.002, lit(skin, 0.6), 0.7 * a15)
        }

        // Chin: the crease below the lower lip and the chin boss that the chin raiser pushes up.
        let chinY = cy + lowerHalfHeight
        let creaseY = lowerInnerMid.y + tl + 0.022 - 0.008 * a17
        stroke(curve([mc.x - 0.04, creaseY + 0.004], [mc.x, creaseY - 0.004], [mc.x + 0.04, creaseY + 0.004]), 0.005, lit(skin, 0.65), 0.2 + 0.65 * a17)
        let boss = SIMD2(mc.x, 0.5 * (creaseY + chinY) + 0.005 - 0.01 * a17)
        soft(boss, [0.05 + 0.01 * a17, 0.035], lit(skin, 1.1), 0.2 + 0.5 * a17)
        soft(boss + [0, 0.035], [0.045, 0.012], lit(skin, 0.72), 0.5 * a17)
    }

    mutating func drawMarks() {
        for offset in id.freckles {
            ellipse([fx + offset.x, tipY + offset.y], [0.0045, 0.0045], lit(skin, 0.68), 0.7)
        }
        if let mole = id.mole {
            ellipse([fx + mole.x, tipY + mole.y], [0.007, 0.007], [0.25, 0.15, 0.1], 0.9)
        }
    }

    mutating func drawHair() {
        let w = id.faceHalfWidth, h = id.faceHalfHeight, top = cy - h
        let templeY = id.eyeY - 0.045
        let lineY = id.hairline
        var edge: [SIMD2<Float>]
        switch id.hairStyle {
        case .fringe:
            edge = curve([cx - w - 0.03, templeY], [cx - w * 0.97, lineY + 0.03], [cx - w * 0.9, lineY], 6)
            let teeth = 9
            for i in 1..<teeth {
                let x = cx - w * 0.9 + 1.8 * w * Float(i) / Float(teeth)
                edge.append([x, lineY + (i % 2 == 0 ? 0 : -0.016) - 0.004 * id.partSide * (x - cx) / w])
            }
            edge += curve([cx + w * 0.9, lineY], [cx + w * 0.97, lineY + 0.03], [cx + w + 0.03, templeY], 6)
        case .sidePart:
            let p = id.partSide
            let low = curve([cx - p * (w + 0.03), templeY + 0.01], [cx - p * w * 0.55, lineY + 0.05], [cx + p * w * 0.35, lineY - 0.02], 8)
            let high = curve([cx + p * w * 0.35, lineY - 0.02], [cx + p * w * 0.8, lineY + 0.0], [cx + p * (w + 0.03), templeY - 0.02], 6)
            edge = low + high.dropFirst()
            if p < 0 { edge.reverse() }
        default:
            edge = curve([cx - w - 0.03, templeY], [cx - w * 0.72, lineY + 0.035], [cx, lineY], 8)
                + curve([cx, lineY], [cx + w * 0.72, lineY + 0.035], [cx + w + 0.03, templeY], 8).dropFirst()
        }
        // The region above the hairline, closed through the top of the image.
        let above = edge + [[cx + w + 0.2, templeY], [cx + w + 0.2, -0.5], [cx - w - 0.2, -0.5], [cx - w - 0.2, templeY]]
        let capCentreY = cy - 0.1
        var cap = ellipseMask([cx, capCentreY], [w + 0.035, capCentreY - (top - id.hairVolume)])
        cap.intersect(polygonMask(above))
        let opacity: Float = id.hairStyle == .shaved ? 0.45 : 1
        paint(cap, id.hair, opacity)
        if id.hairStyle != .shaved {
            var shine = softMask([cx - 0.08 * id.partSide, top + 0.015 - 0.5 * id.hairVolume], [w * 0.5, 0.035], feather: 1)
            shine.intersect(cap)
            paint(shine, (id.hair * 1.5 + 0.12).clamped(lowerBound: .zero, upperBound: .one), 0.35)
            for i in 0..<5 {
                let x = cx + w * (Float(i) - 2) * 0.36
                var strand = strokeMask(curve([cx + 0.05 * id.partSide, top - id.hairVolume], [x * 0.7 + cx * 0.3, top + 0.02], [x, lineY + 0.01], 8), [0.0035])
                strand.intersect(cap)
                paint(strand, id.hair * 0.6, 0.45)
            }
        }
        if id.hairStyle == .long {
            for s: Float in [-1, 1] {
                let outerEdge = curve([cx + s * (w + 0.02), lineY + 0.01], [cx + s * (w + 0.075), cy], [cx + s * (w + 0.065), cy + h + 0.06], 10)
                let innerEdge = curve([cx + s * (w - 0.03), cy + h * 0.92], [cx + s * (w - 0.036), cy], [cx + s * w * 0.62, lineY + 0.012], 10)
                polygon(outerEdge + innerEdge, id.hair)
                stroke(curve([cx + s * (w - 0.01), lineY + 0.05], [cx + s * (w + 0.01), cy], [cx + s * (w + 0.02), cy + h], 8), 0.003, id.hair * 0.6, 0.5)
            }
        }
    }

    mutating func drawGlasses(_ glasses: FaceIdentity.Glasses) {
        let hw = id.eyeHalfWidth
        let radii = SIMD2(hw + 0.028, id.eyeOpening + 0.034)
        for s: Float in [-1, 1] {
            let c = SIMD2(fx + s * id.eyeSpacing, id.eyeY + 0.004)
            ellipse(c, radii, glasses.lensTint, 0.14)
            if glasses.round {
                paint(canvas.ellipseOutlineMask(center: map(c), radii: radii * zoom * size, angle: jitter.rotation,
                                                halfWidth: length(glasses.frameHalfWidth)), glasses.frame, 0.95)
            } else {
                // A rounded rectangle: a superellipse of exponent 4, closed.
                let frame = (0...32).map { i -> SIMD2<Float> in
                    let t = 2 * Double.pi * Double(i) / 32
                    let x = Float(Foundation.cos(t)), y = Float(Foundation.sin(t))
                    let fx = Float(Foundation.pow(Double(abs(x)), 0.5)) * (x < 0 ? -1 : 1)
                    let fy = Float(Foundation.pow(Double(abs(y)), 0.5)) * (y < 0 ? -1 : 1)
                    return c + radii * SIMD2(fx, fy)
                }
                stroke(frame, glasses.frameHalfWidth, glasses.frame, 0.95)
            }
            stroke([c + [s * radii.x, -0.006], [cx + s * (id.faceHalfWidth + 0.01), id.eyeY + 0.004]], glasses.frameHalfWidth * 0.8, glasses.frame, 0.9)
        }
        let bridgeX = id.eyeSpacing - radii.x
        stroke(curve([fx - bridgeX, id.eyeY - 0.004], [fx, id.eyeY - 0.014], [fx + bridgeX, id.eyeY - 0.004], 6), glasses.frameHalfWidth, glasses.frame, 0.95)
    }

    // MARK: Lighting

    /// Applies brightness, contrast, the light slope, tint and noise, and rounds to 8 bits.
    func finish() -> RGBImage {
        let n = Int(size)
        var bytes = [UInt8](repeating: 0, count: n * n * 3)
        let noise = jitter.noise
        // Noise from an inlined splitmix64 stream (seeded by the jitter): a Generator call per sample
        // would cost more than the rest of the pass.
        var state = jitter.noiseSeed
        @inline(__always) func uniform() -> Float {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Float((z ^ (z >> 31)) >> 40) * 0x1p-24
        }
        canvas.pixels.withUnsafeBufferPointer { p in
            bytes.withUnsafeMutableBufferPointer { out in
                var i = 0
                for _ in 0..<n {
                    for x in 0..<n {
                        let light = jitter.brightness * (1 + jitter.lightGradient * ((Float(x) + 0.5) / size - 0.5))
                        for channel in 0..<3 {
                            var v = ((p[i] - 0.5) * jitter.contrast + 0.5) * light * jitter.tint[channel]
                            if noise > 0 { v += noise * (uniform() + uniform() - 1) }
                            out[i] = UInt8(min(max(v * 255 + 0.5, 0), 255))
                            i += 1
                        }
                    }
                }
            }
        }
        return RGBImage(width: n, height: n, pixels: bytes)
    }
}
