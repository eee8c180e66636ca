import FuzzSupport
import NeatMS

/// PEAKS.h5 labelled-peak files, read as `neatms train` and `neatms threshold` read `--data`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPeaksH5(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    Fuzz.run(data, size, as: "PEAKS.h5") { _ = try PeakDataset.read($0) }
}
