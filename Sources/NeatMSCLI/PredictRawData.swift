import ArgumentParser
import Classification
import Foundation
import NeatMS
import Support

/// The raw-data form of `neatms predict`: mzML files + feature table → labelled results CSV.
struct RawPredictionOptions: ParsableArguments {
    @Option(help: "Raw-data form: folder of the raw mzML files.")
    var raw: String?

    @Option(
        help:
            "Raw-data form: the feature table (CSV, or a folder: MZmine 2 per-sample CSVs, OpenMS featureXML + consensusXML)."
    )
    var features: String?

    @Option(help: "Raw-data form: feature table format: mzmine, mzmine3, xcms or openms.")
    var format: FeatureTableFormat?

    @Option(
        help:
            "Raw-data form: the probability of --label at or above which a peak gets --label (0.22 for NeatMS's published model)."
    )
    var threshold: Double?

    @Option(help: "Raw-data form: the class the threshold applies to.")
    var label: String = "High_quality"

    /// The matrix options shared with `extract` and `dataset` (ArgumentParser validates them).
    @OptionGroup var matrix: MatrixOptionGroup

    /// What is written: the results CSV's filters and columns, the annotated table.
    @OptionGroup var export: ExportOptionGroup

    @Option(
        help:
            "Raw-data form: predict only these samples (raw file names, comma-separated) and write, to -o, their per-peak predictions for `neatms merge` instead of the results CSV."
    )
    var samples: String?

    var isRequested: Bool { raw != nil || features != nil || format != nil || threshold != nil || samples != nil }

    func validateRaw(output: String?) throws {
        guard raw != nil, features != nil, format != nil else {
            throw ValidationError("the raw-data form needs --raw, --features and --format")
        }
        guard let threshold else {
            throw ValidationError("the raw-data form needs --threshold (0.22 for NeatMS's default model)")
        }
        guard threshold.isFinite else { throw ValidationError("--threshold must be a number") }
        guard output != nil else { throw ValidationError("the raw-data form needs -o RESULTS.csv") }
        try export.validate()
        if samples != nil, export.annotateTable != nil {
            throw ValidationError(
                "--annotate-table needs every sample: give it to `neatms merge` when predicting with --samples")
        }
        if let samples, CommandSupport.classList(samples).isEmpty {
            throw ValidationError("--samples needs at least one name")
        }
    }
}

/// The results CSV's filters and columns (NeatMS's `export_csv` options) and the annotated table, shared by
/// `predict` and `merge`.
struct ExportOptionGroup: ParsableArguments {
    @Option(help: "Export only peaks with these labels, comma-separated (default: every label).")
    var exportClasses: String?

    @Option(help: "Keep a feature when at least --min-group-size of its peaks have one of these labels (default: any).")
    var minGroupClasses: String?

    @Option(help: "Peaks a feature needs (a value <= 1 is a fraction of the samples).")
    var minGroupSize: Double = 0

    @Option(help: "Samples to leave out of the export, comma-separated (raw file names).")
    var exclude: String?

    @Option(
        help:
            "Columns after feature ID and sample, comma-separated (rt, mz, height, area, label, peak_mz, peak_rt, peak_rt_start, peak_rt_end, peak_mz_min, peak_mz_max, area_bc, sn, rt_adjusted, rt_start_adjusted, rt_end_adjusted)."
    )
    var exportProperties: String = "rt,mz,height,area,label"

    @Option(help: "A labels CSV whose manual labels replace predictions in the export (NeatMS's use_annotation).")
    var annotations: String?

    @Option(
        help:
            "Also write the input feature table back in its own format with, per sample, the NeatMS label and each class probability added (a folder for a folder input)."
    )
    var annotateTable: String?

    @Flag(
        help:
            "With --annotate-table: leave out the rows (features) NeatMS's group rule rejects (--min-group-classes, --min-group-size, --exclude)."
    )
    var filter = false

