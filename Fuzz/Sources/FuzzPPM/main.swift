import Foundation
import FuzzSupport
import Images

// Binary PPM (P6) and PGM (P5) decoding, and the format sniffing of ImageFile.decode.
runFuzzer { bytes in
    _ = try? PPM.decode(bytes, name: "fuzz.ppm")
    _ = try? ImageFile.decode(bytes, name: "fuzz")
}
