import FuzzSupport
import Interchange

/// Keras full-model `.h5` files of every layout (Keras 2.2, tf.keras 2, Keras 3 legacy h5, h5py 2 strings), read
/// as `neatms convert`/`summary`/`predict --model` read them.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKerasH5(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    Fuzz.run(data, size, as: "model.h5") { _ = try ModelFile.load($0) }
}
