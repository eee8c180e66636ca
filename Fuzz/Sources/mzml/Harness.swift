import FuzzSupport
import MassSpec

/// mzML files (plain or gzip-compressed, indexed or not, zlib/Numpress arrays, profile or centroid), read as
/// `neatms` reads each raw file of an experiment: every MS1 spectrum, profile spectra centroided. zlib's `gzread`
/// takes both plain and gzip input, so one file name serves both.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMzML(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    Fuzz.run(data, size, as: "run.mzML") {
        _ = try MzMLReader(url: $0).readMS1Run(keeping: nil, centroidingProfileSpectra: true)
    }
}
