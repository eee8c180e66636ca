import ArgumentParser
import Foundation
import NeatMS

/// `neatms predict --model MODEL --matrices FILE.h5`: class probabilities of stored peak matrices.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict class probabilities for peak matrices, or label the peaks of raw data, with a model.",
        discussion: """
            Raw-data form: --raw DIR --features TABLE --format mzmine|mzmine3|xcms|openms --threshold T -o RESULTS.csv \
            builds every peak's matrix (samples in parallel, progress on stderr), labels each valid peak \
            as NeatMS's predict_peaks does (the --label class when its probability is >= T, else the most \
            probable class) and writes NeatMS's long export table (feature ID, sample, then --export-properties; \
            by default every valid peak with rt, mz, height, area, label; NeatMS's documented filters are \
            --export-classes High_quality,Low_quality --min-group-classes High_quality --min-group-size 0.75).
            --annotate-table OUT also writes the input table back in its own format with each sample's             label and class probabilities added (--filter: without the features the group rule rejects).             --samples A,B predicts only those samples and writes their per-peak predictions to -o, for             `neatms merge` (one process per sample, e.g. workflow/Snakefile).

            Matrices form: --matrices FILE.h5 holds a float32 dataset (default X) of shape (N, 2, n, 1) or \
            (N, 2, n), n matching the model's input. The output is CSV with the header `index,<class names>` and \
            one row per matrix (probabilities with 9 significant digits), on stdout unless -o is given. \
            Class names come from the file's `classes` attribute, else --classes, else \
            High_quality,Low_quality,Noise for a three-class model (NeatMS's sorted labels).
            """)

    @Option(help: "The model file (.h5 full model or .keras).")
    var model: String

    @Option(help: "An HDF5 file with peak matrices (N, 2, n, 1) or (N, 2, n).")
    var matrices: String?

    @Option(help: "The dataset in --matrices that holds the matrices.")
    var dataset: String = "X"

    @Option(help: "Class names in the model's output order, comma-separated (e.g. High_quality,Low_quality,Noise).")
    var classes: String?

    @Option(help: "Matrices per forward pass.")
    var batchSize: Int = 256

    @Option(name: [.short, .long], help: "Write the CSV here instead of stdout (required for the raw-data form).")
    var output: String?

    /// The raw-data form (`--raw DIR --features TABLE --format F --threshold T -o RESULTS.csv`).
    @OptionGroup(title: "Raw-data form") var rawData: RawPredictionOptions

    func validate() throws {
        if rawData.isRequested {
            guard matrices == nil else { throw ValidationError("give either --matrices or --raw/--features/--format, not both") }
            try rawData.validateRaw(output: output)
            return
        }
        guard matrices != nil else { throw ValidationError("--matrices FILE.h5 (or --raw DIR --features TABLE --format F) is required") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        if let classes, CommandSupport.classList(classes).isEmpty {
            throw ValidationError("--classes needs at least one class name")
        }
    }

    func run() throws {
        if rawData.isRequested, let output {
            try runRawData(rawData, output: output, classes: classes)
            return
        }
        guard let matricesPath = matrices else { throw ValidationError("--matrices FILE.h5 is required") }
        try Diagnostics.reportingErrors {
            try CommandSupport.checkOutputs(output)
            let input = try MatrixInput.readMatrices(URL(fileURLWithPath: matricesPath), dataset: dataset)
            let classifier = try CommandSupport.classifier(
                model: model, classes: classes, dataClasses: input.classes.map { (matricesPath, $0) },
                matrixSize: input.matrixSize, matrices: matricesPath, batchSize: batchSize, loadInBackground: false)
            try classifier.checkLoaded()
            let probabilities = try classifier.flatProbabilities(of: input.values, count: input.count)
            let csv = ResultsExport.probabilityCSV(probabilities, rows: input.count, classes: classifier.classes)
            if let output {
                try CommandSupport.writeAtomically(Data(csv.utf8), to: output)
                printResult("wrote \(input.count) predictions to \(output)\n")
            } else {
                printResult(csv)
            }
        }
    }
}
