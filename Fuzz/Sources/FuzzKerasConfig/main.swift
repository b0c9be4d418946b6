import Checkpoint
import Foundation
import FuzzSupport
import Keras

// A Keras file's model_config attribute (untrusted JSON) through the translation into a zoo graph spec.
// The file has no weights here, so a config that translates ends at the first missing weight: the whole
// parse and layer translation (shapes, windows, inbound nodes) runs before that.
runFuzzer { bytes in
    let file = TensorFile(format: .hdf5, tensors: [], metadata: [("model_config", String(decoding: bytes, as: UTF8.self))])
    _ = try? KerasImport.translate(file, path: "fuzz.h5")
}
