import ArgumentParser
import Foundation
import NeatMS

/// `neatms extract`: the peak matrices of an experiment, one HDF5 group per sample.
struct ExtractCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Extract NeatMS peak matrices from raw mzML files and a feature table.",
        discussion: """
            Writes, per sample, a group named after the raw file holding X (N, 2, n, 1) float32 for the \
            valid peaks in NeatMS's order, and per peak peak_index_in_sample, feature_id, feature_row, \
            mz, RT_min, rt_start_min, rt_end_min, mz_min, mz_max, height, area and scan_number (the layout \
            of NeatMS's reference matrices), plus invalid_peak_index_in_sample. Progress goes to stderr.
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
            let totals = Totals()
            let start = Date()
            do {
                try run.extractMatrices(options: matrix.options, concurrency: matrix.jobs) { matrices in
                    try writer.add(MatrixFile.Sample(matrices, table: table))
                    totals.add(valid: matrices.count, invalid: matrices.invalid.map(\.reason))
                    let invalid = matrices.invalid.isEmpty ? "" : " (\(invalidSummary(matrices.invalid.map(\.reason))))"
                    progress.report(matrices, extra: invalid)
                }
                try writer.finish()
            } catch {
                writer.abandon()
                throw error
            }
            let seconds = Date().timeIntervalSince(start)
            printResult(
                "wrote \(totals.valid) matrices (\(totals.invalid.count) invalid peaks skipped) for "
                    + "\(table.samples.count) samples to \(output) in \(String(format: "%.2f", seconds)) s\n")
        }
    }
}

/// Counts collected from the per-sample callbacks.
final class Totals: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var valid = 0
    private(set) var invalid: [InvalidPeakReason] = []

    func add(valid: Int, invalid: [InvalidPeakReason]) {
        lock.lock()
        self.valid += valid
        self.invalid += invalid
        lock.unlock()
    }
}
