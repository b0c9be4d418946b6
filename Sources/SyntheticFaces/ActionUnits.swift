/// The 12 facial action units BP4D and BP4D+ label, in their label-file order, and what each does to the
/// synthetic face when active (`FaceRenderer` draws these; intensities run 0…1, 1 exaggerated so that
/// every unit is visible at 48–64 px).
public enum FacialActionUnit: Int, CaseIterable, Sendable, Codable {
    /// Inner brow raiser: the inner brow ends go up (the brows slant down outwards, as in sadness);
    /// short horizontal wrinkles appear in the middle of the forehead.
    case au1 = 1
    /// Outer brow raiser: the outer brow ends and arch go up; wrinkles over the outer brows.
    case au2 = 2
    /// Brow lowerer: the brows go down and together; vertical furrows and a shadow between them.
    case au4 = 4
    /// Cheek raiser: the cheek apples (blush and highlight) move up and swell, the lower eyelid rises,
    /// crow's-feet lines fan out from the outer eye corners, a fold appears under the eye.
    case au6 = 6
    /// Lid tightener: the eye opening narrows, mostly from below; the lower lid line darkens.
    case au7 = 7
    /// Upper lip raiser: the upper lip goes up and parts from the lower one, showing the upper teeth;
    /// the nostrils rise and the nasolabial folds deepen.
    case au10 = 10
    /// Lip corner puller (smile): the mouth corners go up and out; cheeks rise a little, folds deepen.
    case au12 = 12
    /// Dimpler: dimples at the mouth corners, which move slightly inwards.
    case au14 = 14
    /// Lip corner depressor: the mouth corners go down; short lines run down from them.
    case au15 = 15
    /// Chin raiser: the lower lip is pushed up (the mouth line bows upwards), the chin bulges (a
    /// highlight) under a deeper crease below the lower lip.
    case au17 = 17
    /// Lip tightener: both lips get much thinner and the mouth a little narrower.
    case au23 = 23
    /// Lip pressor: the lips press together: thinner, the mouth narrower with a flat, dark line, the skin
    /// bulging above and below.
    case au24 = 24

    /// BP4D's order: the order of `AUs` entries in a label file and of intensity arrays here.
    public static let bp4d: [FacialActionUnit] = [.au1, .au2, .au4, .au6, .au7, .au10, .au12, .au14, .au15, .au17, .au23, .au24]

    /// The AU numbers in BP4D order: [1, 2, 4, 6, 7, 10, 12, 14, 15, 17, 23, 24].
    public static let bp4dNumbers: [Int] = bp4d.map(\.rawValue)

    /// Position in `bp4d` (and in intensity arrays).
    public var index: Int { FacialActionUnit.bp4d.firstIndex(of: self)! }

    /// The FACS name.
    public var name: String {
        switch self {
        case .au1: return "Inner brow raiser"
        case .au2: return "Outer brow raiser"
        case .au4: return "Brow lowerer"
        case .au6: return "Cheek raiser"
        case .au7: return "Lid tightener"
        case .au10: return "Upper lip raiser"
        case .au12: return "Lip corner puller"
        case .au14: return "Dimpler"
        case .au15: return "Lip corner depressor"
        case .au17: return "Chin raiser"
        case .au23: return "Lip tightener"
        case .au24: return "Lip pressor"
        }
    }

    /// A 12-entry intensity array (BP4D order) with the given units at `intensity`, the rest 0.
    public static func intensities(_ units: [FacialActionUnit], intensity: Float = 1) -> [Float] {
        var values = [Float](repeating: 0, count: bp4d.count)
        for unit in units { values[unit.index] = intensity }
        return values
    }
}

/// A side of the face as seen in the image (`left` is the image's left, the subject's right).
public enum FaceSide: String, Sendable, Codable {
    case left, right
}

/// Face movements outside BP4D's 12 units that some expressions need.
public struct ExpressionExtras: Equatable, Sendable {
    /// Jaw drop (AU26/27-like), 0…1: the lips part, the teeth and the dark mouth show, the chin goes down.
    public var mouthOpen: Float
    /// Upper lid raiser (AU5-like), 0…1: the eyes open wider, showing white above the iris.
    public var eyeWiden: Float
    /// Nose wrinkler (AU9-like), 0…1: wrinkles across the nose bridge, nostrils up, inner brows a little down.
    public var noseWrinkle: Float
    /// When set, AU12 and AU14 act on this side of the mouth only (the one-sided smirk of contempt).
    public var lipCornerSide: FaceSide?

    public init(mouthOpen: Float = 0, eyeWiden: Float = 0, noseWrinkle: Float = 0, lipCornerSide: FaceSide? = nil) {
        self.mouthOpen = mouthOpen
        self.eyeWiden = eyeWiden
        self.noseWrinkle = noseWrinkle
        self.lipCornerSide = lipCornerSide
    }

    public static let none = ExpressionExtras()
}

/// The 8 AffectNet expression classes, in AffectNet's class-index order, as combinations of the units above.
public enum FacialExpression: Int, CaseIterable, Sendable, Codable {
    case neutral = 0, happy, sad, surprise, fear, disgust, anger, contempt

    public var name: String {
        ["Neutral", "Happy", "Sad", "Surprise", "Fear", "Disgust", "Anger", "Contempt"][rawValue]
    }

    /// The ImageFolder class folder: "0_Neutral" … "7_Contempt", so that sorting the folder names (what
    /// ImageFolder does) gives back the class index. AffectNet's plain names sort in another order.
    public var folderName: String { "\(rawValue)_\(name)" }

    /// The units that define the expression: Happy 6+12, Sad 1+4+15+17, Surprise 1+2 (+ open mouth,
    /// wide eyes), Fear 1+2+4+7 (+ wide eyes, slightly open mouth), Disgust 10+15+17 (+ nose wrinkle),
    /// Anger 4+7+23+24, Contempt 14 on one side (12 is sometimes added, on the same side).
    public var actionUnits: [FacialActionUnit] {
        switch self {
        case .neutral: return []
        case .happy: return [.au6, .au12]
        case .sad: return [.au1, .au4, .au15, .au17]
        case .surprise: return [.au1, .au2]
        case .fear: return [.au1, .au2, .au4, .au7]
        case .disgust: return [.au10, .au15, .au17]
        case .anger: return [.au4, .au7, .au23, .au24]
        case .contempt: return [.au14]
        }
    }

    /// The non-AU movements of the expression at `strength` (0…1).
    public func extras(strength: Float, side: FaceSide = .right) -> ExpressionExtras {
        switch self {
        case .surprise: return ExpressionExtras(mouthOpen: strength, eyeWiden: strength)
        case .fear: return ExpressionExtras(mouthOpen: 0.3 * strength, eyeWiden: strength)
        case .disgust: return ExpressionExtras(noseWrinkle: strength)
        case .contempt: return ExpressionExtras(lipCornerSide: side)
        default: return .none
        }
    }

    /// The expression's prototype: its units at `strength` and its extras, ready for `FaceRenderer`.
    public func face(strength: Float = 1) -> (actionUnits: [Float], extras: ExpressionExtras) {
        (FacialActionUnit.intensities(actionUnits, intensity: strength), extras(strength: strength))
    }
}
