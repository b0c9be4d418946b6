import ArgumentParser
import Checkpoint
import Foundation

/// `zoo internal-read-h5 FILE`: the child side of `HDF5Isolation`, hidden from help. It reads an HDF5 file
/// with libhdf5 in this throwaway process and writes a safetensors stream to standard output.
struct InternalReadH5Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: HDF5Isolation.subcommand, abstract: "Read an HDF5 file for a parent zoo process (internal).",
        shouldDisplay: false)

    @Argument(help: "The .h5 file.") var file: String

    func run() throws {
        Foundation.exit(HDF5Isolation.serve(path: file))
    }
}
