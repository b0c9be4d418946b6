import ArgumentParser
import Checkpoint
import Foundation
import Tensors
import Zoo

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a checkpoint between PyTorch (.pth/.pt/.bin), safetensors and HDF5.",
        discussion: """
            SRC is read by its content; DST's extension picks the format (.safetensors, or .h5/.hdf5). The state \
            dict is taken from `model`, `state_dict`, … (or --key) and DistributedDataParallel/torch.compile \
            prefixes are stripped; names, shapes and values are kept (bit-exact unless --dtype converts floats). \
            With --model the tensors are checked strictly against that model and nothing is written on a \
            mismatch. DST appears only when complete.
            """)

    @Argument(help: "Checkpoint to read.") var source: String
    @Argument(help: "File to write (.safetensors or .h5).") var destination: String
    @Option(help: "Checkpoint entry that holds the state dict.") var key: String?
    @Option(help: "Convert floating-point tensors to f32, f16 or bf16.") var dtype: String?
    @Option(help: "Check against this model (catalog name or JSON spec) before writing.") var model: String?

    enum Target { case safetensors, hdf5 }

    func validate() throws {
        _ = try target()
        if let dtype, !["f32", "f16", "bf16"].contains(dtype) { throw ValidationError("--dtype must be f32, f16 or bf16, got \(dtype)") }
    }

    func target() throws -> Target {
        switch URL(fileURLWithPath: destination).pathExtension.lowercased() {
        case "safetensors": return .safetensors
        case "h5", "hdf5": return .hdf5
        default: throw ValidationError("DST must end in .safetensors, .h5 or .hdf5: \(destination)")
        }
    }

    func run() throws {
        try reportingErrors {
            var file = try CheckpointReader.read(path: source, key: key)
            var spec: JSONValue?
            if let model {
                let catalog = try Catalog.locate()
                let built = try catalog.buildModel(model)
                spec = built.spec
                try checkStrictly(file, against: built.model.module)
            }
            if let dtype, let target = DType(shortName: dtype) {
                file.tensors = file.tensors.map { ($0.name, $0.tensor.dtype.isFloatingPoint ? $0.tensor.converted(to: target) : $0.tensor) }
            }
            var metadata = file.metadata.filter { $0.key != "format" && $0.key != "zoo_spec" }
            metadata.insert(("format", "pt"), at: 0)
            if let spec { metadata.append(("zoo_spec", spec.serialized())) }
            switch try target() {
            case .safetensors: try SafeTensorsWriter.write(file.tensors, metadata: metadata, to: destination)
            case .hdf5: try HDF5Writer.write(file.tensors, attributes: metadata, to: destination)
            }
            print("wrote \(file.tensors.count) tensors (\(grouped(file.parameterCount)) values) to \(destination)")
        }
    }

    /// Every model parameter present with its shape, and nothing else; all problems listed at once.
    func checkStrictly(_ file: TensorFile, against module: Module) throws {
        var problems = LoadError(missing: [], unexpected: [], mismatched: [])
        let shapes = Dictionary(uniqueKeysWithValues: file.tensors.map { ($0.name, $0.tensor.shape) })
        let expected = module.namedParameters()
        for (k, t) in expected {
            guard let s = shapes[k] else { problems.missing.append(k); continue }
            if s != t.shape { problems.mismatched.append((k, t.shape, s)) }
        }
        let known = Set(expected.map(\.key))
        problems.unexpected = file.tensors.map(\.name).filter { !known.contains($0) }
        if !problems.isEmpty { throw CheckpointError.modelMismatch(file: source, report: problems.description) }
    }
}
