import Foundation
import FuzzSupport
import Images

// JPEG decoding through libjpeg (error handling by setjmp/longjmp in CJPEGCodec).
runFuzzer { bytes in _ = try? JPEG.decode(bytes, name: "fuzz.jpg") }
