import FileSupport
import Foundation
import HDF5

/// A Keras file or config that NeatMSKit cannot read or write. The description is one line:
/// `<file>: <problem>` when the file is known, else just the problem.
public struct KerasFormatError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file concerned (its path as given), when known.
    public var file: String?
    /// What is wrong, e.g. `layer 'conv2d_1': dilation_rate [2, 2] is not supported (only [1, 1])`.
    public var problem: String

    public init(_ problem: String, file: String? = nil) {
        self.problem = problem
        self.file = file
    }

    public var description: String {
        guard let file else { return problem }
        return "\(file): \(problem)"
    }

    /// The same error attributed to `file`, unless it already names one.
    public func inFile(_ file: String) -> KerasFormatError {
        self.file == nil ? KerasFormatError(problem, file: file) : self
    }
}

/// Runs `body`, turning any error into a `KerasFormatError` that names `url`'s file.
/// Errors that are already `KerasFormatError`s keep their message; others (HDF5, ZIP, architecture
/// errors) contribute their one-line description.
func attributing<T>(_ url: URL, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as KerasFormatError {
        throw error.inFile(url.path)
    } catch let error as FileWriteError {
        throw KerasFormatError(error.problem, file: error.path)
    } catch let error as HDF5Error {
        // The HDF5 message already names a file (perhaps a temporary one): keep object and message.
        let object = error.object.map { $0 == "/" || $0.isEmpty ? "" : "\($0): " } ?? ""
        let reason = error.systemReason.map { " (\($0))" } ?? ""
        throw KerasFormatError(oneLine(object + error.message + reason), file: url.path)
    } catch let error as any CustomStringConvertible & Error {
        throw KerasFormatError(oneLine(error.description), file: url.path)
    } catch {
        throw KerasFormatError(oneLine("\(error)"), file: url.path)
    }
}

/// Collapses a multi-line message to its first line (the CLI prints exactly one error line).
func oneLine(_ text: String) -> String {
    let first = text.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? text
    return first.trimmingCharacters(in: .whitespaces)
}
