import FuzzSupport
import Interchange

/// `.onnx` models (protobuf), read as `neatms` reads them.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzONNX(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    Fuzz.run(data, size, as: "model.onnx") { _ = try ModelFile.load($0) }
}
