import ArgumentParser
import Foundation
import NeatMS
import NeuralNet
import Tensor

/// The raw-data form of `neatms predict`: mzML files + feature table → labelled results CSV.
struct RawPredictionOptions: ParsableArguments {
    @Option(help: "Raw-data form: folder of the raw mzML files.")
    var raw: String?

    @Option(help: "Raw-data form: the feature table (CSV, or for MZmine a folder of per-sample CSVs).")
    var features: String?

    @Option(help: "Raw-data form: feature table format, mzmine or xcms.")
    var format: FeatureTableFormat?

    @Option(help: "Raw-data form: P(label) at or above which a peak gets --label (NeatMS's default model: 0.22).")
    var threshold: Double?

    @Option(help: "Raw-data form: the class the threshold applies to.")
    var label: String = "High_quality"

    /// The matrix options shared with `extract` and `dataset` (ArgumentParser validates them).
    @OptionGroup var matrix: MatrixOptionGroup

    @Option(help: "Export only peaks with these labels, comma-separated (default: every label).")
    var exportClasses: String?

    @Option(help: "Keep a feature when at least --min-group-size of its peaks have one of these labels (default: any).")
    var minGroupClasses: String?

    @Option(help: "Peaks a feature needs (a value <= 1 is a fraction of the samples; default 0).")
    var minGroupSize: Double = 0

    @Option(help: "Samples to leave out of the export, comma-separated (raw file names).")
    var exclude: String?

    @Option(help: "Columns after feature ID and sample, comma-separated (rt, mz, height, area, label, peak_mz, peak_rt, peak_rt_start, peak_rt_end, peak_mz_min, peak_mz_max, area_bc, sn, rt_adjusted, rt_start_adjusted, rt_end_adjusted).")
    var exportProperties: String = "rt,mz,height,area,label"

    @Option(help: "A labels CSV whose manual labels replace predictions in the export (NeatMS's use_annotation).")
    var annotations: String?

    var isRequested: Bool { raw != nil || features != nil || format != nil || threshold != nil }

    func exportOptions() throws -> ExportOptions {
        var properties: [ExportOptions.Property] = []
        for name in CommandSupport.classList(exportProperties) {
            guard let property = ExportOptions.Property(rawValue: name) else {
                throw ValidationError(
                    "--export-properties: unknown property '\(name)' (known: \(ExportOptions.Property.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            properties.append(property)
        }
        return ExportOptions(
            exportClasses: exportClasses.map(CommandSupport.classList),
            minGroupClasses: minGroupClasses.map(CommandSupport.classList), minGroupSize: minGroupSize,
            exclude: exclude.map(CommandSupport.classList) ?? [], useAnnotation: annotations != nil,
            properties: properties)
    }

    func validateRaw(output: String?) throws {
        guard raw != nil, features != nil, format != nil else {
            throw ValidationError("the raw-data form needs --raw, --features and --format")
        }
        guard let threshold else { throw ValidationError("the raw-data form needs --threshold (0.22 for NeatMS's default model)") }
        guard threshold.isFinite else { throw ValidationError("--threshold must be a number") }
        guard output != nil else { throw ValidationError("the raw-data form needs -o RESULTS.csv") }
        guard minGroupSize >= 0 else { throw ValidationError("--min-group-size must be >= 0") }
        _ = try exportOptions()
    }
}

extension PredictCommand {
    /// Runs the raw-data form: matrices per sample (in parallel), the network on each sample's batch,
    /// NeatMS's labels (REFERENCE §6) and the long-format export (§7).
    func runRawData(_ options: RawPredictionOptions, output: String, classes classOption: String?) throws {
        guard let raw = options.raw, let features = options.features, let format = options.format,
            let threshold = options.threshold
        else { throw ValidationError("the raw-data form needs --raw, --features, --format and --threshold") }
        try Diagnostics.reportingErrors(paths: [model, raw, features, output]) {
            let (experiment, unused) = try ExperimentOptions.load(raw: raw, features: features, format: format)
            let network = try Network(model: try CommandSupport.loadModel(model))
            let size = options.matrix.matrixSize
            guard network.inputShape == [2, size, 1] else {
                throw CommandError(
                    file: model,
                    problem: "the model expects input \(network.inputShape), but --matrix-size \(size) gives (2, \(size), 1)")
            }
            let classCount = network.outputShape.reduce(1, *)
            let classes = classOption.map(CommandSupport.classList)
                ?? (classCount == CommandSupport.neatmsClasses.count ? CommandSupport.neatmsClasses : [])
            guard classes.count == classCount else {
                throw ValidationError("model \(model) has \(classCount) outputs: give their names with --classes A,B,...")
            }
            var annotations: [Int: String] = [:]
            if let path = options.annotations {
                let labels = try PeakLabels(url: URL(fileURLWithPath: path), table: experiment.table)
                for entry in labels.entries { annotations[entry.peak] = entry.label }
            }
            let exportOptions = try options.exportOptions()
            let progress = SampleProgress(table: experiment.table)
            let guarded = GuardedNetwork(network)
            let batchSize = self.batchSize
            let start = Date()
            let predictions = try experiment.predictPeaks(
                classes: classes, threshold: threshold, label: options.label, options: options.matrix.options,
                concurrency: options.matrix.jobs,
                predict: { matrices in
                    let input = Tensor(shape: [matrices.count, 2, size, 1], scalars: matrices.values)
                    let output = try guarded.predict(input, batchSize: batchSize)
                    return (0..<matrices.count).map { Array(output[($0 * classCount)..<(($0 + 1) * classCount)]) }
                },
                progress: { matrices in
                    let invalid = matrices.invalid.isEmpty ? "" : " (\(invalidSummary(matrices.invalid.map(\.reason))))"
                    progress.report(matrices, extra: invalid)
                })
            let csv = ResultsExport.csv(
                table: experiment.table, predictions: predictions, options: exportOptions,
                sampleCount: experiment.table.samples.count + unused.count, annotations: annotations)
            try ResultsExport.write(csv, to: URL(fileURLWithPath: output))
            let counts = predictions.labelCounts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            let rows = csv.split(separator: "\n").count - 1
            printResult(
                "labelled \(predictions.labels.compactMap { $0 }.count) of \(experiment.table.peaks.count) peaks "
                    + "(\(counts.joined(separator: ", "))) in \(experiment.table.samples.count) samples in "
                    + String(format: "%.2f", Date().timeIntervalSince(start)) + " s; wrote \(rows) rows to \(output)\n")
        }
    }
}

/// The network shared by the sample workers: one forward pass at a time (the engine parallelises
/// inside a pass).
final class GuardedNetwork: @unchecked Sendable {
    private let network: Network
    private let lock = NSLock()

    init(_ network: Network) { self.network = network }

    func predict(_ input: Tensor, batchSize: Int) throws -> [Float] {
        lock.lock()
        defer { lock.unlock() }
        return try network.predict(input, batchSize: batchSize).scalars
    }
}
