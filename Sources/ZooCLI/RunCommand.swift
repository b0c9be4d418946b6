import ArgumentParser
import Foundation
import Training
import Zoo

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run a task plugin: zoo run TASK --option value … [--config FILE.json].")

    @Argument(help: "The task (see `zoo list tasks`).") var task: String
    @Argument(parsing: .captureForPassthrough, help: "The task's options (`zoo run TASK --help`).") var options: [String] = []

    func run() throws {
        guard let plugin = TaskRegistry.shared.plugin(named: task) else {
            let hint = closestMatch(to: task, in: TaskRegistry.shared.all.map { $0.name }).map { " (did you mean \($0)?)" } ?? ""
            throw ValidationError("unknown task \(task)\(hint); see `zoo list tasks`")
        }
        if options.contains("--help") || options.contains("-h") {
            print("zoo run \(plugin.name): \(plugin.summary)\n\nOPTIONS:")
            for o in plugin.options {
                let value = o.kind == .flag ? "" : " <\(o.kind.rawValue)>"
                let note = o.required ? " (required)" : o.kind == .flag ? "" : o.defaultValue.map { " (default: \($0))" } ?? ""
                print("  --\(o.name)\(value)".padding(toLength: 28, withPad: " ", startingAt: 0) + o.help + note)
            }
            print("  --config <path>".padding(toLength: 28, withPad: " ", startingAt: 0) + "JSON object of option values (command line wins)")
            return
        }
        try Self.execute(plugin, options)
    }

    /// Parses and runs; usage mistakes become validation errors (exit 2), failures one-line errors (exit 1).
    static func execute(_ plugin: TaskPlugin.Type, _ options: [String]) throws {
        let arguments: TaskArguments
        do {
            arguments = try TaskArguments.parse(plugin, options)
            try plugin.run(arguments)
        } catch let e as TaskUsageError {
            throw ValidationError(e.description)
        } catch let e as ModelRoleError {
            // --model names a model of a family the task cannot use: a usage mistake, as a wrong option is.
            throw ValidationError(e.description)
        } catch let TrainingError.interrupted(signal, message) {
            // The conventional status of a process stopped by a signal: 128 + its number (130, 143).
            FileHandle.standardError.write(Data("zoo: \(message)\n".utf8))
            throw ExitCode(128 + signal)
        } catch {
            FileHandle.standardError.write(Data("zoo: error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
