import Foundation

/// The peak-detection tool that wrote a feature table.
public enum FeatureTableFormat: String, Sendable, CaseIterable, CustomStringConvertible {
    /// MZmine 2 wide CSV: one aligned file, or a folder with one CSV per sample.
    case mzmine
    /// XCMS long CSV (`chromPeaks` plus `sample_name`, optionally `feature_id`); times in seconds.
    case xcms
    /// MZmine 3 CSV export (`id`, `mz`, `rt`, `datafile:<file>:…` columns).
    case mzmine3
    /// OpenMS: a folder of `<raw file stem>.featureXML` files and, for aligned data, one `.consensusXML`.
    case openms

    public var description: String { rawValue }
}

/// Where a value was read: file and 1-based line.
public struct TableLocation: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    public var description: String { "\(file):\(line)" }
}

/// One chromatographic peak of one sample, as given by the feature table. Times are in minutes.
///
/// Missing values (empty cells, `NA`, and MZmine's `0` = absent) are `nil`.
public struct TablePeak: Sendable, Equatable {
    /// Index of the peak's sample in `FeatureTable.samples`.
    public var sample: Int
    /// The feature (aligned group) the peak belongs to: an index into `FeatureTable.features`, which is
    /// also NeatMS's `feature ID` in exported tables.
    public var feature: Int
    /// Peak m/z and apex retention time.
    public var mz: Double?
    public var rt: Double?
    /// Retention-time window of the peak.
    public var rtStart: Double?
    public var rtEnd: Double?
    /// m/z window of the peak.
    public var mzMin: Double?
    public var mzMax: Double?
    /// Height (MZmine `Peak height`, XCMS `maxo`) and area (MZmine `Peak area`, XCMS `into`).
    public var height: Double?
    public var area: Double?
    /// XCMS only: `intb`, `sn`, and the retention-time-corrected `rt_adjusted`, `rtmin_adjusted`,
    /// `rtmax_adjusted` (minutes). NeatMS keeps them for export and extracts with the raw times.
    public var areaBaselineCorrected: Double?
    public var signalToNoise: Double?
    public var rtAdjusted: Double?
    public var rtStartAdjusted: Double?
    public var rtEndAdjusted: Double?
    /// The feature's m/z and retention time as NeatMS exports them with this peak (MZmine: the row's
    /// `row m/z` / `row retention time`; XCMS: the peak's own values).
    public var featureMZ: Double?
    public var featureRT: Double?
    /// The table line the peak was read from.
    public var location: TableLocation
    /// 0-based index of that line among the file's data rows (the MZmine feature row; the XCMS peak row).
    public var dataRow: Int

    public init(sample: Int, feature: Int, location: TableLocation, dataRow: Int) {
        self.sample = sample
        self.feature = feature
        self.location = location
        self.dataRow = dataRow
    }

    /// The extraction window, when all four edges are present.
    public var window: PeakWindow? {
        guard let rtStart, let rtEnd, let mzMin, let mzMax else { return nil }
        return PeakWindow(rtStart: rtStart, rtEnd: rtEnd, mzMin: mzMin, mzMax: mzMax)
    }
}

/// The retention-time (minutes) and m/z window of a peak.
public struct PeakWindow: Sendable, Equatable {
    public var rtStart: Double
    public var rtEnd: Double
    public var mzMin: Double
    public var mzMax: Double

    public init(rtStart: Double, rtEnd: Double, mzMin: Double, mzMax: Double) {
        self.rtStart = rtStart
        self.rtEnd = rtEnd
        self.mzMin = mzMin
        self.mzMax = mzMax
    }
}

/// A feature: peaks of one compound aligned across samples (one peak per sample, or, in XCMS tables,
/// possibly several).
public struct Feature: Sendable, Equatable {
    /// NeatMS's feature ID: features are numbered 0, 1, 2, … in the order NeatMS creates them (MZmine: table
    /// rows holding at least one peak, in row order; XCMS: unaligned peaks in table order, then aligned
    /// features by sorted `feature_id`).
    public var id: Int
    /// The table's own name for the feature: the 0-based data row (MZmine) or the `feature_id` (XCMS; the
    /// 0-based data row for unaligned peaks).
    public var name: String
    /// Indices into `FeatureTable.peaks`, in NeatMS's order (by sample, as NeatMS lists them).
    public var peaks: [Int]

    public init(id: Int, name: String, peaks: [Int]) {
        self.id = id
        self.name = name
        self.peaks = peaks
    }
}

/// A feature table loaded the way NeatMS 0.9 loads it, with each sample's peaks in NeatMS's order.
public struct FeatureTable: Sendable, Equatable {
    /// Sample names as written in the table (raw file names, e.g. `sample_1.mzML`), in order of first
    /// appearance.
    public var samples: [String]
    /// All features, indexed by `Feature.id`.
    public var features: [Feature]
    /// All peaks. `peaksBySample[s]` lists sample `s`'s peaks in NeatMS's order (the order NeatMS builds
    /// its batches in, and the order of `peak_index_in_sample`).
    public var peaks: [TablePeak]
    public var peaksBySample: [[Int]]
    /// The table file or folder.
    public var path: String

    public init(path: String, samples: [String], features: [Feature], peaks: [TablePeak], peaksBySample: [[Int]]) {
        self.path = path
        self.samples = samples
        self.features = features
        self.peaks = peaks
        self.peaksBySample = peaksBySample
    }

    /// Reads a table of the given format from a file (or, for MZmine, a folder of per-sample CSVs).
    /// - Throws: `TableError` naming the file and line of the first problem.
    public static func read(_ url: URL, format: FeatureTableFormat) throws -> FeatureTable {
        switch format {
        case .mzmine: return try MZmineTableReader.read(url)
        case .xcms: return try XCMSTableReader.read(url)
        case .mzmine3: return try MZmine3TableReader.read(url)
        case .openms: return try OpenMSTableReader.read(url)
        }
    }

    /// The sample index of `name`, if the table has it.
    public func sampleIndex(_ name: String) -> Int? { samples.firstIndex(of: name) }

    /// Pairs every table sample with a raw file of `rawFiles` by exact file name (`x.mzML` also matches a
    /// compressed `x.mzML.gz`).
    /// - Returns: for each table sample, the matching raw file.
    /// - Throws: `TableError` listing the table's sample names that no raw file matches.
    public func matchRawFiles(_ rawFiles: [URL]) throws -> [URL] {
        var byName: [String: URL] = [:]
        for url in rawFiles { byName[url.lastPathComponent] = url }
        var matched: [URL] = []
        var unmatched: [String] = []
        for sample in samples {
            if let url = byName[sample] ?? byName[sample + ".gz"] {
                matched.append(url)
            } else {
                unmatched.append(sample)
            }
        }
        guard unmatched.isEmpty else {
            let available = rawFiles.map(\.lastPathComponent).sorted().joined(separator: ", ")
            throw TableError(
                file: path, line: nil,
                message: "\(unmatched.count) sample name(s) match no raw file: \(unmatched.joined(separator: ", "))"
                    + " (raw files: \(available.isEmpty ? "none" : available))")
        }
        return matched
    }
}

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
