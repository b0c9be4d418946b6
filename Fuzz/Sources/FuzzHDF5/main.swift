import Checkpoint
import Foundation
import FuzzSupport

// An `.h5` file read the way zoo reads every `.h5`: in a child `zoo internal-read-h5` process, whose
// safetensors stream the parent parses (HDF5Isolation). libhdf5 itself is not hardened against malformed
// files, so what must hold here is the parent's side: a crash, hang, garbage or oversized output of the
// child ends as a CheckpointError, never as a crash of the reading process. The child is the release
// `zoo` named by $ZOO_EXECUTABLE (the Makefile sets it); libFuzzer's coverage sees the parent only.
guard let executable = ProcessInfo.processInfo.environment["ZOO_EXECUTABLE"] else {
    FileHandle.standardError.write(Data("FuzzHDF5: set ZOO_EXECUTABLE to a release zoo binary\n".utf8))
    exit(2)
}
let scratch = ScratchFile("weights.h5")
runFuzzer { bytes in
    scratch.write(bytes)
    guard let file = try? HDF5Isolation.read(path: scratch.path, executable: executable, timeLimit: 5) else { return }
    for (_, tensor) in file.tensors where tensor.elementCount <= 1 << 20 { _ = tensor.floatTensor() }
}
