import Foundation
import Images
import Tensors

/// What a synthetic face dataset holds. Defaults make a small set that trains in minutes on a CPU.
public struct SyntheticFaceConfig: Codable, Equatable, Sendable {
    /// Number of subjects (identities), train and test together; at least 2.
    public var subjects: Int
    /// Frames rendered per subject, 1…9999 (file names have 4 digits).
    public var framesPerSubject: Int
    /// Image side in pixels (square images), at least 16.
    public var size: Int
    /// b ≥ 0: how strongly a training subject's identity predicts its action units (the identity shortcut).
    /// 0 removes it; see `SyntheticFaceDataset` for the exact model.
    public var identityBias: Double
    /// Share of subjects held out for test (rounded; at least 1 subject, and at least 1 left for train).
    public var testFraction: Double
    /// Seeds everything: identities, the split, biases, labels, jitter.
    public var seed: UInt64
    /// 0…1: how far pose, framing and lighting vary between frames (`FaceJitter.random`'s amount). 1 is
    /// loosely cropped faces; small values are aligned crops, as face-alignment preprocessing gives.
    public var jitter: Double

    public init(subjects: Int = 12, framesPerSubject: Int = 40, size: Int = 64, identityBias: Double = 0.8,
                testFraction: Double = 0.25, seed: UInt64 = 0, jitter: Double = 1) {
        self.subjects = subjects
        self.framesPerSubject = framesPerSubject
        self.size = size
        self.identityBias = identityBias
        self.testFraction = testFraction
        self.seed = seed
        self.jitter = jitter
    }

    enum CodingKeys: String, CodingKey {
        case subjects, size, seed, jitter
        case framesPerSubject = "frames_per_subject"
        case identityBias = "identity_bias"
        case testFraction = "test_fraction"
    }
}

public enum SyntheticFaceError: Error, Equatable, CustomStringConvertible {
    case invalidConfiguration(field: String, value: String, expected: String)
    case invalidFileExtension(String)
    case destinationExists(String)

    public var description: String {
        switch self {
        case let .invalidConfiguration(field, value, expected):
            return "synthetic faces: \(field) is \(value), expected \(expected)"
        case let .invalidFileExtension(ext):
            return "synthetic faces: file extension '\(ext)' must be letters and digits only, like 'jpg'"
        case let .destinationExists(path):
            return "synthetic faces: \(path) already exists (pass replacing: true to overwrite it)"
        }
    }
}

/// One synthetic subject: a BP4D-style id, its appearance, its split and its label biases.
public struct SyntheticSubject: Equatable, Sendable {
    /// "F001", "M002", …: sex letter and a number counted per sex in subject order; the first 4
    /// characters of an image path, as BP4D subject ids are.
    public let id: String
    /// Position in `SyntheticFaceDataset.subjects`: the identity class for an ID head.
    public let index: Int
    public let split: SyntheticFaceDataset.Split
    public let identity: FaceIdentity
    /// o_{s,k}: added to the logit of each AU's background rate (BP4D order). Training: 4·b·v_{s,k} plus a
    /// shift shared by all training subjects; test: 0. See `SyntheticFaceDataset`.
    public let auLogitOffsets: [Double]
    /// e_{s,c}: added to the log prior of each expression class. Training: the mean of 4·b·v_{s,k} over the
    /// class's defining units (0 for Neutral) plus a shift shared by all training subjects; test: 0.
    public let expressionLogitOffsets: [Double]
}

/// The labels and render settings of one frame, drawn without rendering it.
public struct SyntheticFaceLabels: Equatable, Sendable {
    public let expression: FacialExpression
    /// Per AU in BP4D order: present or not.
    public let occurrence: [Bool]
    /// Per AU in BP4D order: 0 when absent, 0.4…1 when present.
    public let intensities: [Float]
    public let extras: ExpressionExtras
    public let jitter: FaceJitter
}

