import ArgumentParser
import Foundation
import Support

/// Diagnostics go to stderr as `neatms: error: …` / `neatms: warning: …` lines; results go to stdout.
enum Diagnostics {
    static func error(_ message: String) {
        write("neatms: error: \(message)\n")
    }

    static func warning(_ message: String) {
        write("neatms: warning: \(message)\n")
    }

    private static func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Runs a command body; a thrown error becomes exactly one `neatms: error:` line (`errorLine`) and exit
    /// status 1. (Usage errors are `ValidationError`s thrown from `validate()`, which ArgumentParser reports
    /// with exit status 64.)
    static func reportingErrors(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let exit as ExitCode {
            throw exit
        } catch let validation as ValidationError {
            throw validation
        } catch {
            Diagnostics.error(errorLine(error))
            throw ExitCode.failure
        }
    }

    /// The one line that reports `error`: a `LocatedError`'s `<file>[:<line>]: [<location>: ]<problem>`
    /// (the libraries and `CommandError` name files as the user typed them), else the first line of its
    /// description.
    static func errorLine(_ error: any Error) -> String {
        if let located = error as? any LocatedError { return located.description }
        return oneLine(String(describing: error))
    }
}

/// Results on stdout.
func printResult(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}
