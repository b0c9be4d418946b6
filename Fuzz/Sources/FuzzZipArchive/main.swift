import Checkpoint
import Foundation
import FuzzSupport

// The ZIP container of torch.save files (end of central directory, ZIP64 records, central and local
// headers): TorchCheckpointReader.load opens the archive and unpickles data.pkl, without materialising
// tensors, so the fuzzer's time goes to the archive reader. ZipArchive itself is internal to Checkpoint.
let scratch = ScratchFile("archive.zip")
runFuzzer { bytes in
    scratch.write(bytes)
    _ = try? TorchCheckpointReader.load(path: scratch.path)
}
