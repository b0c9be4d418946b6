// swift-tools-version:6.0
import PackageDescription

// Dependencies point one way: Tensors ← Zoo ← Layers ← ZooCLI (which registers the built-in plugins).
let package = Package(
    name: "zoo",
    products: [
        .executable(name: "zoo", targets: ["ZooCLI"]),
        .library(name: "Zoo", targets: ["Zoo", "Layers", "Tensors"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C shims for system libraries, found through pkg-config, installed by apt.
        .systemLibrary(
            name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),

        // Numerics: float32 tensors, kernels, reverse-mode autodiff, modules, optimisers.
        .target(name: "Tensors", dependencies: ["COpenBLAS"]),
        // Plugin protocols, registries, JSON model specs, the catalog and model assembly.
        .target(name: "Zoo", dependencies: ["Tensors"]),
        // The built-in layer plugins (ViT, MAE decoder, heads, …).
        .target(name: "Layers", dependencies: ["Zoo", "Tensors"]),
        .executableTarget(
            name: "ZooCLI",
            dependencies: [
                "Zoo", "Layers", "Tensors",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // Shared test helpers: finite-difference gradient checks, fixture reading.
        .target(name: "TensorTesting", dependencies: ["Tensors"], path: "Tests/TensorTesting"),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "TensorTesting"]),
        .testTarget(name: "ZooTests", dependencies: ["Zoo", "Layers", "Tensors", "TensorTesting"],
                    exclude: ["Fixtures"]),
    ],
    swiftLanguageModes: [.v5]
)
