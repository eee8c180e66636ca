/// An error that says where it happened and what went wrong, in three parts every NeatMSKit library error
/// fills in the same way:
/// - `file`: the file as the user gave it (`URL.relativePath` of a `URL(fileURLWithPath:)` built from the
///   user's path: a relative path stays relative), or nil when the error concerns no file;
/// - `line` and `location`: where in the file (a 1-based text line; an HDF5 object path, a spectrum, a
///   layer, …), each nil when not known;
/// - `problem`: what is wrong, in words.
///
/// `description` joins them on one line, `<file>[:<line>]: [<location>: ]<problem>`, which is the line the
/// command-line tool prints after `neatms: error: `. A layer that catches an error about a file it knows
/// better (a temporary copy, a member of an archive) sets `file`, or quotes `withoutFile` in its own error.
public protocol LocatedError: Error, CustomStringConvertible {
    /// The file as the user gave it, or nil. An empty string counts as no file.
    var file: String? { get set }
    /// The 1-based line of a text file, when the problem is on one line.
    var line: Int? { get }
    /// Where in the file or model: an HDF5 object path, a spectrum, a layer, …; nil when not known.
    var location: String? { get }
    /// What is wrong.
    var problem: String { get }
}

extension LocatedError {
    public var line: Int? { nil }
    public var location: String? { nil }

    /// `<file>[:<line>]: [<location>: ]<problem>` on one line (the parts that are nil are left out).
    public var description: String { locatedDescription }

    /// `<file>[:<line>]: [<location>: ]<problem>` on one line (the parts that are nil are left out); types
    /// whose `description` adds something (HDF5's error stack) start from it.
    public var locatedDescription: String {
        var text = ""
        if let file, !file.isEmpty {
            text = file
            if let line { text += ":\(line)" }
            text += ": "
        } else if let line {
            text = "line \(line): "
        }
        return oneLine(text + withoutFile)
    }

    /// `[<location>: ]<problem>` on one line: the error without its file, for an error about another file
    /// (or the same file under the name the user gave) that quotes it.
    public var withoutFile: String {
        if let location, !location.isEmpty { return oneLine("\(location): \(problem)") }
        return oneLine(problem)
    }
}

/// The first non-empty line of `text`, without surrounding spaces: errors are reported on one line, and
/// the first line of a multi-line message (a decoder's, a library's) is its summary.
public func oneLine(_ text: String) -> String {
    guard let first = text.split(whereSeparator: \.isNewline).first(where: { !$0.allSatisfy(\.isWhitespace) })
    else { return "" }
    return String(first.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
}
