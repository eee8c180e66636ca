import ArgumentParser
import Classification
import FileSupport
import Foundation
import Interchange
import KerasFormat
import NeatMS
import NeuralNet
import Support

/// A problem the CLI itself finds (not a library error); one line `<file>: <problem>`, the file as typed.
struct CommandError: LocatedError {
    var file: String?
    var problem: String
}

/// Helpers shared by `predict` and `train`.
enum CommandSupport {
    /// `A,B,C` → `["A", "B", "C"]` (blank entries dropped, spaces trimmed).
    static func classList(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Reads any model file KerasFormat reads; warnings go to stderr.
    static func loadModel(_ path: String) throws -> Model {
        let loaded = try ModelFile.load(URL(fileURLWithPath: try ModelNames.resolve(path)))
        for warning in loaded.warnings { Diagnostics.warning("\(path): \(warning)") }
        return loaded.model
    }

    /// The classifier of `predict` and `threshold`: `model` loaded (in the background on more than one
    /// core) and checked for `matrixSize`; the class names are `classes` (`--classes A,B,C`), else those
    /// of `dataClasses` (a data file's `classes` attribute), else NeatMS's three labels.
    static func classifier(
        model: String, classes: String?, dataClasses: (file: String, names: [String])? = nil, matrixSize: Int,
        matrices: String, batchSize: Int, loadInBackground: Bool = Cores.available > 1
    ) throws -> NetworkClassifier {
        let names: [String]
        let source: NetworkClassifier.ClassSource
        if let dataClasses {
            (names, source) = (dataClasses.names, .dataFile(dataClasses.file))
        } else if let classes {
            (names, source) = (classList(classes), .given(option: "--classes"))
        } else {
            (names, source) = (NeatMSClasses.names, .neatmsDefault(hint: "give their names with --classes A,B,..."))
        }
        return NetworkClassifier(
            modelFile: try ModelNames.resolve(model), classes: names, classSource: source, matrixSize: matrixSize,
            matrices: matrices,
            batchSize: batchSize,
            loadInBackground: loadInBackground, warning: { Diagnostics.warning("\(model): \($0)") })
    }

    /// Fails at once, before any work, when an output path cannot be written (missing or read-only folder,
    /// or a folder in its place). - Throws: `FileWriteError` naming the path as typed.
    static func checkOutputs(_ paths: String?...) throws {
        for path in paths.compactMap({ $0 }) {
            try AtomicFile.checkDestination(URL(fileURLWithPath: path))
        }
    }

    /// Writes `data` atomically (`AtomicFile`: a temporary file in the target folder, then a rename).
    /// - Throws: `FileWriteError` naming `path` as typed.
    static func writeAtomically(_ data: Data, to path: String) throws {
        try AtomicFile.write(data, to: URL(fileURLWithPath: path))
    }
}
