import Checkpoint
import Foundation
import FuzzSupport

// safetensors through the byte-level entry point: header JSON, dtypes, shapes and offsets; each tensor
// is then converted to float, touching every byte its header claims.
runFuzzer { bytes in
    guard let file = try? SafeTensorsReader.read(ByteBuffer(Data(bytes)), file: "fuzz.safetensors") else { return }
    for (_, tensor) in file.tensors where tensor.elementCount <= 1 << 20 { _ = tensor.floatTensor() }
}
