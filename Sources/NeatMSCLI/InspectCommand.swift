import ArgumentParser
import Foundation
import KerasFormat

/// `neatms inspect FILE [--json]`: the structure of an `.h5` file or a `.keras` archive.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show the tree of an .h5 file or a .keras archive: groups, datasets, attributes.",
        discussion: """
            Datasets are shown with element type and shape; attributes with their type (for strings: fixed or \
            vlen, padding, ASCII or UTF-8), shape and value. Long values such as model_config are shortened. \
            For a .keras archive the members are listed and model.weights.h5 is shown as a tree.
            """)

    @Argument(help: "The file to inspect (.h5, .keras, .weights.h5).")
    var file: String

    @Flag(help: "Print the tree as JSON.")
    var json = false

    func run() throws {
        try Diagnostics.reportingErrors {
            let tree = try FileInspector.inspect(URL(fileURLWithPath: try ModelNames.resolve(file)))
            printResult(json ? tree.jsonValue().serialized() + "\n" : tree.treeText())
        }
    }
}
