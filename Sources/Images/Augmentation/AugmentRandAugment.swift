import Foundation
import Tensors

/// One RandAugment operation, named as timm names it (`timm.data.auto_augment`), with timm's mapping from a
/// magnitude in 0…10 to the operation's parameter.
public enum RandAugmentOperation: String, CaseIterable, Sendable {
    case autoContrast = "AutoContrast"
    case equalize = "Equalize"
    case invert = "Invert"
    case rotate = "Rotate"
    case posterize = "Posterize"
    case posterizeIncreasing = "PosterizeIncreasing"
    case solarize = "Solarize"
    case solarizeIncreasing = "SolarizeIncreasing"
    case solarizeAdd = "SolarizeAdd"
    case color = "Color"
    case colorIncreasing = "ColorIncreasing"
    case contrast = "Contrast"
    case contrastIncreasing = "ContrastIncreasing"
    case brightness = "Brightness"
    case brightnessIncreasing = "BrightnessIncreasing"
    case sharpness = "Sharpness"
    case sharpnessIncreasing = "SharpnessIncreasing"
    case shearX = "ShearX"
    case shearY = "ShearY"
    case translateXRelative = "TranslateXRel"
    case translateYRelative = "TranslateYRel"

    /// timm's `_RAND_TRANSFORMS` ("rand-…" without "inc").
    public static let standard: [RandAugmentOperation] = [
        .autoContrast, .equalize, .invert, .rotate, .posterize, .solarize, .solarizeAdd, .color, .contrast,
        .brightness, .sharpness, .shearX, .shearY, .translateXRelative, .translateYRelative,
    ]

    /// timm's `_RAND_INCREASING_TRANSFORMS` ("inc1"): every operation grows more severe with the magnitude.
    public static let increasing: [RandAugmentOperation] = [
        .autoContrast, .equalize, .invert, .rotate, .posterizeIncreasing, .solarizeIncreasing, .solarizeAdd,
        .colorIncreasing, .contrastIncreasing, .brightnessIncreasing, .sharpnessIncreasing, .shearX, .shearY,
        .translateXRelative, .translateYRelative,
    ]

    /// Operations whose parameter timm negates with probability ½.
    public var isSigned: Bool {
        switch self {
        case .rotate, .colorIncreasing, .contrastIncreasing, .brightnessIncreasing, .sharpnessIncreasing,
             .shearX, .shearY, .translateXRelative, .translateYRelative:
            return true
        default:
            return false
        }
    }

    /// The parameter timm's `*_level_to_arg` gives for `magnitude` (0…10), negated where `negated` and the
    /// operation is signed; nil for the parameterless operations. Degrees for Rotate (±30 at 10), kept bits
    /// for Posterize, a threshold for Solarize, an addition for SolarizeAdd, a blend factor for the
    /// enhancements, a shear factor (±0.3), or a fraction of the size for translations (±0.45).
    public func parameter(magnitude: Double, negated: Bool = false) -> Double? {
        let level = magnitude / 10
        let sign: Double = isSigned && negated ? -1 : 1
        switch self {
        case .autoContrast, .equalize, .invert: return nil
        case .rotate: return sign * (level * 30)
        case .posterize: return Double(Int(level * 4))
        case .posterizeIncreasing: return Double(4 - Int(level * 4))
        case .solarize: return Double(Int(level * 256))
        case .solarizeIncreasing: return Double(256 - Int(level * 256))
        case .solarizeAdd: return Double(Int(level * 110))
        case .color, .contrast, .brightness, .sharpness: return level * 1.8 + 0.1
        case .colorIncreasing, .contrastIncreasing, .brightnessIncreasing, .sharpnessIncreasing:
            return max(0.1, 1.0 + sign * (level * 0.9))
        case .shearX, .shearY: return sign * (level * 0.3)
        case .translateXRelative, .translateYRelative: return sign * (level * 0.45)
        }
    }

    /// The operation at `magnitude` (sign chosen by `negated`), geometric ones resampled with `resampling`
    /// and uncovered pixels set to `fill`.
    public func applied(
        to image: RGBImage, magnitude: Double, negated: Bool = false,
        resampling: AffineResampling = .bicubic, fill: (r: UInt8, g: UInt8, b: UInt8) = RandAugment.imageNetFill
    ) -> RGBImage {
        let value = parameter(magnitude: magnitude, negated: negated) ?? 0
        switch self {
        case .autoContrast: return image.autocontrasted()
        case .equalize: return image.equalized()
        case .invert: return image.inverted()
        case .rotate: return image.rotated(degrees: value, resampling: resampling, fill: fill)
        case .posterize, .posterizeIncreasing: return image.posterized(bits: Int(value))
        case .solarize, .solarizeIncreasing: return image.solarized(threshold: Int(value))
        case .solarizeAdd: return image.solarizedAdding(Int(value), threshold: 128)
        case .color, .colorIncreasing: return image.colorAdjusted(value)
        case .contrast, .contrastIncreasing: return image.contrastAdjusted(value)
        case .brightness, .brightnessIncreasing: return image.brightnessAdjusted(value)
        case .sharpness, .sharpnessIncreasing: return image.sharpnessAdjusted(value)
        case .shearX: return image.shearedX(value, resampling: resampling, fill: fill)
        case .shearY: return image.shearedY(value, resampling: resampling, fill: fill)
        case .translateXRelative: return image.translatedX(fraction: value, resampling: resampling, fill: fill)
        case .translateYRelative: return image.translatedY(fraction: value, resampling: resampling, fill: fill)
        }
    }
}

