import Tensors

/// The appearance of one synthetic subject, drawn from a seed: what stays the same in all of a subject's
/// frames. Differences between subjects are meant to be large and obvious (face shape, skin, hair, eyes,
/// glasses, background), so that identity is easy to read from appearance alone, while action units only
/// move geometry (`FacialActionUnit`).
///
/// Lengths are fractions of the image side, in the upright, centred face (`FaceRenderer` applies pose);
/// colours are RGB in 0…1.
public struct FaceIdentity: Equatable, Sendable {
    public enum Sex: String, Sendable, Codable {
        case female = "F", male = "M"
    }

    public enum HairStyle: String, CaseIterable, Sendable, Codable {
        /// Short hair on the crown, arched hairline.
        case cropped
        /// A straight fringe with a jagged edge low on the forehead.
        case fringe
        /// A slanted hairline swept to one side.
        case sidePart
        /// Hair behind the head down to the shoulders and strands down both sides of the face.
        case long
        /// A close shave: a faint tint over the crown.
        case shaved
    }

    public struct Glasses: Equatable, Sendable {
        public var frame: SIMD3<Float>
        public var round: Bool
        public var frameHalfWidth: Float
        public var lensTint: SIMD3<Float>
    }

    public var seed: UInt64
    public var sex: Sex

    // Head shape.
    public var faceHalfWidth: Float        // 0.27–0.35
    public var faceHalfHeight: Float       // 0.37–0.43
    /// Superellipse exponent of the lower face: ~1.7 pointed chin, 2 round, ~3 square jaw.
    public var jawExponent: Float
    public var earSize: Float              // 0.8–1.2
    public var skin: SIMD3<Float>
    public var blush: SIMD3<Float>
    public var background: SIMD3<Float>
    public var shirt: SIMD3<Float>

    // Eyes and brows.
    public var eyeY: Float                 // eye line, 0.45–0.48
    public var eyeSpacing: Float           // half the distance between the eye centres
    public var eyeHalfWidth: Float
    public var eyeOpening: Float           // how far the upper lid arches above the eye line
    public var eyeTilt: Float              // outer corners up (+) or down (−)
    public var iris: SIMD3<Float>
    public var lashHalfWidth: Float        // the dark upper-lid line
    public var browGap: Float              // brow line above the eye line
    public var browHalfThickness: Float
    public var browArch: Float
    public var brow: SIMD3<Float>

    // Hair.
    public var hair: SIMD3<Float>
    public var hairStyle: HairStyle
    public var hairline: Float             // y of the hairline (or fringe edge) at the middle
    public var hairVolume: Float           // how far the hair rises above the skull
    public var partSide: Float             // −1 or 1: where a side part or a slant goes
    public var stubble: Float              // opacity of a beard shadow (0 for most)

    // Nose and mouth.
    public var noseLength: Float           // eye line to nose tip
    public var noseHalfWidth: Float
    public var philtrum: Float             // nose tip to mouth line
    public var mouthHalfWidth: Float
    public var upperLip: Float             // lip thicknesses
    public var lowerLip: Float
    public var lip: SIMD3<Float>

    // Extras.
    public var glasses: Glasses?
    public var freckles: [SIMD2<Float>]    // offsets from the nose tip
    public var mole: SIMD2<Float>?         // offset from the nose tip

