import Foundation
import FuzzSupport
import JSON
import Layers
import Zoo

// A model spec as `zoo show` reads it: JSON parsing, then the model builder with every field validated.
// A small parameter budget keeps the fuzzer from allocating big (valid) models; specs over it are
// refused before any weight is allocated, which is the path under test.
LayerRegistry.shared.register(builtinLayerPlugins)
runFuzzer { bytes in
    guard let spec = try? JSONParser.parse(Data(bytes)) else { return }
    var builder = ModelBuilder()
    builder.parameterLimit = 1 << 22
    _ = try? builder.build(spec)
}
