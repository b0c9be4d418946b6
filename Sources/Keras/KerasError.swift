/// Why a Keras file could not become a zoo model. Each names the file and, where there is one, the Keras
/// layer (by its name and class) or the JSON path in `model_config`.
public enum KerasError: Error, CustomStringConvertible, Equatable {
    /// The file has no `model_config` attribute (a weights-only file: `model.save_weights`).
    case noModelConfig(file: String)
    case badConfig(file: String, path: String, reason: String)
    /// A layer class zoo has no plugin for.
    case unsupportedLayer(file: String, layer: String, className: String)
    /// A supported class with a setting zoo does not implement.
    case unsupportedSetting(file: String, layer: String, setting: String, value: String)
    case missingWeight(file: String, layer: String, weight: String)
    case badWeight(file: String, layer: String, weight: String, reason: String)

    public var description: String {
        switch self {
        case let .noModelConfig(file):
            return "\(file): no model_config attribute, so no architecture (a weights-only Keras file?); save the model with model.save"
        case let .badConfig(file, path, reason):
            return "\(file): model_config\(path.isEmpty ? "" : "." + path): \(reason)"
        case let .unsupportedLayer(file, layer, className):
            return "\(file): Keras layer \(layer) is a \(className), which zoo has no layer plugin for (supported: \(KerasLayerTranslation.supportedClasses.joined(separator: ", ")))"
        case let .unsupportedSetting(file, layer, setting, value):
            return "\(file): Keras layer \(layer): \(setting) = \(value) is not supported"
        case let .missingWeight(file, layer, weight):
            return "\(file): Keras layer \(layer) has no \(weight) weight in the file"
        case let .badWeight(file, layer, weight, reason):
            return "\(file): Keras layer \(layer), weight \(weight): \(reason)"
        }
    }
}
