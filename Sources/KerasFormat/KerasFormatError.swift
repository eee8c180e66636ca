import FileSupport
import Foundation
import HDF5
import Support

/// A Keras file or config that NeatMSKit cannot read or write. The description is one line:
/// `<file>: <problem>` when the file is known, else just the problem.
public struct KerasFormatError: LocatedError, Equatable, Sendable {
    /// The file concerned, as the user gave it (`URL.relativePath`), when known.
    public var file: String?
    /// What is wrong, e.g. `layer 'conv2d_1': dilation_rate [2, 2] is not supported (only [1, 1])`.
    public var problem: String

    public init(_ problem: String, file: String? = nil) {
        self.problem = problem
        self.file = file
    }

    /// The same error attributed to `file`, unless it already names one.
    public func inFile(_ file: String) -> KerasFormatError {
        var error = self
        if error.file?.isEmpty ?? true { error.file = file }
        return error
    }
}

/// Runs `body`, turning any error into a `KerasFormatError` that names `url`'s file as the user gave it.
/// Errors that are already `KerasFormatError`s keep their message (and file, if they name one); a
/// `FileWriteError` keeps its destination; other `LocatedError`s (HDF5, architecture, network errors)
/// contribute their location and problem but not their file (an HDF5 file may be a temporary one);
/// anything else (ZIP errors) its one-line description.
func attributing<T>(_ url: URL, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as KerasFormatError {
        throw error.inFile(url.relativePath)
    } catch let error as FileWriteError {
        throw KerasFormatError(error.problem, file: error.path)
    } catch let error as any LocatedError {
        throw KerasFormatError(error.withoutFile, file: url.relativePath)
    } catch {
        throw KerasFormatError(oneLine("\(error)"), file: url.relativePath)
    }
}
