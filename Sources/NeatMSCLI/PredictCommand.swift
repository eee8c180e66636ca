import ArgumentParser
import Classification
import Foundation
import NeatMS
import NeuralNet
import Support

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

            Matrices form: --matrices FILE.h5 holds a float32 dataset (default X) of the model's input shape \
            (N, H, W, C), or (N, H, W) when C is 1 — NeatMS's peak matrices are (N, 2, n, 1) or (N, 2, n). \
            The output is CSV with the header `index,<column names>` and one row per sample (outputs with \
            9 significant digits), on stdout unless -o is given. Column names come from the file's `classes` \
            attribute, else --classes, else High_quality,Low_quality,Noise for a NeatMS-shaped three-class \
            model (NeatMS's sorted labels), else output_0 … output_k.
            """)

    @Option(help: "The model file (.h5 full model or .keras).")
    var model: String

    @Option(help: "An HDF5 file with the model's inputs (N, H, W, C) or (N, H, W), e.g. peak matrices (N, 2, n, 1).")
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
            guard matrices == nil else {
                throw ValidationError("give either --matrices or --raw/--features/--format, not both")
            }
            try rawData.validateRaw(output: output)
            return
        }
        guard matrices != nil else {
            throw ValidationError("--matrices FILE.h5 (or --raw DIR --features TABLE --format F) is required")
        }
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
            let network: Network
            do {
                network = try Network(model: try CommandSupport.loadModel(model))
            } catch let error as NetworkError {
                throw CommandError(file: model, problem: error.withoutFile)
            }
            try NetworkClassifier.checkInput(
                network, modelFile: model, sampleShape: input.sampleShape, matrices: matricesPath)
            let names = try outputNames(network, dataClasses: input.classes, matrices: matricesPath)
            let predictions = try network.predict(input.tensor, batchSize: batchSize)
            let csv = ResultsExport.probabilityCSV(predictions.scalars, rows: input.count, classes: names)
            if let output {
                try CommandSupport.writeAtomically(Data(csv.utf8), to: output)
                printResult("wrote \(input.count) predictions to \(output)\n")
            } else {
                printResult(csv)
            }
        }
    }

    /// The CSV columns: the file's `classes`, else --classes, else NeatMS's three labels for a model of
    /// NeatMS's shape (`(2, n, 1)` in, three out), else `output_0 … output_k` (a model whose outputs
    /// are not named classes).
    private func outputNames(_ network: Network, dataClasses: [String]?, matrices: String) throws -> [String] {
        let outputs = network.outputShape.reduce(1, *)
        let names: [String]
        let source: NetworkClassifier.ClassSource
        if let dataClasses {
            (names, source) = (dataClasses, .dataFile(matrices))
        } else if let classes {
            (names, source) = (CommandSupport.classList(classes), .given(option: "--classes"))
        } else if network.inputShape.count == 3, network.inputShape[0] == 2, network.inputShape[2] == 1,
            outputs == NeatMSClasses.names.count
        {
            return NeatMSClasses.names
        } else {
            return (0..<outputs).map { "output_\($0)" }
        }
        try NetworkClassifier.checkOutputs(network, modelFile: model, classes: names, source: source)
        return names
    }
}
