import ArgumentParser
import FileSupport
import Foundation
import KerasFormat
import NeuralNet

/// A problem the CLI itself finds (not a library error); one line `<file>: <problem>`.
struct CommandError: Error, CustomStringConvertible {
    var file: String
    var problem: String
    var description: String { file.isEmpty ? problem : "\(file): \(problem)" }
}

/// Helpers shared by `predict` and `train`.
enum CommandSupport {
    /// NeatMS's class labels in its (sorted) order.
    static let neatmsClasses = ["High_quality", "Low_quality", "Noise"]

    /// `A,B,C` → `["A", "B", "C"]` (blank entries dropped, spaces trimmed).
    static func classList(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Reads any model file KerasFormat reads; warnings go to stderr.
    static func loadModel(_ path: String) throws -> Model {
        let loaded = try KerasModelFile.load(URL(fileURLWithPath: try ModelNames.resolve(path)))
        for warning in loaded.warnings { Diagnostics.warning("\(path): \(warning)") }
        return loaded.model
    }

    /// CSV `index,<classes>` with one row per sample; probabilities with 9 significant digits
    /// (enough to round-trip a float32).
    static func probabilityCSV(_ p: [Float], rows: Int, classes: [String]) -> String {
        var text = "index," + classes.map(csvField).joined(separator: ",") + "\n"
        text.reserveCapacity(rows * (classes.count * 16 + 8))
        let k = classes.count
        for r in 0..<rows {
            text += String(r)
            for c in 0..<k { text += "," + String(format: "%.9g", Double(p[r * k + c])) }
            text += "\n"
        }
        return text
    }

    /// A CSV field, quoted when it holds a comma, quote or line break.
    static func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Fails at once, before any work, when an output path cannot be written (missing or read-only folder,
    /// or a folder in its place). - Throws: `CommandError` naming the path.
    static func checkOutputs(_ paths: String?...) throws {
        for path in paths.compactMap({ $0 }) {
            do {
                try AtomicFile.checkDestination(URL(fileURLWithPath: path))
            } catch let error as FileWriteError {
                throw CommandError(file: path, problem: error.problem)
            }
        }
    }

    /// Writes `data` atomically (`AtomicFile`: a temporary file in the target folder, then a rename).
    /// - Throws: `CommandError` naming `path`.
    static func writeAtomically(_ data: Data, to path: String) throws {
        do {
            try AtomicFile.write(data, to: URL(fileURLWithPath: path))
        } catch let error as FileWriteError {
            throw CommandError(file: path, problem: error.problem)
        }
    }
}