/// One rendered frame with its labels.
public struct SyntheticFaceSample: Sendable {
    public let subject: String
    public let subjectIndex: Int
    /// 1-based frame number within the subject (the file name's 4 digits).
    public let frame: Int
    public let split: SyntheticFaceDataset.Split
    public let auOccurrence: [Bool]
    public let auIntensities: [Float]
    /// AffectNet-8 class index 0…7 (`FacialExpression`).
    public let expression: Int
    public let extras: ExpressionExtras
    public let jitter: FaceJitter
    public let image: RGBImage

    /// The path FMAE label files give, relative to the images root: "F001_T1/0001.jpg".
    public func imagePath(fileExtension: String) -> String {
        "\(subject)_T1/\(SyntheticFaceDataset.fourDigits(frame)).\(fileExtension)"
    }
}

/// Built-in synthetic faces, so that AU training, identity-adversarial training and identity probing run
/// with no dataset. Identity shows in appearance (`FaceIdentity`), action units in geometry
/// (`FacialActionUnit`); in training subjects the AU rates depend on identity, in test subjects they do not.
///
/// Label model, per frame f of subject s (everything drawn from a generator seeded by (seed, s, f), so a
/// frame does not depend on the others or on the order frames are made in):
///
/// 1. Expression class c ~ Categorical(softmax(log π_c + e_{s,c})) with the population prior
///    π = (Neutral 0.30, Happy 0.13, Sad 0.09, Surprise 0.09, Fear 0.09, Disgust 0.09, Anger 0.11,
///    Contempt 0.10).
/// 2. Strength σ ~ U(0.55, 1). The class's defining units (`FacialExpression.actionUnits`; Contempt also
///    gets AU12 with probability ½) are present, each with intensity max(0.4, σ·U(0.75, 1)).
/// 3. Every other unit k is present with probability sigmoid(logit(r_k) + o_{s,k}), background rates
///    r = (AU1 .08, AU2 .07, AU4 .08, AU6 .10, AU7 .14, AU10 .10, AU12 .10, AU14 .12, AU15 .07, AU17 .10,
///    AU23 .08, AU24 .07), intensity U(0.4, 1) when present, 0 when absent.
/// 4. Extras from the class (`FacialExpression.extras`): Surprise and Fear open the eyes and mouth, Disgust
///    wrinkles the nose, Contempt puts AU12/AU14 on one random side; a third of Happy frames show teeth.
/// 5. Pose and lighting: `FaceJitter.random`, scaled by `config.jitter`.
///
/// The identity shortcut. Test subjects have o = 0 and e = 0: their AU and class rates are the
/// population's, whoever they are. Training subjects with bias b get v_{s,k} ∈ [−1, 1]: for each AU the n
/// training subjects take the evenly spaced values −1, −1 + 2/(n−1), …, 1 in a seeded random order (one
/// subject: a random ±1), so every AU has a subject that almost always shows it and one that almost never
/// does. Then o_{s,k} = 4·b·v_{s,k} + δ_k and e_{s,c} = 4·b·mean(v_{s,k} over c's defining units) + δ_c
/// (the mean is 0 for Neutral), so a subject prone to AU12 also tends to be Happy. The shifts δ, shared by
/// all training subjects, are solved for (proportional fitting for classes, bisection for AUs) so that
/// averaged over the training subjects the class rates equal π and each AU's rate equals a test subject's:
/// the bias changes who shows an AU, not how often AUs occur overall. At b = 0.9 with 9 training subjects
/// the per-subject AU12 rate runs from about 0.01–0.06 to 0.65–0.77 in training (seeds 0 and 3) while
/// every test subject has about 0.27, so a model can score well in training by recognising the person
/// instead of reading the face. b = 0 gives training subjects exactly the test subjects' distribution (all offsets 0).
public struct SyntheticFaceDataset: Sendable {
    public enum Split: String, Codable, CaseIterable, Sendable {
        case train, test
    }

    /// Population expression prior π (AffectNet order).
    public static let expressionPrior: [Double] = [0.30, 0.13, 0.09, 0.09, 0.09, 0.09, 0.11, 0.10]
    /// The 4 in 4·b: training subjects' logit offsets span ±4·b before calibration.
    public static let biasScale = 4.0
    /// Population background rate r_k of each AU outside an expression (BP4D order).
    public static let backgroundRates: [Double] = [0.08, 0.07, 0.08, 0.10, 0.14, 0.10, 0.10, 0.12, 0.07, 0.10, 0.08, 0.07]

