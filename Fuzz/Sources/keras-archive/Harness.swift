import FuzzSupport
import Interchange

/// Keras 3 `.keras` archives (zip: config.json, metadata.json, model.weights.h5), read as `neatms` reads them.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKerasArchive(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    Fuzz.run(data, size, as: "model.keras") { _ = try ModelFile.load($0) }
}
