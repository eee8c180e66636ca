import ArgumentParser
import Foundation
import KerasFormat

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

    /// Runs a command body; a thrown error becomes exactly one `neatms: error:` line and exit status 1.
    /// (Usage errors are `ValidationError`s thrown from `validate()`, which ArgumentParser reports with
    /// exit status 64.)
    /// `paths` maps absolute paths back to the spelling the user typed, for the message.
    static func reportingErrors(paths: [String] = [], _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let exit as ExitCode {
            throw exit
        } catch let validation as ValidationError {
            throw validation
        } catch {
            var text = String(describing: error)
            if var keras = error as? KerasFormatError, let file = keras.file,
                let typed = paths.first(where: { URL(fileURLWithPath: $0).path == file })
            {
                keras.file = typed
                text = keras.description
            }
            Diagnostics.error(text.split(separator: "\n").first.map(String.init) ?? text)
            throw ExitCode.failure
        }
    }
}

/// Results on stdout.
func printResult(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}
