import Data
import Foundation
import FuzzSupport

// A zstd image shard: header, footer offset, the JSON index, then every image decompressed and decoded.
let scratch = ScratchFile("fuzz.shard")
runFuzzer { bytes in
    scratch.write(bytes)
    guard let reader = try? ShardReader(path: scratch.path) else { return }
    for i in 0..<reader.count {
        _ = reader.record(i)
        _ = try? reader.image(i)
    }
}