    public let config: SyntheticFaceConfig
    /// All subjects, train and test, in index order (the identity classes).
    public let subjects: [SyntheticSubject]

    public init(config: SyntheticFaceConfig = SyntheticFaceConfig()) throws {
        try Self.validate(config)
        self.config = config
        let n = config.subjects
        let testCount = min(max(Int((Double(n) * config.testFraction).rounded()), 1), n - 1)
        let g = Generator(seed: Self.mix(config.seed, 0x5B117))
        var order = Array(0..<n)
        Self.shuffle(&order, g)
        let testSet = Set(order.prefix(testCount))
        let trainIndices = (0..<n).filter { !testSet.contains($0) }

        // v_{s,k}: evenly spaced in [−1, 1] over the training subjects, a fresh random order per AU.
        let units = FacialActionUnit.bp4d.count
        var spread = [[Double]](repeating: [Double](repeating: 0, count: units), count: n)
        for k in 0..<units {
            var values: [Double]
            if trainIndices.count == 1 {
                values = [g.uniform() < 0.5 ? -1 : 1]
            } else {
                values = (0..<trainIndices.count).map { -1 + 2 * Double($0) / Double(trainIndices.count - 1) }
                Self.shuffle(&values, g)
            }
            for (j, s) in trainIndices.enumerated() { spread[s][k] = values[j] }
        }

        var auOffsets = spread.map { $0.map { Self.biasScale * config.identityBias * $0 } }
        var classOffsets = auOffsets.map { offsets in
            FacialExpression.allCases.map { c -> Double in
                let defining = c.actionUnits
                return defining.isEmpty ? 0 : defining.map { offsets[$0.index] }.reduce(0, +) / Double(defining.count)
            }
        }
        if config.identityBias > 0 {
            Self.calibrate(auOffsets: &auOffsets, classOffsets: &classOffsets, trainIndices: trainIndices)
        }

        var counters: [FaceIdentity.Sex: Int] = [:]
        subjects = (0..<n).map { index in
            let identity = FaceIdentity(seed: Self.mix(config.seed, 0x1D, UInt64(index)))
            counters[identity.sex, default: 0] += 1
            let id = identity.sex.rawValue + Self.threeDigits(counters[identity.sex]!)
            let split: Split = testSet.contains(index) ? .test : .train
            return SyntheticSubject(id: id, index: index, split: split, identity: identity,
                                    auLogitOffsets: auOffsets[index], expressionLogitOffsets: classOffsets[index])
        }
    }

    /// Expression probabilities of a subject with class log-prior offsets `offsets`.
    static func expressionProbabilities(_ offsets: [Double]) -> [Double] {
        let weights = (0..<8).map { expressionPrior[$0] * Foundation.exp(offsets[$0]) }
        let total = weights.reduce(0, +)
        return weights.map { $0 / total }
    }

    /// Probability that unit k is one of the defining units of the frame's class (AU12 counts half for Contempt).
    static func definingProbability(_ classProbabilities: [Double], unit k: Int) -> Double {
        var q = 0.0
        for c in FacialExpression.allCases where c.actionUnits.contains(where: { $0.index == k }) { q += classProbabilities[c.rawValue] }
        if k == FacialActionUnit.au12.index { q += 0.5 * classProbabilities[FacialExpression.contempt.rawValue] }
        return q
    }

