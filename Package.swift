// swift-tools-version:6.0
import PackageDescription

// Dependencies point one way:
//   CKernels ← Tensors;  Tensors, JSON ← Checkpoint ← Keras;  Checkpoint, Keras, BundledModels ← Zoo ← Layers ← FaceDetection
//   Tensors ← Images ← Data ← SyntheticFaces;  Metrics;  Zoo, Data, Fetch, CMPIShim ← Training
//   Zoo ← Fetch;  JSON ← Reports;  Training, Data, Images, Metrics, FaceDetection ← Tasks (the task plugins only) ← ZooCLI (registers the built-ins).
let package = Package(
    name: "zoo",
    products: [
        .executable(name: "zoo", targets: ["ZooCLI"]),
        .library(name: "Zoo", targets: [
            "Zoo", "Layers", "Tasks", "Training", "Data", "Images", "Metrics", "SyntheticFaces", "Reports", "Checkpoint", "Tensors",
            "Fetch", "Keras", "FaceDetection", "BundledModels",
        ]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C shims for system libraries, found through pkg-config, installed by apt.
        .systemLibrary(
            name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),

        .systemLibrary(
            name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5",
            providers: [.apt(["libhdf5-dev"])]),

        .systemLibrary(
            name: "CJPEG", path: "Sources/CJPEG", pkgConfig: "libjpeg",
            providers: [.apt(["libjpeg-dev"])]),
        // libjpeg's calls with their setjmp/longjmp error handling, which Swift cannot express.
        .target(name: "CJPEGCodec", dependencies: ["CJPEG"], path: "Sources/CJPEGCodec"),
        .systemLibrary(
            name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]),
        // libpng's calls with their setjmp/longjmp error handling, and the conversion to Pillow's RGB.
        .target(name: "CPNGCodec", dependencies: ["CPNG"], path: "Sources/CPNGCodec"),
        .systemLibrary(
            name: "CZstd", path: "Sources/CZstd", pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]),

        .systemLibrary(
            name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        // MPI's calls over plain C types: Open MPI's handles are macros Swift cannot import.
        .target(name: "CMPIShim", dependencies: ["CMPI"], path: "Sources/CMPIShim"),

        .systemLibrary(
            name: "COpenSSL", path: "Sources/COpenSSL", pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]),

        // Numerics: float32 tensors, kernels, reverse-mode autodiff, modules, optimisers.
        .target(name: "Tensors", dependencies: ["COpenBLAS", "CKernels"]),
        // AVX2 + FMA element-wise kernels (GELU, softmax rows) that Tensors picks at run time by CPU feature.
        .target(name: "CKernels", path: "Sources/CKernels"),
        // An order-keeping JSON value and strict parser (specs, catalog, safetensors headers).
        .target(name: "JSON"),
        // Checkpoint files: safetensors, HDF5, PyTorch .pth (zip and legacy, read without Python).
        .target(name: "Checkpoint", dependencies: ["Tensors", "JSON", "CHDF5"]),
        // Plugin protocols, registries, JSON model specs, the catalog, model assembly and weight loading.
        .target(name: "Zoo", dependencies: ["Tensors", "JSON", "Checkpoint", "Keras", "BundledModels"]),
        // Released weights by catalog name: downloads (resumable, Google Drive's confirm step) into a
        // checked cache.
        .target(name: "Fetch", dependencies: ["Zoo", "COpenSSL", "BundledModels"]),
        // Released model files zoo ships as resources (MTCNN's networks, fer's emotion model), with licences.
        .target(name: "BundledModels", resources: [.copy("Files")]),
        // MTCNN face detection, as facenet-pytorch runs it.
        .target(name: "FaceDetection", dependencies: ["Layers", "Tensors", "Images", "Zoo", "Checkpoint", "JSON", "BundledModels"]),
        // Keras models saved whole (.h5/.hdf5): model_config translated into a zoo graph spec, weights to NCHW.
        .target(name: "Keras", dependencies: ["Checkpoint", "JSON"]),
        // The built-in layer plugins (ViT, MAE decoder, heads, …).
        .target(name: "Layers", dependencies: ["Zoo", "Tensors"]),
        // Images: decoding (JPEG through libjpeg, PNG through libpng, PPM), PIL-compatible resizing,
        // normalisation and FMAE's training augmentation.
        .target(name: "Images", dependencies: ["Tensors", "CJPEGCodec", "CPNGCodec"]),
        // Datasets: AU label files, ImageFolder expressions, image lists, zstd shards, batch loading.
        .target(name: "Data", dependencies: ["Images", "Checkpoint", "Zoo", "Tensors", "CZstd"]),
        // The synthetic face generator behind `zoo data synth` and the demo.
        .target(name: "SyntheticFaces", dependencies: ["Images", "Data", "Tensors"]),
        // AU and expression metrics: F1, ROC AUC, threshold search, confusion matrices.
        .target(name: "Metrics"),
        // The training loop, learning-rate schedules, parameter groups, run folders and data-parallel
        // process groups (one process, or MPI ranks under mpirun).
        .target(name: "Training", dependencies: ["Zoo", "Data", "Checkpoint", "Tensors", "CMPIShim", "Fetch"]),
        // Reading finished run folders; `zoo compare` tables and `zoo report` HTML pages with SVG charts.
        .target(name: "Reports", dependencies: ["JSON"]),
        // The built-in task plugins (`zoo run TASK`), and nothing else.
        .target(name: "Tasks", dependencies: ["Training", "Data", "Images", "Metrics", "Zoo", "Checkpoint", "Tensors", "Fetch", "FaceDetection", "Layers"]),
        .executableTarget(
            name: "ZooCLI",
            dependencies: [
                "Zoo", "Layers", "Tasks", "Training", "Data", "Images", "SyntheticFaces", "Metrics", "Reports", "Checkpoint",
                "Tensors", "Fetch", "Keras", "FaceDetection", "BundledModels", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // Shared test helpers: finite-difference gradient checks, fixture reading.
        .target(name: "TensorTesting", dependencies: ["Tensors"], path: "Tests/TensorTesting"),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "TensorTesting"]),
        .testTarget(name: "CheckpointTests", dependencies: ["Checkpoint", "Tensors", "TensorTesting"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "ImagesTests", dependencies: ["Images", "Tensors", "TensorTesting", "CZstd"], exclude: ["Fixtures"]),
        .testTarget(name: "DataTests", dependencies: ["Data", "Images", "Zoo", "Tensors", "TensorTesting"], exclude: ["Fixtures"]),
        .testTarget(name: "SyntheticFacesTests", dependencies: ["SyntheticFaces", "Data", "Images", "Tensors", "TensorTesting"]),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics"]),
        .testTarget(name: "FaceDetectionTests", dependencies: ["FaceDetection", "Images", "Layers", "Zoo", "JSON"], exclude: ["Fixtures"]),
        .testTarget(name: "KerasTests", dependencies: ["Keras", "Checkpoint", "JSON"], exclude: ["Fixtures"]),
        .testTarget(name: "FetchTests", dependencies: ["Fetch", "Zoo", "JSON"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "JSON"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Data", "Zoo", "Layers", "Tensors", "TensorTesting"], exclude: ["Fixtures"]),
        .testTarget(name: "TasksTests", dependencies: [
            "Tasks", "Training", "Data", "Images", "Metrics", "SyntheticFaces", "Reports", "Zoo", "Layers", "Tensors", "TensorTesting",
        ]),
        .testTarget(name: "ZooTests", dependencies: [
            "FaceDetection", "Keras", "BundledModels",
            "Zoo", "Layers", "Tasks", "Training", "Data", "Images", "Checkpoint", "Tensors", "TensorTesting",
        ],
                    exclude: ["Fixtures"]),
    ],
    swiftLanguageModes: [.v5]
)