/// Why an augmentation could not be configured.
public enum AugmentationError: Error, Equatable, CustomStringConvertible {
    case badRandAugmentConfig(config: String, reason: String)
    case badParameter(name: String, reason: String)

    public var description: String {
        switch self {
        case let .badRandAugmentConfig(config, reason):
            return "RandAugment config '\(config)': \(reason) (expected e.g. 'rand-m9-mstd0.5-inc1')"
        case let .badParameter(name, reason):
            return "augmentation parameter \(name): \(reason)"
        }
    }
}

/// timm's RandAugment (`rand_augment_transform`): `layers` operations drawn with replacement, each applied
/// with `probability` at a magnitude drawn from normal(`magnitude`, `magnitudeStd`) clipped to
/// [0, `magnitudeMax`] (uniform in [0, magnitude] when the std is infinite), signed parameters negated with
/// probability ½. The default is FMAE's 'rand-m9-mstd0.5-inc1' with timm's ImageNet-mean fill and the
/// bicubic resampling that timm's create_transform(interpolation='bicubic') hands RandAugment.
public struct RandAugment: Sendable {
    /// timm's `img_mean` fill: round(255 · ImageNet mean) = (124, 116, 104).
    public static let imageNetFill: (r: UInt8, g: UInt8, b: UInt8) = (124, 116, 104)

    public var operations: [RandAugmentOperation]
    public var layers: Int
    public var magnitude: Double
    public var magnitudeStd: Double
    public var magnitudeMax: Double
    public var probability: Double
    public var resampling: AffineResampling
    public var fill: (r: UInt8, g: UInt8, b: UInt8)

    public init(
        operations: [RandAugmentOperation] = RandAugmentOperation.increasing, layers: Int = 2,
        magnitude: Double = 9, magnitudeStd: Double = 0.5, magnitudeMax: Double = 10, probability: Double = 0.5,
        resampling: AffineResampling = .bicubic, fill: (r: UInt8, g: UInt8, b: UInt8) = RandAugment.imageNetFill
    ) {
        precondition(!operations.isEmpty && layers >= 0, "RandAugment needs operations and a layer count ≥ 0")
        self.operations = operations
        self.layers = layers
        self.magnitude = magnitude
        self.magnitudeStd = magnitudeStd
        self.magnitudeMax = magnitudeMax
        self.probability = probability
        self.resampling = resampling
        self.fill = fill
    }

    /// Parses a timm config string: 'rand' then any of m (magnitude), n (layers), mstd (over 100 means
    /// uniform), mmax, inc; e.g. 'rand-m9-mstd0.5-inc1'. As in timm, any 'inc' value selects the increasing
    /// set (Python's bool('0') is True); weighted choice ('w') is not supported.
    public init(
        config: String, resampling: AffineResampling = .bicubic,
        fill: (r: UInt8, g: UInt8, b: UInt8) = RandAugment.imageNetFill
    ) throws {
        let sections = config.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard sections.first == "rand" else {
            throw AugmentationError.badRandAugmentConfig(config: config, reason: "it must start with 'rand'")
        }
        var magnitude = 10.0, layers = 2, std = 0.0, maximum = 10.0
        var operations = RandAugmentOperation.standard
        for section in sections.dropFirst() {
            guard let digit = section.firstIndex(where: \.isNumber) else { continue }  // timm skips these
            let key = String(section[..<digit]), text = String(section[digit...])
            func number() throws -> Double {
                guard let value = Double(text) else {
                    throw AugmentationError.badRandAugmentConfig(config: config, reason: "'\(section)' has no number")
                }
                return value
            }
            switch key {
            case "m": magnitude = Double(Int(try number()))
            case "n": layers = Int(try number())
            case "mstd": std = try number() > 100 ? .infinity : try number()
            case "mmax": maximum = Double(Int(try number()))
            case "inc": operations = RandAugmentOperation.increasing
            case "w":
                throw AugmentationError.badRandAugmentConfig(config: config, reason: "weighted choice ('w') is not supported")
            default:
                throw AugmentationError.badRandAugmentConfig(config: config, reason: "unknown section '\(section)'")
            }
        }
        self.init(
            operations: operations, layers: layers, magnitude: magnitude, magnitudeStd: std, magnitudeMax: maximum,
            resampling: resampling, fill: fill)
    }

    /// `layers` operations on `image`; every random draw comes from `generator`, in timm's order (the
    /// operation choices first, then per operation: apply?, magnitude, sign).
    public func apply(_ image: RGBImage, generator: Generator) -> RGBImage {
        let chosen = (0..<layers).map { _ in operations[generator.below(operations.count)] }
        var out = image
        for operation in chosen {
            if probability < 1 && generator.uniform() > probability { continue }
            var level = magnitude
            if magnitudeStd.isInfinite {
                level = generator.uniform() * magnitude
            } else if magnitudeStd > 0 {
                level = magnitude + magnitudeStd * generator.normal()
            }
            level = max(0, min(level, magnitudeMax))
            let negated = operation.isSigned && generator.uniform() > 0.5
            out = operation.applied(to: out, magnitude: level, negated: negated, resampling: resampling, fill: fill)
        }
        return out
    }
}
