import Foundation

/// The predictions of some samples of an experiment, as `predict --samples` writes them and `neatms merge`
/// reads them back: one CSV row per valid peak,
/// `sample,peak_index_in_sample,label,<class 1>,<class 2>,…` (the raw file name, the peak's position in
/// that sample's peak list as the table gives it, the label, and each class probability written as the
/// shortest text that reads back to the same Float). Merging the files of all samples gives exactly the
/// predictions one process makes.
public enum SamplePredictions {
    /// The CSV text of `predictions` for `samples` (indices into `table.samples`), samples in the order given.
    public static func csv(_ predictions: PeakPredictions, table: FeatureTable, samples: [Int]) -> String {
        var text =
            (["sample", "peak_index_in_sample", "label"] + predictions.classes).map(ResultsExport.csvField)
            .joined(separator: ",") + "\n"
        for sample in samples {
            let name = ResultsExport.csvField(table.samples[sample])
            for (position, peak) in table.peaksBySample[sample].enumerated() {
                guard let label = predictions.labels[peak], let probabilities = predictions.probabilities[peak] else {
                    continue
                }
                text += name + "," + String(position) + "," + ResultsExport.csvField(label)
                for p in probabilities { text += "," + "\(p)" }
                text += "\n"
            }
        }
        return text
    }

    /// Reads prediction files of `table`'s samples and merges them.
    /// - Throws: `TableError` naming the file and line: a header whose classes differ from the first
    ///   file's, an unknown sample, a peak position outside the sample's peak list, a peak given twice, a
    ///   probability that is not a number.
    public static func merge(_ urls: [URL], table: FeatureTable) throws -> (
        predictions: PeakPredictions, samples: Set<Int>
    ) {
        var predictions: PeakPredictions?
        var covered: Set<Int> = []
        for url in urls {
            let csv = try CSVFile(url: url)
            let header = csv.header.map { $0.trimmingCharacters(in: .whitespaces) }
            guard header.count >= 4, Array(header.prefix(3)) == ["sample", "peak_index_in_sample", "label"] else {
                throw TableError(
                    file: csv.path, line: 1,
                    message:
                        "not a predictions file of `neatms predict --samples` (expected sample,peak_index_in_sample,label,<classes>)"
                )
            }
            let classes = Array(header.dropFirst(3))
            if predictions == nil { predictions = PeakPredictions(classes: classes, peakCount: table.peaks.count) }
            guard var merged = predictions else { continue }
            guard merged.classes == classes else {
                throw TableError(
                    file: csv.path, line: 1,
                    message:
                        "classes \(classes.joined(separator: ",")) differ from \(merged.classes.joined(separator: ",")) of \(urls[0].path)"
                )
            }
            try TableValues.checkFieldCounts(csv)
            var samplesHere: Set<Int> = []
            for row in 0..<csv.records.count {
                let line = csv.lineNumbers[row]
                let name = csv.text(row, 0)
                guard let sample = table.sampleIndex(name) else {
                    throw TableError(
                        file: csv.path, line: line,
                        message: "sample '\(name)' is not in the feature table \(table.path)")
                }
                guard !covered.contains(sample) else {
                    throw TableError(
                        file: csv.path, line: line, message: "sample '\(name)' is also in another predictions file")
                }
                samplesHere.insert(sample)
                let peaks = table.peaksBySample[sample]
                guard let position = Int(csv.text(row, 1)), peaks.indices.contains(position) else {
                    throw TableError(
                        file: csv.path, line: line,
                        message:
                            "peak_index_in_sample '\(csv.text(row, 1))' is not a peak of '\(name)' (it has \(peaks.count))"
                    )
                }
                let peak = peaks[position]
                guard merged.labels[peak] == nil else {
                    throw TableError(
                        file: csv.path, line: line, message: "peak \(position) of '\(name)' is given twice")
                }
                var probabilities: [Float] = []
                for c in 3..<(3 + classes.count) {
                    guard let value = Float(csv.text(row, c).trimmingCharacters(in: .whitespaces)) else {
                        throw TableError(
                            file: csv.path, line: line, message: "'\(csv.text(row, c))' is not a probability")
                    }
                    probabilities.append(value)
                }
                merged.labels[peak] = csv.text(row, 2)
                merged.probabilities[peak] = probabilities
            }
            covered.formUnion(samplesHere)
            predictions = merged
        }
        guard let predictions else {
            throw TableError(file: table.path, line: nil, message: "no predictions file given")
        }
        return (predictions, covered)
    }
}