    /// Shifts the training subjects' offsets by one shared amount per class and per AU so that, averaged
    /// over training subjects, class rates equal the prior and AU rates equal the test subjects' rates:
    /// the bias decides who shows what, not how often things happen overall.
    private static func calibrate(auOffsets: inout [[Double]], classOffsets: inout [[Double]], trainIndices: [Int]) {
        let count = Double(trainIndices.count)
        // Classes: iterative proportional fitting of one shift per class.
        var shift = [Double](repeating: 0, count: 8)
        for _ in 0..<200 {
            var mean = [Double](repeating: 0, count: 8)
            for s in trainIndices {
                let p = expressionProbabilities(zip(classOffsets[s], shift).map { $0 + $1 })
                for c in 0..<8 { mean[c] += p[c] / count }
            }
            for c in 0..<8 { shift[c] += Foundation.log(expressionPrior[c] / mean[c]) }
        }
        for s in trainIndices { classOffsets[s] = zip(classOffsets[s], shift).map { $0 + $1 } }
        // AUs: bisection on one shift per unit, matching the expected rate of the unit in a test subject.
        let population = expressionPrior
        let classes = trainIndices.map { expressionProbabilities(classOffsets[$0]) }
        for k in 0..<12 {
            let r = backgroundRates[k], base = Foundation.log(r / (1 - r))
            let q0 = definingProbability(population, unit: k)
            let target = q0 + (1 - q0) * r
            func rate(_ delta: Double) -> Double {
                zip(trainIndices, classes).map { s, p in
                    let q = definingProbability(p, unit: k)
                    return q + (1 - q) / (1 + Foundation.exp(-(base + auOffsets[s][k] + delta)))
                }.reduce(0, +) / count
            }
            var low = -30.0, high = 30.0
            for _ in 0..<100 {
                let middle = 0.5 * (low + high)
                if rate(middle) < target { low = middle } else { high = middle }
            }
            for s in trainIndices { auOffsets[s][k] += 0.5 * (low + high) }
        }
    }

    private static func validate(_ c: SyntheticFaceConfig) throws {
        func fail(_ field: String, _ value: Any, _ expected: String) -> SyntheticFaceError {
            .invalidConfiguration(field: field, value: "\(value)", expected: expected)
        }
        guard c.subjects >= 2 && c.subjects <= 999 else { throw fail("subjects", c.subjects, "2…999 (one train and one test subject at least)") }
        guard c.framesPerSubject >= 1 && c.framesPerSubject <= 9999 else { throw fail("framesPerSubject", c.framesPerSubject, "1…9999") }
        guard c.size >= 16 && c.size <= 4096 else { throw fail("size", c.size, "16…4096 pixels") }
        guard c.identityBias.isFinite && c.identityBias >= 0 else { throw fail("identityBias", c.identityBias, "a number ≥ 0") }
        guard c.testFraction.isFinite && c.testFraction >= 0 && c.testFraction <= 1 else { throw fail("testFraction", c.testFraction, "0…1") }
        guard c.jitter.isFinite && c.jitter >= 0 && c.jitter <= 1 else { throw fail("jitter", c.jitter, "0…1") }
    }

    public func subjects(in split: Split) -> [SyntheticSubject] { subjects.filter { $0.split == split } }

    /// The index of the subject with BP4D-style id `id` ("F001"), if there is one.
    public func subjectIndex(of id: String) -> Int? { subjects.firstIndex { $0.id == id } }

