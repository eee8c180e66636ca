import ArgumentParser
import Foundation
import Interchange
import KerasFormat
import NeuralNet

/// `neatms summary MODEL`: the Keras 2 model summary of any readable model file.
struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Print a model's summary as Keras 2 prints it (layers, output shapes, parameter counts).",
        discussion: """
            MODEL is any full model NeatMSKit reads: a Keras .h5 (Keras 2.2, tf-keras 2.x, Keras 3 legacy), a \
            .keras archive, an .onnx file or a .safetensors file with its model config. A Sequential model has \
            no InputLayer row, as in Keras. Frozen layers count as non-trainable.
            """)

    @Argument(help: "The model file (.h5, .keras, .onnx or .safetensors).")
    var model: String

    func run() throws {
        try Diagnostics.reportingErrors {
            let url = URL(fileURLWithPath: try ModelNames.resolve(model))
            let loaded = try ModelFile.load(url)
            for warning in loaded.warnings { Diagnostics.warning("\(model): \(warning)") }
            do {
                printResult(try loaded.model.architecture.summary())
            } catch var error as ArchitectureError {
                error.file = model
                throw error
            }
        }
    }
}
