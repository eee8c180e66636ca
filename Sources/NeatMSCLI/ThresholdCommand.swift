import ArgumentParser
import Foundation
import NeatMS

/// `neatms threshold`: NeatMS's recall table, threshold and ROC AUC on held-out labelled peaks.
struct ThresholdCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "threshold",
        abstract: "Tune the probability threshold on labelled peaks the model was not trained on.",
        discussion: """
            --data is a PEAKS.h5 (from neatms dataset, or the validation peaks neatms train writes beside \
            the model). For p = 0.00 … 0.99 the table gives the fraction of --label peaks whose predicted \
            probability of --label is >= p (True) and the same for the other peaks (False, split into \
            False_low for Low_quality peaks and False_noise for the rest), each divided by its column \
            maximum; the threshold is the first p maximising True - False (NeatMS's get_threshold), \
            and the ROC AUC is computed by trapezoids over (False, True).
            """)

    @Option(help: "The model file (.h5 full model or .keras).")
    var model: String

    @Option(help: "Labelled peaks (PEAKS.h5).")
    var data: String

    @Option(help: "The target class.")
    var label: String = "High_quality"

    @Option(help: "Also write the recall table as CSV here.")
    var csv: String?

    @Option(help: "Where to write the ROC curve (SVG). Default: <data without .h5>.roc.svg.")
    var svg: String?

    @Option(help: "Matrices per forward pass.")
    var batchSize: Int = 256

    func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
    }

    func run() throws {
        let svgPath = svg ?? (data.hasSuffix(".h5") ? String(data.dropLast(3)) : data) + ".roc.svg"
        try Diagnostics.reportingErrors {
            try CommandSupport.checkOutputs(csv, svgPath)
            let dataset = try PeakDataset.read(URL(fileURLWithPath: data))
            try dataset.checkFinite(file: data)
            guard dataset.classes.contains(label) else {
                throw CommandError(
                    file: data,
                    problem: "--label \(label) is not one of its classes \(dataset.classes.joined(separator: ", "))")
            }
            let classifier = try CommandSupport.classifier(
                model: model, classes: nil, dataClasses: (data, dataset.classes), matrixSize: dataset.options.size,
                matrices: data,
                batchSize: batchSize, loadInBackground: false)
            try classifier.checkLoaded()
            guard dataset.count > 0 else { throw CommandError(file: data, problem: "holds no valid labelled peak") }
            let probabilities = try classifier.probabilities(of: dataset.x, count: dataset.count)
            let analysis = try ThresholdAnalysis(
                classes: dataset.classes, trueClasses: dataset.y, probabilities: probabilities, label: label)

            var text = "p     True   False  False_low  False_noise\n"
            func f(_ v: Double) -> String { v.isNaN ? "   -  " : String(format: "%.3f", v) }
            for row in analysis.rows {
                text +=
                    String(format: "%.2f", row.probability) + "  " + f(row.truePositive) + "  " + f(row.falsePositive)
                    + "  " + f(row.falseLow) + "      " + f(row.falseNoise) + "\n"
            }
            text += "peaks: \(dataset.count) (\(label): \(dataset.y.filter { dataset.classes[$0] == label }.count))\n"
            text += "threshold: " + String(format: "%.2f", analysis.threshold) + "\n"
            text += "ROC AUC: " + String(format: "%.4f", analysis.auc) + "\n"
            if let csv {
                try CommandSupport.writeAtomically(Data(analysis.csv.utf8), to: csv)
                text += "recall table: \(csv)\n"
            }
            try CommandSupport.writeAtomically(
                Data(analysis.rocSVG(title: "ROC — \(URL(fileURLWithPath: model).lastPathComponent)").utf8), to: svgPath
            )
            text += "ROC curve: \(svgPath)\n"
            printResult(text)
        }
    }
}
