import Foundation
import MassSpec
import Support

/// Manual peak labels, the training input of NeatMSKit (what NeatMS's annotation tool records).
///
/// ## The labels CSV
/// A comma-separated file with a header line; column order is free and other columns are ignored:
///
/// | column | meaning |
/// | --- | --- |
/// | `sample` | the raw file name, exactly as in the feature table (`sample_1.mzML`) |
/// | `feature_id` | the feature: for MZmine tables the 0-based data row (the first row under the header is 0; in a folder of per-sample tables, rows count on through the files in name order); for XCMS tables the `feature_id` value, or the 0-based data row for unaligned peaks |
/// | `mz`, `rt` | optional: the peak's m/z and apex RT in minutes, for people reading the file; when a feature has several peaks in the sample (XCMS), the peak nearest to them is chosen |
/// | `label` | the class, e.g. `High_quality`, `Low_quality`, `Noise` |
///
/// ```
/// sample,feature_id,mz,rt,label
/// sample_1.mzML,0,110.7051,2.768,High_quality
/// sample_1.mzML,1,571.8274,3.277,Noise
/// ```
/// The order of the lines is the labelling order (it feeds NeatMS's shuffles, see `Batches`). A peak
/// labelled twice, an unknown sample or feature, or a feature without a peak in that sample is an error
/// naming the line.
public struct PeakLabels: Sendable, Equatable {
    /// One labelled peak.
    public struct Entry: Sendable, Equatable {
        /// Index into `FeatureTable.peaks`.
        public var peak: Int
        /// The label as written.
        public var label: String
        /// The labels file line.
        public var line: Int
    }

    /// Labelled peaks in file order.
    public var entries: [Entry]
    /// The labels file.
    public var path: String

    /// Reads `url` and resolves each line to a peak of `table`.
    /// - Throws: `TableError` naming the file and line.
    public init(url: URL, table: FeatureTable) throws {
        let csv = try CSVFile(url: url)
        let header = csv.header.map { $0.trimmingCharacters(in: .whitespaces) }
        func column(_ name: String) -> Int? { header.firstIndex(of: name) }
        let missing = ["sample", "feature_id", "label"].filter { column($0) == nil }
        guard missing.isEmpty else {
            throw TableError(
                file: csv.path, line: 1,
                message: "missing column(s) \(missing.joined(separator: ", ")) (expected sample,feature_id,mz,rt,label)"
            )
        }
        let sampleColumn = column("sample") ?? 0
        let featureColumn = column("feature_id") ?? 0
        let labelColumn = column("label") ?? 0
        let featureByName = Self.featureIndex(table)
        var seen: [Int: Int] = [:]
        entries = []
        path = csv.path
        for row in 0..<csv.records.count {
            let line = csv.lineNumbers[row]
            let fields = csv.records[row]
            func text(_ c: Int) -> String {
                c < fields.count ? String(decoding: fields[c], as: UTF8.self).trimmingCharacters(in: .whitespaces) : ""
            }
            let sampleName = text(sampleColumn)
            let featureName = text(featureColumn)
            let label = text(labelColumn)
            guard !label.isEmpty else { throw TableError(file: csv.path, line: line, message: "empty label") }
            let chosen: Int
            switch Self.peak(
                sample: sampleName, feature: featureName, mz: column("mz").map(text), rt: column("rt").map(text),
                in: table, featureByName: featureByName)
            {
            case .success(let peak): chosen = peak
            case .failure(let problem): throw TableError(file: csv.path, line: line, message: problem.message)
            }
            if let previous = seen[chosen] {
                throw TableError(
                    file: csv.path, line: line, message: "this peak is already labelled on line \(previous)")
            }
            seen[chosen] = line
            entries.append(Entry(peak: chosen, label: label, line: line))
        }
    }

    /// Why a labels line names no peak of the table (`message` is the line's problem).
    public struct LookupProblem: Error, Sendable, Equatable {
        public var message: String
    }

    /// The peak a labels line names: `sample` (raw file name), `feature` (the table's feature name, or a
    /// number equal to it), and optionally `mz` / `rt` (text), which choose among several peaks of the
    /// feature in the sample (the nearest, m/z weighted 1000 to 1 against minutes).
    /// - Parameter featureByName: `Feature.name` → `Feature.id` for `table` (built once by the caller).
    public static func peak(
        sample sampleName: String, feature featureName: String, mz mzText: String?, rt rtText: String?,
        in table: FeatureTable, featureByName: [String: Int]
    ) -> Result<Int, LookupProblem> {
        guard let sample = table.sampleIndex(sampleName) else {
            return .failure(LookupProblem(message: "sample '\(sampleName)' is not in the feature table"))
        }
        guard let featureID = featureByName[featureName] ?? Self.numericMatch(featureName, featureByName) else {
            return .failure(LookupProblem(message: "feature '\(featureName)' is not in the feature table"))
        }
        let candidates = table.features[featureID].peaks.filter { table.peaks[$0].sample == sample }
        guard var chosen = candidates.first else {
            return .failure(LookupProblem(message: "feature '\(featureName)' has no peak in sample '\(sampleName)'"))
        }
        if candidates.count > 1 {
            let mz = mzText.flatMap { DecimalParsing.neatMSDouble(Array($0.utf8)) }
            let rt = rtText.flatMap { DecimalParsing.neatMSDouble(Array($0.utf8)) }
            guard mz != nil || rt != nil else {
                return .failure(
                    LookupProblem(
                        message:
                            "feature '\(featureName)' has \(candidates.count) peaks in '\(sampleName)': give mz and rt to choose"
                    ))
            }
            func distance(_ index: Int) -> Double {
                let peak = table.peaks[index]
                let dm = mz.map { abs(($0 - (peak.mz ?? .infinity))) } ?? 0
                let dr = rt.map { abs(($0 - (peak.rt ?? .infinity))) } ?? 0
                return dm * 1000 + dr
            }
            chosen = candidates.min { distance($0) < distance($1) } ?? chosen
        }
        return .success(chosen)
    }

    /// `Feature.name` → `Feature.id` for `table`, the index `peak(sample:feature:mz:rt:in:featureByName:)` takes.
    public static func featureIndex(_ table: FeatureTable) -> [String: Int] {
        var featureByName: [String: Int] = [:]
        for feature in table.features { featureByName[feature.name] = feature.id }
        return featureByName
    }

    /// "7.0" or "007" for feature "7".
    private static func numericMatch(_ name: String, _ byName: [String: Int]) -> Int? {
        guard let value = Double(name), value == value.rounded(), abs(value) < 1e15 else { return nil }
        return byName[String(Int(value))]
    }

    /// The classes: the sorted distinct labels (NeatMS's `label_list`).
    public var classes: [String] { Array(Set(entries.map(\.label))).sorted() }
}
