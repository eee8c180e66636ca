import Foundation
import Support

/// A comma-separated file read into memory as byte ranges, with the line number of every record.
///
/// RFC 4180: fields may be quoted with `"`, a quote inside a quoted field is written `""`, quoted fields may
/// contain commas and line breaks; records end with LF or CRLF; a UTF-8 byte-order mark is skipped. A
/// hand-written reader (rather than a CSV package) because feature tables need the raw bytes of each field
/// (numbers are converted exactly as NeatMS converts them, see `DecimalParsing`) and errors must name the
/// physical line.
public struct CSVFile: Sendable {
    /// The file, for error messages.
    public let path: String
    /// Header names (first record), surrounding spaces kept as written.
    public let header: [String]
    /// Data records: each is a list of fields (unquoted bytes).
    public let records: [[ArraySlice<UInt8>]]
    /// 1-based physical line where each data record starts.
    public let lineNumbers: [Int]

    /// Reads and splits `url`.
    /// - Throws: `TableError` for an unreadable file, an unterminated quote, text after a closing quote, or a
    ///   file without a header.
    public init(url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw TableError(
                file: url.relativePath, line: nil, message: "cannot read the file (\(error.localizedDescription))")
        }
        try self.init(bytes: [UInt8](data), path: url.relativePath)
    }

    /// Splits in-memory CSV text (used by tests and by `init(url:)`).
    init(bytes: [UInt8], path: String) throws {
        self.path = path
        var start = 0
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { start = 3 }
        var records: [[ArraySlice<UInt8>]] = []
        var lines: [Int] = []
        var line = 1
        var i = start
        let n = bytes.count
        let quote = UInt8(ascii: "\"")
        let comma = UInt8(ascii: ",")
        let lf = UInt8(ascii: "\n")
        let cr = UInt8(ascii: "\r")
        while i < n {
            let recordLine = line
            var fields: [ArraySlice<UInt8>] = []
            var endOfRecord = false
            while !endOfRecord {
                if i < n, bytes[i] == quote {
                    // Quoted field: unescape "" into a fresh buffer only when needed.
                    let fieldLine = line
                    var j = i + 1
                    var buffer: [UInt8] = []
                    var escaped = false
                    var segmentStart = j
                    var closed = false
                    while j < n {
                        let c = bytes[j]
                        if c == quote {
                            if j + 1 < n, bytes[j + 1] == quote {
                                buffer.append(contentsOf: bytes[segmentStart...j])
                                escaped = true
                                j += 2
                                segmentStart = j
                                continue
                            }
                            closed = true
                            break
                        }
                        if c == lf { line += 1 }
                        j += 1
                    }
                    guard closed else {
                        throw TableError(file: path, line: fieldLine, message: "a quoted field is never closed")
                    }
                    let field: ArraySlice<UInt8>
                    if escaped {
                        buffer.append(contentsOf: bytes[segmentStart..<j])
                        field = buffer[...]
                    } else {
                        field = bytes[segmentStart..<j]
                    }
                    fields.append(field)
                    i = j + 1
                    // After a closing quote: a comma, a line end or the end of the file.
                    if i >= n {
                        endOfRecord = true
                    } else if bytes[i] == comma {
                        i += 1
                    } else if bytes[i] == lf {
                        i += 1
                        line += 1
                        endOfRecord = true
                    } else if bytes[i] == cr, i + 1 < n, bytes[i + 1] == lf {
                        i += 2
                        line += 1
                        endOfRecord = true
                    } else {
                        throw TableError(file: path, line: line, message: "unexpected text after a closing quote")
                    }
                } else {
                    var j = i
                    while j < n, bytes[j] != comma, bytes[j] != lf { j += 1 }
                    var fieldEnd = j
                    if j < n, bytes[j] == lf, fieldEnd > i, bytes[fieldEnd - 1] == cr { fieldEnd -= 1 }
                    if j == n, fieldEnd > i, bytes[fieldEnd - 1] == cr { fieldEnd -= 1 }
                    fields.append(bytes[i..<fieldEnd])
                    if j >= n {
                        i = n
                        endOfRecord = true
                    } else if bytes[j] == comma {
                        i = j + 1
                        if i >= n {
                            fields.append(bytes[n..<n])
                            endOfRecord = true
                        }
                    } else {
                        i = j + 1
                        line += 1
                        endOfRecord = true
                    }
                }
            }
            // Skip blank lines (pandas does too).
            if fields.count == 1, fields[0].allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == cr }) { continue }
            records.append(fields)
            lines.append(recordLine)
        }
        guard let first = records.first else {
            throw TableError(file: path, line: nil, message: "the file is empty (no header line)")
        }
        header = first.map { String(decoding: $0, as: UTF8.self) }
        self.records = Array(records.dropFirst())
        lineNumbers = Array(lines.dropFirst())
    }

    /// The field at `column` of data record `row` as text.
    func text(_ row: Int, _ column: Int) -> String {
        String(decoding: records[row][column], as: UTF8.self)
    }
}

/// A problem in a feature table or labels file: one line naming the file, the line when known, and what
/// is wrong.
public struct TableError: LocatedError, Sendable, Equatable {
    /// The file's path as the user gave it (`URL.relativePath`).
    public var file: String?
    /// 1-based line number, when the problem is on one line.
    public var line: Int?
    /// What is wrong.
    public var message: String

    public init(file: String, line: Int?, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    /// `message`, as `LocatedError` names it.
    public var problem: String { message }
}
