import Data
import Foundation
import FuzzSupport

// An AU label file (JSONL) as `zoo run au --train FILE` loads it, with image paths resolved against an
// empty folder, so every line that parses ends at "image not found"; skipBad takes every line's error.
let scratch = ScratchFile("labels.jsonl")
runFuzzer { bytes in
    scratch.write(bytes)
    _ = try? AUDataset.load(labels: scratch.path, root: "/nonexistent-zoo-fuzz-root", preset: .bp4d, skipBad: true)
    _ = try? AUDataset.load(labels: scratch.path, root: "/nonexistent-zoo-fuzz-root", preset: .disfa)
}