    /// The subject drawn from `seed` (the same seed always gives the same face); `sex` is drawn too unless given.
    public init(seed: UInt64, sex: Sex? = nil) {
        let g = Generator(seed: seed)
        func uniform(_ low: Float, _ high: Float) -> Float { low + (high - low) * Float(g.uniform()) }
        func chance(_ p: Double) -> Bool { g.uniform() < p }
        func pick<T>(_ options: [T]) -> T { options[g.below(options.count)] }
        func vary(_ c: SIMD3<Float>, _ amount: Float) -> SIMD3<Float> {
            let v = c + SIMD3(uniform(-amount, amount), uniform(-amount, amount), uniform(-amount, amount))
            return v.clamped(lowerBound: .zero, upperBound: .one)
        }
        self.seed = seed
        let drawnSex: Sex = chance(0.55) ? .female : .male
        self.sex = sex ?? drawnSex
        let female = self.sex == .female

        faceHalfWidth = uniform(0.27, 0.35)
        faceHalfHeight = uniform(0.37, 0.43)
        jawExponent = female ? uniform(1.7, 2.4) : uniform(2.0, 3.2)
        earSize = uniform(0.8, 1.2)
        // Skin from a light-to-dark ramp with a little hue variation.
        let ramp: [SIMD3<Float>] = [[0.99, 0.86, 0.76], [0.93, 0.75, 0.62], [0.82, 0.61, 0.45],
                                    [0.64, 0.44, 0.30], [0.44, 0.29, 0.19]]
        let t = uniform(0, Float(ramp.count - 1) - 0.001)
        let i = Int(t), f = t - Float(i)
        skin = vary(ramp[i] * (1 - f) + ramp[i + 1] * f, 0.025)
        blush = (0.55 * skin + 0.45 * SIMD3<Float>(0.9, 0.35, 0.35)).clamped(lowerBound: .zero, upperBound: .one)
        let backgrounds: [SIMD3<Float>] = [[0.55, 0.62, 0.75], [0.75, 0.74, 0.70], [0.35, 0.45, 0.38],
                                           [0.80, 0.70, 0.55], [0.30, 0.30, 0.35], [0.62, 0.50, 0.62],
                                           [0.88, 0.88, 0.90], [0.40, 0.55, 0.60]]
        background = vary(pick(backgrounds), 0.06)
        shirt = SIMD3(uniform(0.05, 0.9), uniform(0.05, 0.9), uniform(0.05, 0.9))

        eyeY = uniform(0.45, 0.48)
        eyeSpacing = faceHalfWidth * uniform(0.40, 0.48)
        eyeHalfWidth = faceHalfWidth * uniform(0.17, 0.22)
        eyeOpening = uniform(0.024, 0.033)
        eyeTilt = uniform(-0.008, 0.01)
        let irises: [SIMD3<Float>] = [[0.30, 0.18, 0.08], [0.16, 0.10, 0.05], [0.25, 0.45, 0.75],
                                      [0.30, 0.55, 0.35], [0.50, 0.52, 0.55], [0.50, 0.38, 0.18]]
        iris = vary(pick(irises), 0.04)
        lashHalfWidth = female ? uniform(0.0055, 0.008) : uniform(0.004, 0.0055)
        browGap = uniform(0.065, 0.082)
        browHalfThickness = female ? uniform(0.006, 0.011) : uniform(0.009, 0.016)
        browArch = uniform(0.004, 0.018)

        let hairs: [SIMD3<Float>] = [[0.07, 0.06, 0.06], [0.22, 0.13, 0.07], [0.45, 0.28, 0.14],
                                     [0.86, 0.72, 0.42], [0.60, 0.24, 0.10], [0.68, 0.68, 0.68],
                                     [0.95, 0.93, 0.88], [0.13, 0.10, 0.09], [0.30, 0.20, 0.55]]
        let hairColor = vary(pick(hairs), 0.03)
        hair = hairColor
        let lightHair = hairColor.x > 0.6 && hairColor.y > 0.6
        brow = lightHair ? hairColor * 0.55 : hairColor * 0.75 + 0.01  // light hair, darker brows
        let styles: [HairStyle] = female ? [.fringe, .sidePart, .long, .long, .cropped]
                                         : [.cropped, .cropped, .sidePart, .fringe, .shaved, .long]
        hairStyle = pick(styles)
        let browY = eyeY - browGap
        let faceTop = 0.5 - faceHalfHeight
        switch hairStyle {
        case .fringe: hairline = browY - uniform(0.095, 0.12)
        case .shaved: hairline = faceTop + uniform(0.05, 0.08)
        default: hairline = min(faceTop + uniform(0.08, 0.14), browY - 0.1)
        }
        hairVolume = uniform(0.01, 0.07)
        partSide = chance(0.5) ? -1 : 1
        stubble = !female && chance(0.4) ? uniform(0.15, 0.4) : 0

        noseLength = uniform(0.13, 0.17)
        noseHalfWidth = uniform(0.028, 0.048)
        let chin = 0.5 + faceHalfHeight
        philtrum = min(uniform(0.075, 0.1), chin - 0.13 - (eyeY + noseLength))
        mouthHalfWidth = uniform(0.065, 0.095)
        upperLip = uniform(0.014, 0.023) * (female ? 1.15 : 1)
        lowerLip = uniform(0.018, 0.029) * (female ? 1.15 : 1)
        let lips: [SIMD3<Float>] = female ? [[0.80, 0.25, 0.30], [0.70, 0.35, 0.38], [0.60, 0.15, 0.25], [0.78, 0.45, 0.42]]
                                          : [[0.70, 0.42, 0.40], [0.62, 0.38, 0.36], [0.72, 0.48, 0.44]]
        lip = (0.6 * pick(lips) + 0.4 * skin * SIMD3(1.0, 0.8, 0.8)).clamped(lowerBound: .zero, upperBound: .one)

        if chance(0.3) {
            let frames: [SIMD3<Float>] = [[0.05, 0.05, 0.05], [0.45, 0.25, 0.1], [0.7, 0.1, 0.1], [0.15, 0.2, 0.5], [0.75, 0.75, 0.78]]
            glasses = Glasses(frame: pick(frames), round: chance(0.5), frameHalfWidth: uniform(0.004, 0.008),
                              lensTint: SIMD3(uniform(0.6, 1), uniform(0.6, 1), uniform(0.7, 1)))
        } else {
            glasses = nil
        }
        if chance(0.25) {
            freckles = (0..<(10 + g.below(14))).map { _ in
                let side: Float = chance(0.5) ? -1 : 1
                return SIMD2(side * uniform(0.0, 0.16), uniform(-0.06, 0.02))
            }
        } else {
            freckles = []
        }
        mole = chance(0.3) ? SIMD2(uniform(-0.2, 0.2), uniform(-0.05, 0.12)) : nil
    }
}
