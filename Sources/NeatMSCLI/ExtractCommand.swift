import ArgumentParser
import Foundation
import NeatMS
import Support

/// `neatms extract`: the peak matrices of an experiment, one HDF5 group per sample.
struct ExtractCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Extract NeatMS peak matrices from raw mzML files and a feature table.",
        discussion: """
            Writes, per sample, a group named after the raw file holding X (N, 2, n, 1) float32 for the \
            valid peaks in NeatMS's order, and per peak peak_index_in_sample, feature_id, feature_row, \
            mz, RT_min, rt_start_min, rt_end_min, mz_min, mz_max, height, area and scan_number (times in \
            minutes), plus invalid_peak_index_in_sample (the peaks without a matrix). Progress goes to stderr.
            """)

    @OptionGroup var experiment: ExperimentOptions
    @OptionGroup var matrix: MatrixOptionGroup

    @Option(name: [.short, .long], help: "The HDF5 file to write.")
    var output: String

    func run() throws {
        try Diagnostics.reportingErrors {
            try CommandSupport.checkOutputs(output)
            let run = try experiment.load()
            let table = run.table
            let writer = try MatrixFile.Writer(
                url: URL(fileURLWithPath: output), options: matrix.options, tablePath: experiment.features,
                format: experiment.format)
            let progress = SampleProgress(table: table)
            let totals = Locked<(valid: Int, invalid: Int)>((0, 0))
            let start = Date()
            do {
                try run.extractMatrices(options: matrix.options, concurrency: matrix.jobs) { matrices in
                    try writer.add(MatrixFile.Sample(matrices, table: table))
                    totals.withLock { $0 = ($0.valid + matrices.count, $0.invalid + matrices.invalid.count) }
                    let invalid = matrices.invalid.isEmpty ? "" : " (\(invalidSummary(matrices.invalid.map(\.reason))))"
                    progress.report(matrices, extra: invalid)
                }
                try writer.finish()
            } catch {
                writer.abandon()
                throw error
            }
            let seconds = Date().timeIntervalSince(start)
            let (valid, invalid) = totals.current
            printResult(
                "wrote \(valid) matrices (\(invalid) invalid peaks skipped) for "
                    + "\(table.samples.count) samples to \(output) in \(String(format: "%.2f", seconds)) s\n")
        }
    }
}
