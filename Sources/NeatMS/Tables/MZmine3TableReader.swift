import Foundation

/// Reads MZmine 3 feature tables: the CSV MZmine 3's "Export to CSV" writes.
///
/// Columns: `id`, `mz`, `rt` (the row), then per raw file `F` the columns `datafile:F:mz`, `datafile:F:rt`,
/// `datafile:F:rt_range:min`, `datafile:F:rt_range:max`, `datafile:F:mz_range:min`,
/// `datafile:F:mz_range:max`, `datafile:F:height`, `datafile:F:area`; every other column (annotations,
/// alignment scores, `datafile:F:fwhm`, …) is ignored. Times are in minutes. A file's block is a peak
/// unless all eight values are empty (MZmine 3 leaves absent features empty); values are read as the MZmine
/// 2 reader reads them (0 is missing except the RT start), so the same features exported in either layout
/// give the same peaks. The feature's name is the row's `id`.
enum MZmine3TableReader {
    /// The per-file fields, by column suffix, in `MZmineTableReader.Field` order.
    static let suffixes: [MZmineTableReader.Field: String] = [
        .mz: ":mz", .rt: ":rt", .rtStart: ":rt_range:min", .rtEnd: ":rt_range:max", .height: ":height",
        .area: ":area", .mzMin: ":mz_range:min", .mzMax: ":mz_range:max",
    ]

    static func read(_ url: URL) throws -> FeatureTable {
        let csv = try TableValues.singleCSV(url, kind: "an MZmine 3 table")
        let header = csv.header.map { $0.trimmingCharacters(in: .whitespaces) }
        func required(_ name: String) throws -> Int {
            guard let index = header.firstIndex(of: name) else {
                throw TableError(
                    file: csv.path, line: 1, message: "no '\(name)' column (is this an MZmine 3 CSV export?)")
            }
            return index
        }
        let idColumn = try required("id")
        let rowMZColumn = try required("mz")
        let rowRTColumn = try required("rt")

        var builder = FeatureTableBuilder(path: csv.path)
        let sampleColumns = try MZmineTableReader.sampleColumns(
            csv, header: header, builder: &builder,
            noSample: "no 'datafile:<file>:mz' … columns: no raw file found in the header",
            split: { name in
                guard name.hasPrefix("datafile:") else { return nil }
                let rest = name.dropFirst("datafile:".count)
                // The longest matching suffix: `:mz_range:min` rather than a bare `:mz`.
                guard
                    let (field, suffix) = suffixes.filter({ rest.hasSuffix($0.value) })
                        .max(by: { $0.value.count < $1.value.count })
                else { return nil }
                return (String(rest.dropLast(suffix.count)), field)
            },
            columnName: { "datafile:\($0)\(suffixes[$1] ?? "")" })
        try TableValues.checkFieldCounts(csv)

        for row in 0..<csv.records.count {
            let location = TableLocation(file: csv.path, line: csv.lineNumbers[row])
            func value(_ column: Int) throws -> Double? {
                try TableValues.number(csv, row, column, name: header[column])
            }
            let id = csv.text(row, idColumn).trimmingCharacters(in: .whitespaces)
            guard !id.isEmpty else { throw TableError(file: csv.path, line: location.line, message: "empty 'id'") }
            let rowMZ = try value(rowMZColumn).flatMap { $0 == 0 ? nil : $0 }
            let rowRT = try value(rowRTColumn).flatMap { $0 == 0 ? nil : $0 }
            var rowPeaks: [TablePeak] = []
            for (sample, cols) in sampleColumns {
                let values = try MZmineTableReader.Field.allCases.map { try value(cols[$0.rawValue]) }
                guard
                    let peak = MZmineTableReader.peak(
                        values: values, sample: sample, location: location, dataRow: row, featureMZ: rowMZ,
                        featureRT: rowRT)
                else { continue }
                rowPeaks.append(peak)
            }
            if !rowPeaks.isEmpty { builder.addFeature(name: id, peaks: rowPeaks) }
        }
        return builder.table
    }
}
