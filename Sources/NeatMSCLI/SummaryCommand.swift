import ArgumentParser
import Foundation
import KerasFormat
import NeuralNet

/// `neatms summary MODEL`: the Keras 2 model summary of any readable model file.
struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Print a model's summary as Keras 2 prints it (layers, output shapes, parameter counts).",
        discussion: """
            MODEL is a Keras full-model .h5 (Keras 2.2, tf-keras 2.x, Keras 3 legacy) or a .keras archive. \
            Frozen layers count as non-trainable.
            """)

    @Argument(help: "The model file (.h5 or .keras).")
    var model: String

    func run() throws {
        try Diagnostics.reportingErrors {
            let url = URL(fileURLWithPath: try ModelNames.resolve(model))
            let loaded = try KerasModelFile.load(url)
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
