import Foundation

/// Lists the mzML files of a raw-data folder (`.mzML`, `.mzML.gz`, any case), sorted by name.
/// - Throws: `TableError` when the folder cannot be listed or holds no mzML file.
public func listRawFiles(in folder: URL) throws -> [URL] {
    let names: [String]
    do {
        names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
    } catch {
        throw TableError(
            file: folder.relativePath, line: nil,
            message: "cannot list the raw-data folder (\(error.localizedDescription))")
    }
    let files = names.filter {
        let lower = $0.lowercased()
        return lower.hasSuffix(".mzml") || lower.hasSuffix(".mzml.gz")
    }.sorted().map { folder.appendingPathComponent($0) }
    guard !files.isEmpty else {
        throw TableError(file: folder.relativePath, line: nil, message: "the raw-data folder holds no .mzML file")
    }
    return files
}

/// Reading helpers shared by the table readers.
enum TableValues {
    /// The one CSV file of a table `kind` (e.g. "an XCMS table") read by a reader that takes no folder.
    /// - Throws: `TableError` for a missing path or a folder.
    static func singleCSV(_ url: URL, kind: String) throws -> CSVFile {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw TableError(file: url.relativePath, line: nil, message: "no such file")
        }
        guard !isDirectory.boolValue else {
            throw TableError(
                file: url.relativePath, line: nil, message: "\(kind) is one CSV file, but a folder was given")
        }
        return try CSVFile(url: url)
    }

    /// A numeric cell: nil when empty or `NA`/`NaN`-like; an error for other text.
    static func number(_ csv: CSVFile, _ row: Int, _ column: Int, name: String) throws -> Double? {
        guard column < csv.records[row].count else { return nil }
        let field = csv.records[row][column]
        if field.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return nil }
        if isMissingMarker(field) { return nil }
        guard let value = DecimalParsing.neatMSDouble(field) else {
            throw TableError(
                file: csv.path, line: csv.lineNumbers[row],
                message: "column '\(name)' holds '\(csv.text(row, column))', which is not a number")
        }
        return value.isNaN ? nil : value
    }

    /// pandas's default missing-value markers that can appear in numeric columns.
    static func isMissingMarker(_ field: ArraySlice<UInt8>) -> Bool {
        guard field.count <= 6 else { return false }
        guard field.allSatisfy({ $0 < 0x80 }) else {
            return missingMarkers.contains(String(decoding: field, as: UTF8.self).trimmingCharacters(in: .whitespaces))
        }
        // ASCII (every number): trim spaces and tabs (`CharacterSet.whitespaces` in ASCII) without Foundation.
        var lower = field.startIndex
        var upper = field.endIndex
        while lower < upper, field[lower] == 0x20 || field[lower] == 0x09 { lower += 1 }
        while upper > lower, field[upper - 1] == 0x20 || field[upper - 1] == 0x09 { upper -= 1 }
        // No marker starts with a digit, `.` or `+` (as every positive number does).
        if lower < upper, case let first = field[lower], first == 0x2E || first == 0x2B || (0x30...0x39).contains(first)
        {
            return false
        }
        return missingMarkers.contains(String(decoding: field[lower..<upper], as: UTF8.self))
    }

    private static let missingMarkers: Set<String> = [
        "NA", "N/A", "NaN", "nan", "NULL", "null", "#N/A", "<NA>", "n/a", "-NaN", "-nan", "None", "",
    ]

    /// Checks that every record has as many fields as the header (a trailing empty field is tolerated).
    static func checkFieldCounts(_ csv: CSVFile) throws {
        let expected = csv.header.count
        for (row, fields) in csv.records.enumerated() where fields.count != expected {
            // A missing trailing empty column is harmless.
            if fields.count == expected - 1, csv.header.last?.isEmpty == true { continue }
            if fields.count == expected + 1, fields.last?.isEmpty == true { continue }
            throw TableError(
                file: csv.path, line: csv.lineNumbers[row],
                message: "\(fields.count) fields, but the header has \(expected) columns")
        }
    }
}
