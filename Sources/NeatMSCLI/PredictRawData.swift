import Support
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
    ///
    /// With more than one core, the model is loaded on a background thread while the feature table and
    /// the first samples are read (the first forward pass waits for it); with one core it is loaded
    /// first. Errors keep their order either way: a table error first, then a model error (file, input
    /// shape, class count), then any later error.
    func runRawData(_ options: RawPredictionOptions, output: String, classes classOption: String?) throws {
        guard let raw = options.raw, let features = options.features, let format = options.format,
            let threshold = options.threshold
        else { throw ValidationError("the raw-data form needs --raw, --features, --format and --threshold") }
        let start = Date()
        let size = options.matrix.matrixSize
        let model = self.model
        // With --classes the names are known now; otherwise they are NeatMS's three labels, and the
        // loader refuses a model with another number of outputs (so `classes` is final once it succeeds).
        let classes = classOption.map(CommandSupport.classList) ?? CommandSupport.neatmsClasses
        try Diagnostics.reportingErrors { try CommandSupport.checkOutputs(output) }
        let network = BackgroundNetwork(background: Cores.available > 1) {
            let loadedModel = try CommandSupport.loadModel(model)
            let network = try Network(model: loadedModel)
            guard network.inputShape == [2, size, 1] else {
                throw CommandError(
                    file: model,
                    problem: "the model expects input \(network.inputShape), but --matrix-size \(size) gives (2, \(size), 1)")
            }
            let classCount = network.outputShape.reduce(1, *)
            guard classes.count == classCount else {
                throw ValidationError("model \(model) has \(classCount) outputs: give their names with --classes A,B,...")
            }
            return (loadedModel, network)
        }
        try Diagnostics.reportingErrors {
            let loaded: (Experiment, [String])
            do {
                loaded = try ExperimentOptions.load(raw: raw, features: features, format: format)
            } catch {
                network.waitUntilLoaded()  // no exit while the loader is inside libhdf5
                throw error
            }
            let (experiment, unused) = loaded
            do {
                try labelPeaks(
                    experiment, unused: unused, network: network, classes: classes, threshold: threshold,
                    options: options, output: output, start: start)
            } catch {
                _ = try network.network()  // a model error comes before any error of the data
                throw error
            }
        }
    }

    /// Names in the export options that match nothing (a typo would otherwise export nothing, or exclude
    /// nothing, without a word).
    private func warnAboutUnknownNames(
        _ export: ExportOptions, experiment: Experiment, classes: [String], manualLabels: Set<String>, features: String
    ) {
        let labels = Set(classes).union(manualLabels)
        for (option, names) in [("--export-classes", export.exportClasses), ("--min-group-classes", export.minGroupClasses)] {
            for name in names ?? [] where !labels.contains(name) {
                Diagnostics.warning("\(option): no peak can have the label '\(name)' (labels: \(labels.sorted().joined(separator: ", ")))")
            }
        }
        let samples = experiment.table.samples
        for name in export.unmatchedExclusions(samples: samples) {
            Diagnostics.warning("--exclude: '\(name)' is not a sample of \(features) (samples: \(samples.joined(separator: ", ")))")
        }
    }

    private func labelPeaks(
        _ experiment: Experiment, unused: [String], network: BackgroundNetwork, classes: [String],
        threshold: Double, options: RawPredictionOptions, output: String, start: Date
    ) throws {
        if !classes.contains(options.label) {
            _ = try network.network()  // a wrong model explains a missing class better
            throw CommandError(
                file: model,
                problem: "--label \(options.label) is not one of the model's classes \(classes.joined(separator: ", "))")
        }
        var annotations: [Int: String] = [:]
        if let path = options.annotations {
            let labels = try PeakLabels(url: URL(fileURLWithPath: path), table: experiment.table)
            for entry in labels.entries { annotations[entry.peak] = entry.label }
        }
        let exportOptions = try options.exportOptions()
        warnAboutUnknownNames(
            exportOptions, experiment: experiment, classes: classes, manualLabels: Set(annotations.values),
            features: options.features ?? "the table")
        let progress = SampleProgress(table: experiment.table)
        let batchSize = self.batchSize
        let size = options.matrix.matrixSize
        let classCount = classes.count
        network.instances = min(options.matrix.jobs, experiment.table.samples.count)
        let predictions = try experiment.predictPeaks(
            classes: classes, threshold: threshold, label: options.label, options: options.matrix.options,
            concurrency: options.matrix.jobs,
            predict: { matrices in
                let input = Tensor(shape: [matrices.count, 2, size, 1], scalars: matrices.values)
                let output = try network.predict(input, batchSize: batchSize)
                return (0..<matrices.count).map { Array(output[($0 * classCount)..<(($0 + 1) * classCount)]) }
            },
            progress: { matrices in
                let invalid = matrices.invalid.isEmpty ? "" : " (\(invalidSummary(matrices.invalid.map(\.reason))))"
                progress.report(matrices, extra: invalid)
            })
        _ = try network.network()  // checked even when no sample had a valid peak
        let csv = ResultsExport.csv(
            table: experiment.table, predictions: predictions, options: exportOptions,
            sampleCount: experiment.table.samples.count + unused.count, annotations: annotations)
        try ResultsExport.write(csv, to: URL(fileURLWithPath: output))
        let counts = predictions.labelCounts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        let rows = csv.utf8.reduce(0) { $1 == 0x0A ? $0 + 1 : $0 } - 1  // lines after the header
        printResult(
            "labelled \(predictions.labels.compactMap { $0 }.count) of \(experiment.table.peaks.count) peaks "
                + "(\(counts.joined(separator: ", "))) in \(experiment.table.samples.count) samples in "
                + String(format: "%.2f", Date().timeIntervalSince(start)) + " s; wrote \(rows) rows to \(output)\n")
    }
}

