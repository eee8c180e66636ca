// swift-tools-version:6.0
import Foundation
import PackageDescription

// NeatMSKit's libFuzzer harnesses: one executable per reader, each calling the library function a user's
// file reaches through `neatms`. A package of its own (depending on the checkout by path) so that the main
// package's `swift build` and `swift test` never see them: they only link with libFuzzer (which supplies `main`).
// Scripts/fuzz builds them (release, libFuzzer + AddressSanitizer, scratch path .build/fuzz of the checkout) and
// runs them.

// A path dependency's identity is its folder's name, whatever the checkout is called.
let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

/// Reader name → the products its harness needs.
let harnesses: [(name: String, products: [String])] = [
    ("keras-h5", ["Interchange"]),
    ("keras-archive", ["Interchange"]),
    ("keras3-weights", ["KerasFormat", "Interchange"]),
    ("onnx", ["Interchange"]),
    ("safetensors", ["Interchange"]),
    ("mzml", ["MassSpec"]),
    ("mzmine", ["NeatMS"]),
    ("mzmine3", ["NeatMS"]),
    ("xcms", ["NeatMS"]),
    ("openms", ["NeatMS"]),
    ("labels", ["NeatMS"]),
    ("peaks-h5", ["NeatMS"]),
    ("matrices", ["NeatMS"]),
]

let package = Package(
    name: "NeatMSKitFuzz",
    platforms: [.macOS(.v13)],
    dependencies: [.package(path: "..")],
    targets: [
        // The temporary file each input is written to, and the fixtures the harnesses load once.
        .target(name: "FuzzSupport")
    ]
        + harnesses.map { harness in
            .executableTarget(
                name: "fuzz-\(harness.name)",
                dependencies: ["FuzzSupport"] + harness.products.map { .product(name: $0, package: checkout) },
                path: "Sources/\(harness.name)")
        }
)
