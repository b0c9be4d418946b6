import Tensors

/// Small per-frame nuisance changes — pose, framing, gaze, lighting, sensor noise — so that no two frames
/// of a subject are pixel-identical and a model cannot key on exact pixel positions. `none` renders the
/// canonical upright, centred, evenly lit face.
public struct FaceJitter: Equatable, Sendable {
    /// In-plane head roll in radians (positive turns clockwise on screen).
    public var rotation: Float
    /// Zoom about the image centre.
    public var scale: Float
    /// Translation in fractions of the image side.
    public var shift: SIMD2<Float>
    /// −1…1: the eyes, nose and mouth slide sideways inside the head outline, a hint of a turned head.
    public var turn: Float
    /// −1…1 each: where the irises look, as fractions of their possible travel.
    public var gaze: SIMD2<Float>
    /// Multiplies all light.
    public var brightness: Float
    /// Scales pixel values about mid-grey.
    public var contrast: Float
    /// Left-to-right light slope: the right edge gets (1 + lightGradient / 2) of the light, the left (1 − …/2).
    public var lightGradient: Float
    /// Per-channel light colour.
    public var tint: SIMD3<Float>
    /// Amplitude of per-pixel noise (a triangular distribution on −noise…noise, in 0…1 pixel units).
    public var noise: Float
    /// Seeds the noise, so that a jittered render is still a pure function of its inputs.
    public var noiseSeed: UInt64

    public init(rotation: Float = 0, scale: Float = 1, shift: SIMD2<Float> = .zero, turn: Float = 0,
                gaze: SIMD2<Float> = .zero, brightness: Float = 1, contrast: Float = 1, lightGradient: Float = 0,
                tint: SIMD3<Float> = .one, noise: Float = 0, noiseSeed: UInt64 = 0) {
        self.rotation = rotation
        self.scale = scale
        self.shift = shift
        self.turn = turn
        self.gaze = gaze
        self.brightness = brightness
        self.contrast = contrast
        self.lightGradient = lightGradient
        self.tint = tint
        self.noise = noise
        self.noiseSeed = noiseSeed
    }

    public static let none = FaceJitter()

    /// Jitter drawn from `generator`: roll ±0.1 rad, zoom 0.93–1.05, shift ±0.03, turn ±0.6, gaze ±0.8,
    /// brightness 0.85–1.12, contrast 0.85–1.1, light slope ±0.25, tint 0.93–1.07 per channel, noise up to
    /// 0.025; `amount` scales every deviation from `none` (0 gives `none` apart from the noise seed).
    public static func random(using generator: Generator, amount: Float = 1) -> FaceJitter {
        func symmetric(_ range: Float) -> Float { amount * range * Float(2 * generator.uniform() - 1) }
        func between(_ low: Float, _ high: Float) -> Float {
            let v = low + (high - low) * Float(generator.uniform())
            return 1 + amount * (v - 1)
        }
        return FaceJitter(
            rotation: symmetric(0.1),
            scale: between(0.93, 1.05),
            shift: SIMD2(symmetric(0.03), symmetric(0.03)),
            turn: symmetric(0.6),
            gaze: SIMD2(symmetric(0.8), symmetric(0.8)),
            brightness: between(0.85, 1.12),
            contrast: between(0.85, 1.1),
            lightGradient: symmetric(0.25),
            tint: SIMD3(between(0.93, 1.07), between(0.93, 1.07), between(0.93, 1.07)),
            noise: amount * 0.025 * Float(generator.uniform()),
            noiseSeed: generator.next())
    }
}
