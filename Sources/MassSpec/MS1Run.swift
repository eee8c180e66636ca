import Foundation

/// All MS1 spectra of one run as a compact column store: one flat m/z array and one flat intensity array,
/// with `offsets` marking where each spectrum's points start.
///
/// Built while streaming the file (no per-spectrum arrays are allocated), so a whole run loads with a few
/// large allocations. Spectrum `i` owns the points `offsets[i] ..< offsets[i + 1]`.
public struct MS1Run: Sendable, Equatable {
    /// The file the run was read from (path as given).
    public var path: String
    /// Scan start time of each spectrum, in minutes, in file order.
    public var rt: [Double]
    /// Scan number of each spectrum: `Spectrum.scanNumber` when the id has one, else the spectrum's
    /// 0-based position in the file's `spectrumList`.
    public var scanNumbers: [Int]
    /// Each spectrum's 0-based position in the file's `spectrumList` (all MS levels counted).
    public var spectrumIndices: [Int]
    /// Each spectrum's `id` (nativeID).
    public var ids: [String]
    /// `count + 1` offsets into `mz` / `intensity`; `offsets[0] == 0`, `offsets[count] == mz.count`.
    public var offsets: [Int]
    /// The m/z values of all spectra, concatenated in file order.
    public var mz: [Double]
    /// The intensities of all spectra, concatenated in file order.
    public var intensity: [Double]

    /// An empty run for `path`.
    public init(path: String) {
        self.path = path
        rt = []
        scanNumbers = []
        spectrumIndices = []
        ids = []
        offsets = [0]
        mz = []
        intensity = []
    }

    /// Reads every MS1 spectrum of the mzML (or `.mzML.gz`) file at `url`, streaming.
    /// - Throws: `MzMLError` (including `.noSpectraOfLevel` when the file has no MS1 spectrum).
    public init(contentsOf url: URL) throws {
        self = try MzMLReader(url: url).readMS1Run()
    }

    /// Number of spectra.
    public var count: Int { rt.count }

    /// The range of spectrum `i`'s points in `mz` and `intensity`.
    public func pointRange(_ i: Int) -> Range<Int> { offsets[i]..<offsets[i + 1] }

    /// Spectrum `i` as a standalone `Spectrum` (copies its points).
    public func spectrum(_ i: Int) -> Spectrum {
        let range = pointRange(i)
        return Spectrum(
            index: spectrumIndices[i], id: ids[i], scanNumber: scanNumbers[i], msLevel: 1,
            retentionTimeMinutes: rt[i], mz: Array(mz[range]), intensity: Array(intensity[range]))
    }

    /// All spectra as standalone `Spectrum` values.
    public var spectra: [Spectrum] { (0..<count).map(spectrum) }
}
