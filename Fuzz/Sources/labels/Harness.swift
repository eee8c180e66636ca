import FuzzSupport
import NeatMS

/// The feature table the labels seed refers to (Fixtures/demo).
let table = Fuzz.setUp("the demo table") {
    try FeatureTable.read(Fuzz.fixture("demo/tables/mzmine_aligned.csv"), format: .mzmine)
}

/// Labels CSV files (`sample,feature_id,mz,rt,label`), resolved against a table as `neatms dataset` does.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLabels(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    Fuzz.run(data, size, as: "labels.csv") { _ = try PeakLabels(url: $0, table: table) }
}
