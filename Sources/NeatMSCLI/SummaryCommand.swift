import ArgumentParser
import Foundation
import Interchange
import KerasFormat
import NeuralNet

extension SummaryStyle: ExpressibleByArgument {}

/// `neatms summary MODEL`: the model summary of any readable model file, as Keras prints it.
struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Print a model's summary as Keras prints it (layers, output shapes, parameter counts).",
        discussion: """
            MODEL is any full model NeatMSKit reads: a Keras .h5 (Keras 2.2, tf-keras 2.x, Keras 3 legacy), a \
            .keras archive, an .onnx file or a .safetensors file with its model config. The text is the one the \
            Keras generation that wrote the file prints after load_model(MODEL), line for line: Keras 3's box \
            table for Keras 3 files (as printed when the output is not a terminal), tf-keras 2.13+'s layout for \
            tf-keras files, the classic Keras 2 layout (as in NeatMS's documentation) for Keras 2.2 files. \
            --style chooses another. A Sequential model has no InputLayer row, as in Keras. Frozen layers \
            count as non-trainable.
            """)

    @Argument(help: "The model file (.h5, .keras, .onnx or .safetensors).")
    var model: String

    @Option(help: "Whose layout to print: keras2 (Keras 2.2 – 2.12), tf-keras (2.13 and later) or keras3.")
    var style: SummaryStyle?

    func run() throws {
        try Diagnostics.reportingErrors {
            let url = URL(fileURLWithPath: try ModelNames.resolve(model))
            let loaded = try ModelFile.load(url)
            for warning in loaded.warnings { Diagnostics.warning("\(model): \(warning)") }
            let style = style ?? loaded.summaryStyle
            do {
                printResult(
                    try loaded.model.architecture.summary(
                        style: style, optimizer: style == .keras3 ? try loaded.keras3OptimizerParameters() : nil))
            } catch var error as ArchitectureError {
                error.file = model
                throw error
            }
        }
    }
}
