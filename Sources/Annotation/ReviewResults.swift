import Foundation
import NeatMS

/// The labels `neatms predict --raw` gave (its results CSV, NeatMS's `export_csv` long layout), for review:
/// each row's peak and predicted label.
public struct PredictedLabels: Sendable, Equatable {
    /// Peaks in the file's row order, each with its predicted label.
    public var entries: [(peak: Int, label: String)]

    public static func == (a: Self, b: Self) -> Bool {
        a.entries.map(\.peak) == b.entries.map(\.peak) && a.entries.map(\.label) == b.entries.map(\.label)
    }

    /// Reads `path` and resolves each row (`feature ID` = NeatMS's feature ID, `sample` = the raw file name
    /// without extension) to a peak of `table`. A feature with several peaks in one sample (XCMS) gives its
    /// rows in the feature's peak order, as the export writes them.
    /// - Throws: `AnnotationError` naming the file and line of the first row that names no peak, or a
    ///   file without the columns `feature ID`, `sample`, `label`.
    public init(path: String, table: FeatureTable) throws {
        let csv: CSVFile
        do {
            csv = try CSVFile(url: URL(fileURLWithPath: path))
        } catch let error as TableError {
            throw AnnotationError(file: path, problem: error.message)
        }
        let header = csv.header.map { $0.trimmingCharacters(in: .whitespaces) }
        guard let featureColumn = header.firstIndex(of: "feature ID"),
            let sampleColumn = header.firstIndex(of: "sample"),
            let labelColumn = header.firstIndex(of: "label")
        else {
            throw AnnotationError(
                file: path,
                problem: "line 1: not a `neatms predict` results file (needs the columns feature ID, sample, label)")
        }
        var sampleOfStem: [String: Int] = [:]
        for (index, name) in table.samples.enumerated() {
            sampleOfStem[ResultsExport.sampleStem(name)] = index
            sampleOfStem[name] = index
        }
        var used: [Int: Int] = [:]
        entries = []
        for (row, fields) in csv.records.enumerated() {
            let line = csv.lineNumbers[row]
            func text(_ c: Int) -> String {
                c < fields.count ? String(decoding: fields[c], as: UTF8.self).trimmingCharacters(in: .whitespaces) : ""
            }
            let label = text(labelColumn)
            guard !label.isEmpty else { continue }  // a peak NeatMS did not label (invalid)
            guard let featureID = Int(text(featureColumn)), table.features.indices.contains(featureID) else {
                throw AnnotationError(
                    file: path, problem: "line \(line): feature ID '\(text(featureColumn))' is not in the feature table"
                )
            }
            guard let sample = sampleOfStem[text(sampleColumn)] else {
                throw AnnotationError(
                    file: path, problem: "line \(line): sample '\(text(sampleColumn))' is not in the feature table")
            }
            let candidates = table.features[featureID].peaks.filter { table.peaks[$0].sample == sample }
            let key = featureID * table.samples.count + sample
            let k = used[key, default: 0]
            guard k < candidates.count else {
                throw AnnotationError(
                    file: path,
                    problem: "line \(line): feature \(featureID) has no further peak in sample '\(text(sampleColumn))'")
            }
            used[key] = k + 1
            entries.append((candidates[k], label))
        }
    }
}
