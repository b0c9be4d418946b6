import Data
import Foundation
import Zoo

/// AU label files of a training task: `--train`, `--test`, their image `--root`, the `--preset` and the
/// share of training subjects held out to choose the F1 threshold.
struct AUDataOptions: TaskOptionGroup {
    var train: String
    var test: String
    var root: String?
    var preset: AUDatasetPreset
    var validationFraction: Double

    static let options: [TaskOption] = [
        TaskOption("train", .path, required: true, help: "training label file (FMAE JSON lines)"),
        TaskOption("test", .path, required: true, help: "test label file"),
        TaskOption("root", .path, help: "image folder the label files' img_path values are relative to (default: images/ beside them)"),
        TaskOption("preset", .string, default: "bp4d", help: "AU list and subject rule: bp4d, bp4d+, disfa"),
        TaskOption("val-fraction", .number, default: "0.2", help: "share of training subjects held out to choose the F1 threshold"),
    ]

    init(_ a: TaskArguments) throws {
        train = try a.string("train")
        test = try a.string("test")
        root = a.optionalString("root")
        preset = try AUDatasetPreset.named(try a.string("preset"))
        validationFraction = try a.double("val-fraction")
        guard (0..<1).contains(validationFraction) else { throw TaskUsageError("--val-fraction must be in [0, 1), got \(validationFraction)") }
    }
}
