import Foundation
import FuzzSupport
import Images

// PNG decoding through libpng (error handling by setjmp/longjmp in CPNGCodec, the conversion to Pillow's RGB).
runFuzzer { bytes in _ = try? PNG.decode(bytes, name: "fuzz.png") }
