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
            SRC is read by its content; DST's extension picks the format (.safetensors, or .h5/.hdf5). A Keras \
            model saved whole (.h5/.hdf5 with model_config) is translated: weights renamed by layer and \
            transposed to NCHW, the architecture stored as the zoo spec (metadata zoo_spec). The state \
            dict is taken from `model`, `state_dict`, … (or --key) and DistributedDataParallel/torch.compile \
            prefixes are stripped; names, shapes and values are kept (bit-exact unless --dtype converts floats). \
            With --model the tensors are checked strictly against that model and nothing is written on a \
            mismatch; with --drop-head as well, the checkpoint's classifier head (head.*) that the model has \
            no place for (a timm ImageNet classifier converted for a headless encoder) is left out of DST and \
            named. DST appears only when complete.
            """)

    @Argument(help: "Checkpoint to read.") var source: String
    @Argument(help: "File to write (.safetensors or .h5).") var destination: String
    @Option(help: "Checkpoint entry that holds the state dict.") var key: String?
    @Option(help: "Convert floating-point tensors to f32, f16 or bf16.") var dtype: String?
    @Option(help: "Check against this model (catalog name or JSON spec) before writing.") var model: String?
    @Flag(help: "With --model: leave out the checkpoint's classifier head (head.*) where the model has none.") var dropHead = false

    enum Target { case safetensors, hdf5 }

    func validate() throws {
        _ = try target()
        if let dtype, !["f32", "f16", "bf16"].contains(dtype) { throw ValidationError("--dtype must be f32, f16 or bf16, got \(dtype)") }
        if dropHead && model == nil { throw ValidationError("--drop-head needs --model: the model says which head tensors it has no place for") }
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
            var file = try WeightLoader.readState(source, key: key)
            var spec: JSONValue?
            // A whole Keras model: its weights are already under zoo's names in NCHW (readState); its
            // model_config becomes the zoo spec stored with them, and Keras' own attributes are dropped.
            if model == nil, let keras = try Catalog.kerasModel(source) {
                spec = try Catalog.locate().spec(for: source).spec
                file.metadata = [("keras_version", keras.kerasVersion ?? "unknown")]
            }
            if let model {
                let catalog = try Catalog.locate()
                let built = try catalog.buildModel(model)
                spec = built.spec
                // Only what the user asked to leave out: convert keeps names, shapes and values otherwise.
                let state = try WeightLoader.adapt(file, to: built.model, options: .init(dropHead: dropHead))
                let kept = Set(state.names)
                file.tensors = file.tensors.filter { kept.contains($0.name) }
                if !state.leftOut.isEmpty { print("left out: " + state.describeLeftOut(state.leftOut.map(\.name))) }
                try WeightLoader.checkStrictly(StateDict(file.tensors), against: built.model, file: source)
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
}
