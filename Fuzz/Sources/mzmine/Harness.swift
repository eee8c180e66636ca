import FuzzSupport
import NeatMS

/// Feature tables in the `--format mzmine` layout, read as `neatms` reads `--features`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTable(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    Fuzz.run(data, size, as: "table.csv") { _ = try FeatureTable.read($0, format: .mzmine) }
}
