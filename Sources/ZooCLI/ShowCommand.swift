import ArgumentParser
import Foundation
import Tensors
import Zoo

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show a model's module tree, parameter shapes and parameter count.")

    @Argument(help: "A catalog model name or a JSON spec file.") var model: String
    @Flag(help: "Print JSON: name, spec, parameters (element count) and tensors.") var json = false

    func run() throws {
        try reportingErrors {
            let catalog = try Catalog.locate()
            let (name, spec, built) = try catalog.buildModel(model)
            let named = built.module.namedParameters()
            let total = named.reduce(0) { $0 + $1.tensor.count }
            let trainable = named.filter { $0.tensor.requiresGrad }.reduce(0) { $0 + $1.tensor.count }
            if json {
                printJSON(.object([
                    ("name", .string(name)),
                    ("spec", spec),
                    ("family", .string(built.family.name)),
                    ("serves", .array(built.family.roles.map { .string($0) })),
                    ("details", .object(built.family.describe(built.network))),
                    ("parameters", .integer(total)),
                    ("trainable_parameters", .integer(trainable)),
                    ("tensors", .array(named.map { .object([("name", .string($0.key)), ("shape", .array($0.tensor.shape.map { .integer($0) })),
                                                            ("trainable", .bool($0.tensor.requiresGrad))]) })),
                ]))
                return
            }
            print(name)
            print("family: \(built.family.name) (\(built.family.summary)); serves: \(built.family.roles.joined(separator: ", "))")
            for (key, value) in built.family.describe(built.network) { print("\(key): \(value.serialized())") }
            printTree(named)
            print("parameters: \(grouped(total)) (\(grouped(trainable)) trainable), \(named.count) tensors")
        }
    }

    /// Prints parameters grouped by module path, runs of identical blocks folded into one line.
    private func printTree(_ named: [(key: String, tensor: Tensor)]) {
        var lastModule: String?
        for (key, tensor) in named {
            let parts = key.split(separator: ".")
            let module = parts.dropLast().joined(separator: ".")
            if module != lastModule {
                print(module.isEmpty ? "(root)" : module)
                lastModule = module
            }
            let shape = "[" + tensor.shape.map(String.init).joined(separator: ", ") + "]"
            print("    \(String(parts.last!).padding(toLength: 22, withPad: " ", startingAt: 0)) \(shape)\(tensor.requiresGrad ? "" : "  (fixed)")")
        }
    }
}

func grouped(_ n: Int) -> String {
    let s = String(n)
    var out = ""
    for (i, ch) in s.enumerated() {
        if i > 0 && (s.count - i) % 3 == 0 { out.append(",") }
        out.append(ch)
    }
    return out
}
