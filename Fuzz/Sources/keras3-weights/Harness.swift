import FuzzSupport
import Interchange
import KerasFormat

/// The architecture the Keras 3 weights seed (Fuzz/Seeds/keras3-weights, Scripts/fixtures/make_fuzz_seeds.py)
/// belongs to: a small Keras 3 model (26 kB of weights, not the 633 kB of NeatMS's reduced network), so that
/// inputs are small and fast.
let architecture = Fuzz.setUp("the architecture") {
    try ModelFile.load(Fuzz.fixture("random/random_1_keras3.keras")).model
}

/// Weights-only files (Keras 3 `.weights.h5`, and Keras 2 `save_weights` files, which the same function reads),
/// loaded into an architecture as `neatms convert --architecture` does; the input's size picks matching by order
/// or by name.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKeras3Weights(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    Fuzz.run(data, size, as: "model.weights.h5") {
        _ = try KerasWeightsFile.load($0, into: architecture, matching: size % 2 == 0 ? .byOrder : .byName)
    }
}
