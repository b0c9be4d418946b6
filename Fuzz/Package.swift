// swift-tools-version:6.0
import PackageDescription

// Coverage-guided fuzz targets (libFuzzer) for zoo's file parsers, one executable per parser. A separate
// package, so that the main package's `swift build` / `make test` never builds them; `make fuzz` builds it
// with `-Xswiftc -sanitize=fuzzer` (FUZZING.md).
//
// Each target's main.swift hands its `fuzzOne` to libFuzzer's LLVMFuzzerRunDriver: SwiftPM names an
// executable's entry point `<module>_main`, so the usual `@_cdecl("LLVMFuzzerTestOneInput")` without a
// main cannot link. gold fails on the fuzzer runtime's debug info, hence lld.
let targets = [
    "FuzzSafeTensors", "FuzzTorchZip", "FuzzTorchLegacy", "FuzzZipArchive", "FuzzSpec", "FuzzLabels",
    "FuzzJPEG", "FuzzPNG", "FuzzPPM", "FuzzShards", "FuzzHDF5", "FuzzKerasConfig", "FuzzDrivePage",
]

let package = Package(
    name: "zoo-fuzz",
    dependencies: [.package(name: "zoo", path: "..")],
    targets: [
        .target(name: "FuzzSupport", path: "Sources/FuzzSupport"),
    ] + targets.map { name in
        .executableTarget(
            name: name,
            dependencies: ["FuzzSupport", .product(name: "Zoo", package: "zoo")],
            path: "Sources/\(name)",
            linkerSettings: [.unsafeFlags(["-use-ld=lld"])])
    },
    swiftLanguageModes: [.v5]
)