/// The network of `predict --raw`, loaded (and checked) on a background thread from creation on, so that
/// loading (~20 ms of CPU for NeatMS's model, mostly first-touch page faults, HDF5 and JSON) overlaps
/// reading the feature table and the first samples. `network()` waits for it. On one core a second thread
/// gains nothing and only costs switches, so there it loads in `init`.
///
/// The sample workers share it as a pool of up to `instances` copies of the network, one forward pass
/// per copy at a time: with several samples in flight, each worker runs its own passes on its own core
/// (a pass that waited for another's lock would leave that core idle, and a pass split across cores
/// cannot get a core that a worker is using to read a file); with one sample at a time, the one copy
/// splits its passes across every core.
final class BackgroundNetwork: @unchecked Sendable {
    private let condition = NSCondition()
    private var result: Result<(model: Model, network: Network), any Error>?
    private let pool = NSCondition()
    private var idle: [Network] = []
    private var made = 0
    /// How many copies passes may use at once (set before the first pass).
    var instances = 1

    /// Starts `load` on a new thread, or runs it now when `background` is false. `load` returns the
    /// model and a checked network built from it.
    init(background: Bool, load: @escaping @Sendable () throws -> (model: Model, network: Network)) {
        guard background else {
            result = Result { try load() }
            return
        }
        let thread = Thread { [self] in
            let loaded = Result { try load() }
            condition.lock()
            result = loaded
            condition.broadcast()
            condition.unlock()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Waits for the loader and returns its result.
    private func waitForResult() -> Result<(model: Model, network: Network), any Error> {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let result { return result }
            condition.wait()
        }
    }

    /// Waits until the loader has finished, whatever its outcome.
    func waitUntilLoaded() { _ = waitForResult() }

    /// The loaded network; rethrows the loader's error.
    func network() throws -> Network { try waitForResult().get().network }

    /// A copy of the network for one pass (waits for the loader, and for a free copy when all are busy).
    private func acquire() throws -> Network {
        let (model, first) = try waitForResult().get()
        let copies = max(1, instances)
        let threads = max(1, Cores.available / copies)
        pool.lock()
        while idle.isEmpty && made >= copies { pool.wait() }
        if let network = idle.popLast() {
            pool.unlock()
            return network
        }
        made += 1
        let isFirst = made == 1
        pool.unlock()
        let network: Network
        do {
            network = isFirst ? first : try Network(model: model)
        } catch {
            pool.lock()
            made -= 1
            pool.signal()
            pool.unlock()
            throw error
        }
        network.threads = threads
        return network
    }

    private func release(_ network: Network) {
        pool.lock()
        idle.append(network)
        pool.signal()
        pool.unlock()
    }

    /// One forward pass on a free copy of the network.
    func predict(_ input: Tensor, batchSize: Int) throws -> [Float] {
        let network = try acquire()
        defer { release(network) }
        return try network.predict(input, batchSize: batchSize).scalars
    }
}
