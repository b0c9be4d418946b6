import Checkpoint
import Foundation
import FuzzSupport

// A PyTorch checkpoint read the way `zoo inspect` / `zoo convert` read it: format sniffing, the pickle
// machine, storages and strided views, then every tensor converted to float. The readers map a path, so
// the input goes through a file in /dev/shm. (FuzzTorchZip and FuzzTorchLegacy share this body; their
// seed corpora differ.)
let scratch = ScratchFile("checkpoint.pth")
runFuzzer { bytes in
    scratch.write(bytes)
    guard let file = try? CheckpointReader.read(path: scratch.path) else { return }
    for (_, tensor) in file.tensors where tensor.elementCount <= 1 << 20 { _ = tensor.floatTensor() }
}
