/// One mass spectrum as read from an mzML file.
public struct Spectrum: Sendable, Equatable {
    /// 0-based position of the spectrum in the file's `spectrumList` (all MS levels counted).
    public var index: Int
    /// The spectrum's `id` (nativeID), e.g. `controllerType=0 controllerNumber=1 scan=12`.
    public var id: String
    /// The scan number parsed from the id: `scan=N`, else `scanId=N`, `spectrum=N` or `index=N`, or a bare
    /// integer id (see `Spectrum.scanNumber(fromID:)`); nil when the id has none of these.
    public var scanNumber: Int?
    /// MS level (1 for survey scans).
    public var msLevel: Int
    /// Scan start time in minutes (converted from seconds when the file uses seconds).
    public var retentionTimeMinutes: Double
    /// Centroid (or profile) m/z values, ascending as stored.
    public var mz: [Double]
    /// Intensities, one per m/z value.
    public var intensity: [Double]
    /// True when the spectrum itself carries the "profile spectrum" term (MS:1000128) — the test pymzml, and
    /// so NeatMS, uses to decide whether to centroid it (a term reached only through a
    /// `referenceableParamGroupRef` does not count there, and does not here).
    public var isProfile: Bool

    public init(
        index: Int, id: String, scanNumber: Int?, msLevel: Int, retentionTimeMinutes: Double,
        mz: [Double], intensity: [Double], isProfile: Bool = false
    ) {
        self.index = index
        self.id = id
        self.scanNumber = scanNumber
        self.msLevel = msLevel
        self.retentionTimeMinutes = retentionTimeMinutes
        self.mz = mz
        self.intensity = intensity
        self.isProfile = isProfile
    }
}