    func exportOptions() throws -> ExportOptions {
        var properties: [ExportOptions.Property] = []
        for name in CommandSupport.classList(exportProperties) {
            guard let property = ExportOptions.Property(rawValue: name) else {
                throw ValidationError(
                    "--export-properties: unknown property '\(name)' (known: \(ExportOptions.Property.allCases.map(\.rawValue).joined(separator: ", ")))"
                )
            }
            properties.append(property)
        }
        return ExportOptions(
            exportClasses: exportClasses.map(CommandSupport.classList),
            minGroupClasses: minGroupClasses.map(CommandSupport.classList), minGroupSize: minGroupSize,
            exclude: exclude.map(CommandSupport.classList) ?? [], useAnnotation: annotations != nil,
            properties: properties)
    }

    func validate() throws {
        guard minGroupSize >= 0 else { throw ValidationError("--min-group-size must be >= 0") }
        if filter, annotateTable == nil {
            throw ValidationError("--filter applies to --annotate-table, which is missing")
        }
        _ = try exportOptions()
    }

    /// Writes the results CSV (and the annotated table when asked for); returns the CSV's data-row count.
    func writeResults(
        experiment: Experiment, format: FeatureTableFormat, predictions: PeakPredictions, unused: [String],
        annotations: [Int: String], output: String
    ) throws -> Int {
        let options = try exportOptions()
        let sampleCount = experiment.table.samples.count + unused.count
        let csv = ResultsExport.csv(
            table: experiment.table, predictions: predictions, options: options, sampleCount: sampleCount,
            annotations: annotations)
        try ResultsExport.write(csv, to: URL(fileURLWithPath: output))
        if let annotateTable {
            let rule = GroupRule(
                table: experiment.table, predictions: predictions, options: options, sampleCount: sampleCount,
                annotations: annotations)
            try AnnotatedTable.write(
                table: experiment.table, format: format, predictions: predictions, rule: rule, filter: filter,
                to: URL(fileURLWithPath: annotateTable))
        }
        return csv.utf8.reduce(0) { $1 == 0x0A ? $0 + 1 : $0 } - 1  // lines after the header
    }

    /// Manual labels per peak from --annotations.
    func manualLabels(table: FeatureTable) throws -> [Int: String] {
        var labels: [Int: String] = [:]
        if let path = annotations {
            for entry in try PeakLabels(url: URL(fileURLWithPath: path), table: table).entries {
                labels[entry.peak] = entry.label
            }
        }
        return labels
    }
}

