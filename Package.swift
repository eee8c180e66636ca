// swift-tools-version:6.0
import PackageDescription

// NeatMSKit: the NeatMS peak-quality network in Swift.
// Data flows one way: files → HDF5 → KerasFormat → NeuralNet ← NeatMS ← MassSpec; ONNX and safetensors files →
// Interchange (ONNXProto) → NeuralNet; `neatms` only wires them.

#if os(Linux)
let blasTargetDependencies: [Target.Dependency] = ["CBLAS"]
#else
let blasTargetDependencies: [Target.Dependency] = []
#endif

let package = Package(
    name: "NeatMSKit",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "neatms", targets: ["NeatMSCLI"]),
        .library(name: "HDF5", targets: ["HDF5"]),
        .library(name: "Tensor", targets: ["Tensor"]),
        .library(name: "NeuralNet", targets: ["NeuralNet"]),
        .library(name: "KerasFormat", targets: ["KerasFormat"]),
        .library(name: "Interchange", targets: ["Interchange"]),
        .library(name: "MassSpec", targets: ["MassSpec"]),
        .library(name: "NeatMS", targets: ["NeatMS"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        // SHA-1 for git blob ids of downloaded models (ModelStore).
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // The labelling web app's server (`neatms annotate`) and, in tests, the loopback server of download tests.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // C shims: system libraries found through pkg-config.
        .systemLibrary(
            name: "CHDF5", pkgConfig: "hdf5",
            providers: [.apt(["libhdf5-dev"]), .brew(["hdf5"])]),
        .systemLibrary(
            name: "CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"]), .brew(["openblas"])]),
        .systemLibrary(
            name: "CXML2", pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"]), .brew(["libxml2"])]),
        .systemLibrary(
            name: "CZlibShim", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),
        .systemLibrary(
            name: "CDeflate", pkgConfig: "libdeflate",
            providers: [.apt(["libdeflate-dev"]), .brew(["libdeflate"])]),

        // Helpers every layer may use: the cores this process may run on, `Locked<Value>`, `LocatedError`.
        .target(name: "Support", dependencies: ["CSupport"]),
        // Support's C part: the process's CPU affinity (a GNU extension Swift's Glibc module lacks).
        .target(name: "CSupport"),
        // Atomic file writes (temporary file + rename), shared by every writer.
        .target(name: "FileSupport", dependencies: ["Support"]),
        // The only code that calls the HDF5 C API.
        .target(name: "HDF5", dependencies: ["CHDF5", "Support"]),
        // Float32 tensors and the one file that talks to BLAS.
        .target(name: "Tensor", dependencies: blasTargetDependencies),
        // Vectorised C kernels (AVX2 / AVX2 + FMA clones on x86-64 Linux): optimiser updates, and for inference
        // the one-channel convolution, max pooling, the Winograd transforms and the products whose right
        // operand is packed once (dense_1, the Winograd points).
        .target(name: "CKernels"),
        // Layers, models, losses, optimisers, training. Knows nothing about files.
        .target(name: "NeuralNet", dependencies: ["Tensor", "CKernels", "Support"]),
        // Keras model files: legacy .h5 (Keras 2.2, tf.keras, Keras 3), weights files, .keras archives.
        .target(
            name: "KerasFormat",
            dependencies: ["HDF5", "NeuralNet", "Tensor", "FileSupport", "Support", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        // The ONNX protobuf messages NeatMSKit uses, generated once by Scripts/onnx/generate-swift (committed;
        // only swift-protobuf's runtime library is built).
        .target(name: "ONNXProto", dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        // Interchange formats beyond Keras: ONNX export/import and safetensors read/write.
        .target(
            name: "Interchange",
            dependencies: ["ONNXProto", "NeuralNet", "Tensor", "KerasFormat", "FileSupport", "Support"]),
        // mzML reading: streaming XML, base64, zlib (libdeflate for arrays, zlib for gzip), MS-Numpress.
        .target(name: "MassSpec", dependencies: ["CXML2", "CZlibShim", "CDeflate", "Support"]),
        // The NeatMS data path: tables, peak matrices, batches, threshold, prediction, export.
        .target(name: "NeatMS", dependencies: ["MassSpec", "Tensor", "HDF5", "FileSupport", "Support"]),
        // The NeatMS network as the data path's classifier: model loading, the one input check, the pool.
        .target(
            name: "Classification",
            dependencies: ["NeatMS", "NeuralNet", "KerasFormat", "Interchange", "Tensor", "Support"]),
        // Published models (NeatMS's own, pinned by commit and git blob id): download, verify, per-user cache.
        .target(
            name: "ModelStore",
            dependencies: ["FileSupport", "Support", .product(name: "Crypto", package: "swift-crypto")]),
        // `neatms annotate`: the labelling session (experiment, queue, durable label store, peak plots, retraining),
        // independent of HTTP.
        .target(
            name: "Annotation",
            dependencies: ["NeatMS", "Classification", "NeuralNet", "KerasFormat", "MassSpec", "FileSupport", "Support"]),
        // The labelling web app's thin HTTP layer (Hummingbird): routes, token and Host checks, JSON, the page.
        .target(
            name: "AnnotationServer",
            dependencies: [
                "Annotation", "Support", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "Logging", package: "swift-log"),
            ],
            // The page's source; Scripts/annotate/embed_page.py turns it into WebPage.swift.
            exclude: ["Web"]),
        // The thin command-line tool; its product (the binary) is `neatms`. The target's own name differs from
        // NeatMS by more than case, so that the two folders do not collide on a case-insensitive file system.
        .executableTarget(
            name: "NeatMSCLI",
            dependencies: [
                "HDF5", "Tensor", "NeuralNet", "KerasFormat", "Interchange", "MassSpec", "NeatMS", "Classification",
                "FileSupport", "ModelStore", "Support", "Annotation", "AnnotationServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]),

        // Scripts/bench's NeatMSKit side: network throughput (not part of the product).
        .executableTarget(
            name: "neatms-bench",
            dependencies: [
                "NeuralNet", "Tensor", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // Test support: temporary folders, approximate equality, Fixtures/ and ../shared/data lookup.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "SupportTests", dependencies: ["Support", "TestSupport"]),
        // Test support: a Hummingbird HTTP server on 127.0.0.1 (port chosen by the system) for download tests.
        .target(
            name: "LoopbackServer",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/LoopbackServer"),
        .testTarget(name: "FileSupportTests", dependencies: ["FileSupport", "TestSupport"]),
        .testTarget(name: "HDF5Tests", dependencies: ["HDF5", "Support", "TestSupport"]),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "TestSupport"]),
        .testTarget(name: "NeuralNetTests", dependencies: ["NeuralNet", "Tensor", "KerasFormat", "HDF5", "TestSupport"]),
        .testTarget(
            name: "KerasFormatTests",
            dependencies: ["KerasFormat", "NeuralNet", "HDF5", "Tensor", "TestSupport"]),
        .testTarget(
            name: "InterchangeTests",
            dependencies: ["Interchange", "ONNXProto", "KerasFormat", "NeuralNet", "Tensor", "HDF5", "TestSupport"]),
        .testTarget(name: "MassSpecTests", dependencies: ["MassSpec", "TestSupport"]),
        .testTarget(
            name: "NeatMSTests",
            dependencies: [
                "NeatMS", "MassSpec", "NeuralNet", "KerasFormat", "HDF5", "FileSupport", "Support", "TestSupport",
            ]),
        .testTarget(
            name: "ClassificationTests",
            dependencies: ["Classification", "NeatMS", "NeuralNet", "KerasFormat", "Tensor", "Support", "TestSupport"]),
        .testTarget(name: "ModelStoreTests", dependencies: ["ModelStore", "TestSupport", "LoopbackServer"]),
        .testTarget(
            name: "AnnotationTests",
            dependencies: [
                "Annotation", "AnnotationServer", "NeatMS", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]),
        .testTarget(
            name: "CLITests",
            dependencies: [
                "NeatMSCLI", "TestSupport", "HDF5", "KerasFormat", "NeatMS", "NeuralNet", "Tensor", "ModelStore",
                "LoopbackServer", "FileSupport", "Support",
            ]),
    ]
)
