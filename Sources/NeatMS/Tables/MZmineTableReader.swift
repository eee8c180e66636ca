import Foundation

/// Reads MZmine 2 feature tables (wide CSV).
///
/// Columns: `row m/z`, `row retention time`, then for each sample file `F` the eight columns
/// `F Peak m/z`, `F Peak RT`, `F Peak RT start`, `F Peak RT end`, `F Peak height`, `F Peak area`,
/// `F Peak m/z min`, `F Peak m/z max` (any order; other columns such as `row ID` or an empty column left by
/// a trailing comma are ignored). Each column is assigned by its exact suffix, so file names containing
/// `min`, `max`, `start` or `end` are read correctly (NeatMS 0.9 tests substrings of the whole header and
/// turns such a sample's values into NaN).
///
/// A sample's block of eight values is a peak unless all of them are empty or 0 (MZmine writes 0 for
/// "no peak"). Inside a peak, a value of 0 is read as missing as NeatMS reads it, except `RT start`, where
/// 0 is a real time. Rows are features; NeatMS numbers the rows that hold at least one peak 0, 1, 2, … and
/// lists each sample's peaks in row order.
///
/// A folder is read as unaligned tables, one CSV per sample, in file-name order (NeatMS uses the folder's
/// listing order, which only changes feature numbering).
enum MZmineTableReader {
    /// The per-sample fields, by header suffix.
    enum Field: Int, CaseIterable {
        case mz, rt, rtStart, rtEnd, height, area, mzMin, mzMax

        var suffix: String {
            switch self {
            case .mz: return " Peak m/z"
            case .rt: return " Peak RT"
            case .rtStart: return " Peak RT start"
            case .rtEnd: return " Peak RT end"
            case .height: return " Peak height"
            case .area: return " Peak area"
            case .mzMin: return " Peak m/z min"
            case .mzMax: return " Peak m/z max"
            }
        }
    }

