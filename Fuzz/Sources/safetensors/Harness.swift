import FuzzSupport
import Interchange
import NeuralNet

/// The architectures of the safetensors seeds (Fixtures/onnx/*.h5), for files without a Keras config.
let architectures: [Model] = ["dense_only", "activations", "multichannel"].map { name in
    Fuzz.setUp("the architecture \(name)") { try ModelFile.load(Fuzz.fixture("onnx/\(name).h5")).model }
}

/// `.safetensors` files, read as `neatms convert` reads them: alone (the Keras config in the metadata), then
/// into each architecture (`--architecture`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    Fuzz.run(data, size, as: "model.safetensors") { url in
        _ = try? ModelFile.load(url)
        for architecture in architectures { _ = try? ModelFile.load(url, architecture: architecture) }
    }
}
