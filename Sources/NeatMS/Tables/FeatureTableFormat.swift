import Foundation

/// The peak-detection tool that wrote a feature table.
public enum FeatureTableFormat: String, Sendable, CaseIterable, CustomStringConvertible {
    /// MZmine 2 wide CSV: one aligned file, or a folder with one CSV per sample.
    case mzmine
    /// XCMS long CSV (`chromPeaks` plus `sample_name`, optionally `feature_id`); times in seconds.
    case xcms
    /// MZmine 3 CSV export (`id`, `mz`, `rt`, `datafile:<file>:…` columns).
    case mzmine3
    /// OpenMS: a folder of `<raw file stem>.featureXML` files and, for aligned data, one `.consensusXML`.
    case openms

    public var description: String { rawValue }
}