    static func read(_ url: URL) throws -> FeatureTable {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw TableError(file: url.relativePath, line: nil, message: "no such file or folder")
        }
        var builder = FeatureTableBuilder(path: url.relativePath)
        if isDirectory.boolValue {
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: url.path)
            } catch {
                throw TableError(
                    file: url.relativePath, line: nil, message: "cannot list the folder (\(error.localizedDescription))"
                )
            }
            let csvNames = names.filter { $0.lowercased().hasSuffix(".csv") }.sorted()
            guard !csvNames.isEmpty else {
                throw TableError(file: url.relativePath, line: nil, message: "the folder holds no .csv feature table")
            }
            var rowOffset = 0
            for name in csvNames {
                let csv = try CSVFile(url: url.appendingPathComponent(name))
                try add(csv, rowOffset: rowOffset, to: &builder)
                rowOffset += csv.records.count
            }
        } else {
            let csv = try CSVFile(url: url)
            try add(csv, rowOffset: 0, to: &builder)
        }
        return builder.table
    }

    /// Adds one CSV's rows as features.
    static func add(_ csv: CSVFile, rowOffset: Int, to builder: inout FeatureTableBuilder) throws {
        let header = csv.header.map { $0.trimmingCharacters(in: .whitespaces) }
        guard let rowMZColumn = header.firstIndex(of: "row m/z") else {
            throw TableError(file: csv.path, line: 1, message: "no 'row m/z' column (is this an MZmine 2 CSV export?)")
        }
        guard let rowRTColumn = header.firstIndex(of: "row retention time") else {
            throw TableError(
                file: csv.path, line: 1, message: "no 'row retention time' column (is this an MZmine 2 CSV export?)")
        }
        let sampleColumns = try Self.sampleColumns(
            csv, header: header, builder: &builder,
            noSample: "no '<sample> Peak m/z' … columns: no sample found in the header",
            split: { name in
                guard let field = Field.allCases.first(where: { name.hasSuffix($0.suffix) }) else { return nil }
                return (String(name.dropLast(field.suffix.count)), field)
            },
            columnName: { "\($0)\($1.suffix)" })
        try TableValues.checkFieldCounts(csv)

        for row in 0..<csv.records.count {
            let location = TableLocation(file: csv.path, line: csv.lineNumbers[row])
            func value(_ column: Int, _ name: String) throws -> Double? {
                try TableValues.number(csv, row, column, name: name)
            }
            let rowMZ = try value(rowMZColumn, "row m/z").flatMap { $0 == 0 ? nil : $0 }
            let rowRT = try value(rowRTColumn, "row retention time").flatMap { $0 == 0 ? nil : $0 }
            var rowPeaks: [TablePeak] = []
            for (sample, cols) in sampleColumns {
                var values: [Double?] = []
                for field in Field.allCases {
                    values.append(try value(cols[field.rawValue], header[cols[field.rawValue]]))
                }
                guard
                    let peak = peak(
                        values: values, sample: sample, location: location, dataRow: row, featureMZ: rowMZ,
                        featureRT: rowRT)
                else { continue }
                rowPeaks.append(peak)
            }
            if !rowPeaks.isEmpty {
                builder.addFeature(name: String(rowOffset + row), peaks: rowPeaks)
            }
        }
    }

    /// The eight field columns of each sample, samples in header order (shared with the MZmine 3 reader).
    /// - Parameters:
    ///   - split: a column's sample and field, nil for a column that is not a per-sample field.
    ///   - columnName: how the table spells a sample's field (for a missing column).
    /// - Throws: `TableError` for no sample, a column given twice, or a sample missing a field.
    static func sampleColumns(
        _ csv: CSVFile, header: [String], builder: inout FeatureTableBuilder, noSample: String,
        split: (String) -> (sample: String, field: Field)?, columnName: (String, Field) -> String
    ) throws -> [(sample: Int, columns: [Int])] {
        var sampleOrder: [String] = []
        var columns: [String: [Int?]] = [:]
        for (index, name) in header.enumerated() {
            guard let (sample, field) = split(name), !sample.isEmpty else { continue }
            if columns[sample] == nil {
                sampleOrder.append(sample)
                columns[sample] = Array(repeating: nil, count: Field.allCases.count)
            }
            if columns[sample]?[field.rawValue] != nil {
                throw TableError(file: csv.path, line: 1, message: "column '\(name)' appears twice")
            }
            columns[sample]?[field.rawValue] = index
        }
        guard !sampleOrder.isEmpty else { throw TableError(file: csv.path, line: 1, message: noSample) }
        var sampleColumns: [(sample: Int, columns: [Int])] = []
        for sample in sampleOrder {
            let found = columns[sample] ?? []
            let missing = Field.allCases.filter { found[$0.rawValue] == nil }.map { "'\(columnName(sample, $0))'" }
            guard missing.isEmpty else {
                throw TableError(
                    file: csv.path, line: 1, message: "missing column(s) \(missing.joined(separator: ", "))")
            }
            sampleColumns.append((builder.sampleIndex(sample), found.compactMap { $0 }))
        }
        return sampleColumns
    }

    /// A sample's block of eight values (in `Field` order) as a peak: nil when all are missing or 0; inside a
    /// peak 0 is missing except for `RT start`.
    static func peak(
        values: [Double?], sample: Int, location: TableLocation, dataRow: Int, featureMZ: Double?, featureRT: Double?
    ) -> TablePeak? {
        if values.allSatisfy({ $0 == nil || $0 == 0 }) { return nil }
        func get(_ field: Field) -> Double? {
            guard let v = values[field.rawValue] else { return nil }
            return v == 0 && field != .rtStart ? nil : v
        }
        var peak = TablePeak(sample: sample, feature: -1, location: location, dataRow: dataRow)
        peak.mz = get(.mz)
        peak.rt = get(.rt)
        peak.rtStart = get(.rtStart)
        peak.rtEnd = get(.rtEnd)
        peak.height = get(.height)
        peak.area = get(.area)
        peak.mzMin = get(.mzMin)
        peak.mzMax = get(.mzMax)
        peak.featureMZ = featureMZ
        peak.featureRT = featureRT
        return peak
    }
}

/// Accumulates samples, features and peaks in NeatMS's creation order.
struct FeatureTableBuilder {
    var table: FeatureTable

    init(path: String) {
        table = FeatureTable(path: path, samples: [], features: [], peaks: [], peaksBySample: [])
    }

    /// The index of `name`, adding it as a new sample when unseen.
    mutating func sampleIndex(_ name: String) -> Int {
        if let index = table.samples.firstIndex(of: name) { return index }
        table.samples.append(name)
        table.peaksBySample.append([])
        return table.samples.count - 1
    }

    /// Adds a feature holding `peaks` (their `feature` is set here), appending each peak to its sample's
    /// list.
    mutating func addFeature(name: String, peaks: [TablePeak]) {
        let id = table.features.count
        var indices: [Int] = []
        for var peak in peaks {
            peak.feature = id
            let index = table.peaks.count
            table.peaks.append(peak)
            table.peaksBySample[peak.sample].append(index)
            indices.append(index)
        }
        table.features.append(Feature(id: id, name: name, peaks: indices))
    }
}
