import FuzzSupport
import NeatMS

/// Peak-matrix files (ours, or NeatMS's reference): read as `neatms predict --matrices` reads them
/// (`MatrixInput`), then as whole sample groups (`MatrixFile`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMatrices(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    Fuzz.run(data, size, as: "matrices.h5") { url in
        _ = try? MatrixInput.readMatrices(url)
        _ = try MatrixFile.read(url)
    }
}
