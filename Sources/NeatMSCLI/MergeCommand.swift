import ArgumentParser
import Foundation
import NeatMS

/// `neatms merge`: the per-sample predictions of `predict --samples` → the results CSV (and annotated table).
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge the per-sample predictions of `neatms predict --samples` into the results CSV.",
        discussion: """
            Give the experiment (--raw, --features, --format, as given to predict) and every predictions \
            file; the results CSV (and, with --annotate-table, the annotated table) is byte for byte what \
            one `neatms predict --raw …` over all samples writes with the same export options. This is \
            the merge step of workflow/Snakefile (one predict per sample in parallel, then one merge).
            """)

    /// `--raw`, `--features`, `--format`, as given to predict (the raw folder's file count is the base of a
    /// fractional --min-group-size).
    @OptionGroup var experiment: ExperimentOptions

    @OptionGroup var export: ExportOptionGroup

    @Option(name: [.short, .long], help: "The results CSV.")
    var output: String

    @Argument(help: "Predictions files written by `neatms predict --samples … -o FILE`.")
    var predictions: [String]

    func validate() throws {
        guard !predictions.isEmpty else { throw ValidationError("give at least one predictions file") }
        try export.validate()
    }

    func run() throws {
        let (raw, features, format) = (experiment.raw, experiment.features, experiment.format)
        try Diagnostics.reportingErrors {
            try CommandSupport.checkOutputs(output, export.annotateTable)
            let (experiment, unused) = try ExperimentOptions.load(raw: raw, features: features, format: format)
            let (merged, covered) = try SamplePredictions.merge(
                predictions.map { URL(fileURLWithPath: $0) }, table: experiment.table)
            let annotations = try export.manualLabels(table: experiment.table)
            let rows = try export.writeResults(
                experiment: experiment, format: format, predictions: merged, unused: unused, annotations: annotations,
                output: output)
            let labelled = merged.labels.compactMap { $0 }.count
            printResult(
                "merged \(labelled) labelled peaks of \(covered.count) of \(experiment.table.samples.count) samples from "
                    + "\(predictions.count) file(s); wrote \(rows) rows to \(output)"
                    + (export.annotateTable.map { " and the annotated table to \($0)" } ?? "") + "\n")
        }
    }
}
