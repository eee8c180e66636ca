import ArgumentParser
import Foundation
import NeatMS

/// `neatms dataset`: labelled peaks → PEAKS.h5 for `neatms train`.
struct DatasetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataset",
        abstract: "Build the labelled-peak file (PEAKS.h5) that neatms train reads.",
        discussion: """
            --labels is a CSV with the columns sample (raw file name), feature_id (MZmine: the 0-based \
            data row of the feature table; XCMS: the feature_id, or the 0-based row of an unaligned \
            peak), mz and rt (optional, for people; they pick the peak when a feature has several in a \
            sample) and label (e.g. High_quality, Low_quality, Noise). Line order is the labelling order. \
            Labelled peaks without a valid matrix are listed on stderr and kept in the file as invalid \
            (so batches are drawn exactly as NeatMS draws them).
            """)

    @OptionGroup var experiment: ExperimentOptions
    @OptionGroup var matrix: MatrixOptionGroup

    @Option(help: "The labels CSV (sample,feature_id,mz,rt,label).")
    var labels: String

    @Option(help: "Class names, comma-separated (default: the sorted labels of the file).")
    var classes: String?

    @Option(name: [.short, .long], help: "The PEAKS.h5 file to write.")
    var output: String

    func run() throws {
        try Diagnostics.reportingErrors {
            try CommandSupport.checkOutputs(output)
            let run = try experiment.load()
            let peakLabels = try PeakLabels(url: URL(fileURLWithPath: labels), table: run.table)
            let classList = classes.map(CommandSupport.classList)
            let (dataset, invalid) = try run.labelledDataset(
                labels: peakLabels, classes: classList, options: matrix.options, concurrency: matrix.jobs)
            for peak in invalid {
                Diagnostics.warning(
                    "\(labels):\(peak.line): \(peak.sample) feature \(peak.featureName) (\(peak.label)) has no valid matrix: \(peak.reason)"
                )
            }
            try dataset.write(to: URL(fileURLWithPath: output))
            var counts = [Int](repeating: 0, count: dataset.classes.count)
            for y in dataset.y { counts[y] += 1 }
            let perClass = zip(dataset.classes, counts).map { "\($0) \($1)" }.joined(separator: ", ")
            printResult(
                "wrote \(dataset.count) labelled peaks (\(perClass)) to \(output); "
                    + "\(invalid.count) labelled peak(s) without a valid matrix\n")
        }
    }
}
