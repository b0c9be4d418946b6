import ArgumentParser
import FaceDetection
import Foundation
import Layers
import Tasks
import Training
import Zoo

@main
struct ZooCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zoo",
        abstract: "A Swift model zoo for facial behaviour understanding (FMAE / FMAE-IAT).",
        subcommands: [ListCommand.self, ShowCommand.self, InspectCommand.self, ConvertCommand.self, RunCommand.self, CompareCommand.self,
                      ReportCommand.self, DataCommand.self, BenchCommand.self, FetchCommand.self, InternalReadH5Command.self])

    /// Registers the built-in plugins; runs before any subcommand uses a registry.
    static func registerBuiltins() {
        LayerRegistry.shared.register(builtinLayerPlugins)
        TaskRegistry.shared.register(builtinTaskPlugins)
        // Model families: the shared registry starts with Zoo's own (classifier, mae); a family defined
        // elsewhere adds its line here: ModelFamilyRegistry.shared.register(MyFamily.self).
        ModelFamilyRegistry.shared.register(builtinModelFamilies)
        ModelFamilyRegistry.shared.register(MTCNNFamily.self)
    }

    static func main() {
        // Under mpirun: MPI starts and sets the kernel threads per rank before any tensor work.
        _ = World.group
        registerBuiltins()
        do {
            var command = try parseAsRoot()
            try command.run()
            World.finish()
        } catch {
            // Usage mistakes exit with 2 (as getopt tools do), failures with 1.
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// Errors that are the user's input, not a bug: one line on stderr, exit status 1.
struct UserFacingError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs `body`, turning zoo's typed errors into one-line messages with exit status 1.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as ExitCode { throw e } catch let e as CleanExit { throw e } catch let e as ValidationError {
        throw e
    } catch {
        FileHandle.standardError.write(Data("zoo: error: \(error)\n".utf8))
        throw ExitCode.failure
    }
}

func printJSON(_ value: JSONValue) { print(value.serialized(pretty: true)) }
