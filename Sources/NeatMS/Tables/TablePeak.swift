import Foundation

/// One chromatographic peak of one sample, as given by the feature table. Times are in minutes.
///
/// Missing values (empty cells, `NA`, and MZmine's `0` = absent) are `nil`.
public struct TablePeak: Sendable, Equatable {
    /// Index of the peak's sample in `FeatureTable.samples`.
    public var sample: Int
    /// The feature (aligned group) the peak belongs to: an index into `FeatureTable.features`, which is
    /// also NeatMS's `feature ID` in exported tables.
    public var feature: Int
    /// Peak m/z and apex retention time.
    public var mz: Double?
    public var rt: Double?
    /// Retention-time window of the peak.
    public var rtStart: Double?
    public var rtEnd: Double?
    /// m/z window of the peak.
    public var mzMin: Double?
    public var mzMax: Double?
    /// Height (MZmine `Peak height`, XCMS `maxo`) and area (MZmine `Peak area`, XCMS `into`).
    public var height: Double?
    public var area: Double?
    /// XCMS only: `intb`, `sn`, and the retention-time-corrected `rt_adjusted`, `rtmin_adjusted`,
    /// `rtmax_adjusted` (minutes). NeatMS keeps them for export and extracts with the raw times.
    public var areaBaselineCorrected: Double?
    public var signalToNoise: Double?
    public var rtAdjusted: Double?
    public var rtStartAdjusted: Double?
    public var rtEndAdjusted: Double?
    /// The feature's m/z and retention time as NeatMS exports them with this peak (MZmine: the row's
    /// `row m/z` / `row retention time`; XCMS: the peak's own values).
    public var featureMZ: Double?
    public var featureRT: Double?
    /// The table line the peak was read from.
    public var location: TableLocation
    /// 0-based index of that line among the file's data rows (the MZmine feature row; the XCMS peak row).
    public var dataRow: Int

    public init(sample: Int, feature: Int, location: TableLocation, dataRow: Int) {
        self.sample = sample
        self.feature = feature
        self.location = location
        self.dataRow = dataRow
    }

    /// The extraction window, when all four edges are present.
    public var window: PeakWindow? {
        guard let rtStart, let rtEnd, let mzMin, let mzMax else { return nil }
        return PeakWindow(rtStart: rtStart, rtEnd: rtEnd, mzMin: mzMin, mzMax: mzMax)
    }
}

/// The retention-time (minutes) and m/z window of a peak.
public struct PeakWindow: Sendable, Equatable {
    public var rtStart: Double
    public var rtEnd: Double
    public var mzMin: Double
    public var mzMax: Double

    public init(rtStart: Double, rtEnd: Double, mzMin: Double, mzMax: Double) {
        self.rtStart = rtStart
        self.rtEnd = rtEnd
        self.mzMin = mzMin
        self.mzMax = mzMax
    }
}

/// A feature: peaks of one compound aligned across samples (one peak per sample, or, in XCMS tables,
/// possibly several).
public struct Feature: Sendable, Equatable {
    /// NeatMS's feature ID: features are numbered 0, 1, 2, … in the order NeatMS creates them (MZmine: table
    /// rows holding at least one peak, in row order; XCMS: unaligned peaks in table order, then aligned
    /// features by sorted `feature_id`).
    public var id: Int
    /// The table's own name for the feature: the 0-based data row (MZmine) or the `feature_id` (XCMS; the
    /// 0-based data row for unaligned peaks).
    public var name: String
    /// Indices into `FeatureTable.peaks`, in NeatMS's order (by sample, as NeatMS lists them).
    public var peaks: [Int]

    public init(id: Int, name: String, peaks: [Int]) {
        self.id = id
        self.name = name
        self.peaks = peaks
    }
}
