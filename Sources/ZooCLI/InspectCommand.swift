import ArgumentParser
import Checkpoint
import Foundation
import Zoo

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a checkpoint's format, tensors (name, dtype, shape), parameter total, metadata and other entries.")

    @Argument(help: "A .pth/.pt/.bin, .safetensors or .h5 file.") var file: String
    @Option(help: "Checkpoint entry that holds the state dict.") var key: String?
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        try reportingErrors {
            let f = try CheckpointReader.read(path: file, key: key, clean: false)
            if json {
                printJSON(.object([
                    ("file", .string(file)), ("format", .string(f.format.rawValue)),
                    ("parameters", .integer(f.parameterCount)),
                    ("tensors", .array(f.tensors.map { .object([("name", .string($0.name)), ("dtype", .string($0.tensor.dtype.rawValue)),
                                                               ("shape", .array($0.tensor.shape.map { .integer($0) }))]) })),
                    ("metadata", .object(f.metadata.map { ($0.key, .string($0.value)) })),
                    ("entries", .object(f.extras.map { ($0.key, .string($0.summary)) })),
                ]))
                return
            }
            print("\(file)  (\(f.format.rawValue))")
            print("tensors: \(f.tensors.count), values: \(grouped(f.parameterCount))")
            let width = min(60, f.tensors.map(\.name.count).max() ?? 0)
            for (name, t) in f.tensors {
                print("  \(name.padding(toLength: width, withPad: " ", startingAt: 0))  \(t.dtype.rawValue.padding(toLength: 4, withPad: " ", startingAt: 0))  \(t.shape)")
            }
            if !f.metadata.isEmpty {
                print("metadata:")
                for (k, v) in f.metadata { print("  \(k): \(v.count > 200 ? String(v.prefix(199)) + "…" : v)") }
            }
            if !f.extras.isEmpty {
                print("other entries:")
                for (k, v) in f.extras { print("  \(k): \(v)") }
            }
        }
    }
}