extension PredictCommand {
    /// Runs the raw-data form: matrices per sample (in parallel), the network on each sample's batch,
    /// NeatMS's labels and the long-format export (docs/NEATMS-BEHAVIOUR.md#prediction, #export).
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
        var made: NetworkClassifier?
        try Diagnostics.reportingErrors {
            try CommandSupport.checkOutputs(output, options.samples == nil ? options.export.annotateTable : nil)
            made = try CommandSupport.classifier(
                model: model, classes: classOption, matrixSize: options.matrix.matrixSize,
                matrices: "the raw data (--matrix-size \(options.matrix.matrixSize))", batchSize: batchSize)
        }
        guard let classifier = made else { return }
        try Diagnostics.reportingErrors {
            let loaded: (Experiment, [String])
            do {
                loaded = try ExperimentOptions.load(raw: raw, features: features, format: format)
            } catch {
                classifier.waitUntilLoaded()  // no exit while the loader is inside libhdf5
                throw error
            }
            let (experiment, unused) = loaded
            do {
                try labelPeaks(
                    experiment, unused: unused, classifier: classifier, threshold: threshold, options: options,
                    output: output, start: start)
            } catch {
                try classifier.checkLoaded()  // a model error comes before any error of the data
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
        for (option, names) in [
            ("--export-classes", export.exportClasses), ("--min-group-classes", export.minGroupClasses),
        ] {
            for name in names ?? [] where !labels.contains(name) {
                Diagnostics.warning(
                    "\(option): no peak can have the label '\(name)' (labels: \(labels.sorted().joined(separator: ", ")))"
                )
            }
        }
        let samples = experiment.table.samples
        for name in export.unmatchedExclusions(samples: samples) {
            Diagnostics.warning(
                "--exclude: '\(name)' is not a sample of \(features) (samples: \(samples.joined(separator: ", ")))")
        }
    }

    private func labelPeaks(
        _ experiment: Experiment, unused: [String], classifier: NetworkClassifier, threshold: Double,
        options: RawPredictionOptions, output: String, start: Date
    ) throws {
        let classes = classifier.classes
        if !classes.contains(options.label) {
            try classifier.checkLoaded()  // a wrong model explains a missing class better
            throw CommandError(
                file: model,
                problem: "--label \(options.label) is not one of the model's classes \(classes.joined(separator: ", "))"
            )
        }
        let annotations = try options.export.manualLabels(table: experiment.table)
        let exportOptions = try options.export.exportOptions()
        warnAboutUnknownNames(
            exportOptions, experiment: experiment, classes: classes, manualLabels: Set(annotations.values),
            features: options.features ?? "the table")
        var chosen: [Int]? = nil
        if let names = options.samples {
            chosen = try CommandSupport.classList(names).compactMap { name -> Int? in
                let tableName = name.hasSuffix(".gz") ? String(name.dropLast(3)) : name
                guard let index = experiment.table.sampleIndex(name) ?? experiment.table.sampleIndex(tableName) else {
                    if unused.contains(name) {
                        Diagnostics.warning(
                            "--samples: the raw file \(name) has no peaks in the table; nothing to predict")
                        return nil
                    }
                    throw CommandError(
                        file: options.features ?? "the table",
                        problem:
                            "--samples: '\(name)' is not a sample of the table (samples: \(experiment.table.samples.joined(separator: ", ")))"
                    )
                }
                return index
            }
        }
        let progress = SampleProgress(table: experiment.table)
        let predictions = try experiment.predictPeaks(
            classifier: classifier, threshold: threshold, label: options.label, options: options.matrix.options,
            concurrency: options.matrix.jobs,
            // One network call per sample, as a run over all samples makes when it does not stream, so that
            // merged probabilities equal that run's bit for bit.
            streaming: chosen == nil ? nil : false, samples: chosen,
            progress: { matrices in
                let invalid = matrices.invalid.isEmpty ? "" : " (\(invalidSummary(matrices.invalid.map(\.reason))))"
                progress.report(matrices, extra: invalid)
            })
        try classifier.checkLoaded()  // checked even when no sample had a valid peak
        let labelled = predictions.labels.compactMap { $0 }.count
        let counts = predictions.labelCounts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        let seconds = String(format: "%.2f", Date().timeIntervalSince(start))
        if let chosen {
            let text = SamplePredictions.csv(predictions, table: experiment.table, samples: chosen)
            try CommandSupport.writeAtomically(Data(text.utf8), to: output)
            printResult(
                "labelled \(labelled) peaks (\(counts.joined(separator: ", "))) of \(chosen.count) sample(s) in \(seconds) s; "
                    + "wrote their predictions to \(output) (for neatms merge)\n")
            return
        }
        let rows = try options.export.writeResults(
            experiment: experiment, format: options.format ?? .mzmine, predictions: predictions, unused: unused,
            annotations: annotations, output: output)
        printResult(
            "labelled \(labelled) of \(experiment.table.peaks.count) peaks "
                + "(\(counts.joined(separator: ", "))) in \(experiment.table.samples.count) samples in "
                + "\(seconds) s; wrote \(rows) rows to \(output)\(options.export.annotateTable.map { " and the annotated table to \($0)" } ?? "")\n"
        )
    }
}
