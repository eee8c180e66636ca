import ArgumentParser
import Foundation
import Interchange
import KerasFormat

/// `neatms inspect FILE [--json]`: the structure of an `.h5` file, a `.keras` archive, an `.onnx` graph or a
/// `.safetensors` header (the format from the name, as everywhere).
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show the structure of a model file: .h5/.keras trees, .onnx graphs, .safetensors headers.",
        discussion: """
            Datasets are shown with element type and shape; attributes with their type (for strings: fixed or \
            vlen, padding, ASCII or UTF-8), shape and value. Long values such as model_config are shortened. \
            For a .keras archive the members are listed and model.weights.h5 is shown as a tree. \
            For an .onnx file: IR version, producer, opsets, graph inputs and outputs with their dimensions, \
            initializers with shapes, nodes and metadata. For a .safetensors file: header size, metadata, and \
            each tensor's dtype, shape and data offsets (the header is validated; no tensor data is read).
            """)

    @Argument(help: "The file to inspect (.h5, .keras, .weights.h5, .onnx, .safetensors).")
    var file: String

    @Flag(help: "Print the tree as JSON.")
    var json = false

    func run() throws {
        try Diagnostics.reportingErrors {
            let url = URL(fileURLWithPath: try ModelNames.resolve(file))
            if let inspection = try InterchangeInspector.inspect(url) {
                printResult(json ? inspection.jsonValue().serialized() + "\n" : inspection.treeText())
                return
            }
            let tree = try FileInspector.inspect(url)
            printResult(json ? tree.jsonValue().serialized() + "\n" : tree.treeText())
        }
    }
}