    /// The labels of frame `frame` (1…framesPerSubject) of subject `subject` (an index), without rendering.
    public func labels(subject: Int, frame: Int) -> SyntheticFaceLabels {
        precondition(subjects.indices.contains(subject) && (1...config.framesPerSubject).contains(frame),
                     "no frame \(frame) of subject \(subject) in \(subjects.count) subjects × \(config.framesPerSubject) frames")
        let s = subjects[subject]
        let g = Generator(seed: Self.mix(config.seed, 0xF4A3E, UInt64(subject), UInt64(frame)))

        let probabilities = Self.expressionProbabilities(s.expressionLogitOffsets)
        var pick = g.uniform()
        var classIndex = 7
        for (c, w) in probabilities.enumerated() {
            if pick < w { classIndex = c; break }
            pick -= w
        }
        let expression = FacialExpression(rawValue: classIndex)!
        let strength = Float(0.55 + 0.45 * g.uniform())
        let side: FaceSide = g.uniform() < 0.5 ? .left : .right
        let contemptSmile = g.uniform() < 0.5
        let teeth = g.uniform() < 1.0 / 3
        let openness = Float(g.uniform())

        var defining = Set(expression.actionUnits.map(\.index))
        if expression == .contempt && contemptSmile { defining.insert(FacialActionUnit.au12.index) }
        var occurrence = [Bool](repeating: false, count: 12)
        var intensities = [Float](repeating: 0, count: 12)
        for k in 0..<12 {
            let u = g.uniform(), v = Float(g.uniform())
            if defining.contains(k) {
                occurrence[k] = true
                intensities[k] = max(0.4, strength * (0.75 + 0.25 * v))
            } else {
                let r = Self.backgroundRates[k]
                let p = 1 / (1 + Foundation.exp(-(Foundation.log(r / (1 - r)) + s.auLogitOffsets[k])))
                if u < p {
                    occurrence[k] = true
                    intensities[k] = 0.4 + 0.6 * v
                }
            }
        }
        var extras = expression.extras(strength: strength, side: side)
        extras.mouthOpen *= 0.7 + 0.3 * openness
        if expression == .happy && teeth { extras.mouthOpen = 0.15 + 0.35 * openness }
        let jitter = FaceJitter.random(using: g, amount: Float(config.jitter))
        return SyntheticFaceLabels(expression: expression, occurrence: occurrence, intensities: intensities,
                                   extras: extras, jitter: jitter)
    }

    /// Frame `frame` (1…framesPerSubject) of subject `subject` (an index), rendered.
    public func sample(subject: Int, frame: Int) -> SyntheticFaceSample {
        let l = labels(subject: subject, frame: frame)
        let s = subjects[subject]
        let image = FaceRenderer.render(identity: s.identity, aus: l.intensities, extras: l.extras, size: config.size, jitter: l.jitter)
        return SyntheticFaceSample(subject: s.id, subjectIndex: subject, frame: frame, split: s.split,
                                   auOccurrence: l.occurrence, auIntensities: l.intensities, expression: l.expression.rawValue,
                                   extras: l.extras, jitter: l.jitter, image: image)
    }

    /// (subject index, frame) of every frame in `split`, subjects in id order, frames ascending.
    public func frames(in split: Split) -> [(subject: Int, frame: Int)] {
        subjects(in: split).sorted { $0.id < $1.id }.flatMap { s in (1...config.framesPerSubject).map { (s.index, $0) } }
    }

    /// Every frame of `split`, rendered on all cores, in `frames(in:)` order.
    public func samples(in split: Split) -> [SyntheticFaceSample] {
        render(frames(in: split))
    }

    /// Renders the given frames on all cores; the result is in the order given.
    public func render(_ frames: [(subject: Int, frame: Int)]) -> [SyntheticFaceSample] {
        var results = [SyntheticFaceSample?](repeating: nil, count: frames.count)
        results.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            DispatchQueue.concurrentPerform(iterations: frames.count) { i in
                (base + i).pointee = sample(subject: frames[i].subject, frame: frames[i].frame)
            }
        }
        return results.map { $0! }
    }

    // MARK: Seeds and formatting

    /// A 64-bit hash of the values (splitmix64 finaliser chained): independent seeds from structured keys.
    static func mix(_ values: UInt64...) -> UInt64 {
        var h: UInt64 = 0x243F_6A88_85A3_08D3
        for v in values {
            h = (h ^ v) &+ 0x9E37_79B9_7F4A_7C15
            h = (h ^ (h >> 30)) &* 0xBF58_476D_1CE4_E5B9
            h = (h ^ (h >> 27)) &* 0x94D0_49BB_1331_11EB
            h ^= h >> 31
        }
        return h
    }

    private static func shuffle<T>(_ values: inout [T], _ g: Generator) {
        guard values.count > 1 else { return }
        for i in stride(from: values.count - 1, to: 0, by: -1) { values.swapAt(i, g.below(i + 1)) }
    }

    static func threeDigits(_ n: Int) -> String { String(repeating: "0", count: max(0, 3 - String(n).count)) + String(n) }
    static func fourDigits(_ n: Int) -> String { String(repeating: "0", count: max(0, 4 - String(n).count)) + String(n) }
}
