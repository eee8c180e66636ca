import Foundation

/// Reads XCMS feature tables (long CSV, one row per peak).
///
/// Required columns: `mz`, `mzmin`, `mzmax`, `rt`, `rtmin`, `rtmax`, `into`, `maxo`, `sample_name`
/// (the raw file name). Optional: `intb`, `sn`, `sample` (the numeric sample id), `feature_id` (aligned
/// tables; an empty or `NA` value leaves the peak unaligned), `rt_adjusted`, `rtmin_adjusted`,
/// `rtmax_adjusted`. Times are in seconds and are converted to minutes as NeatMS converts them (see
/// `DecimalParsing.minutesFromSecondsText`). Height is `maxo`, area is `into`.
///
/// As in NeatMS 0.9, peaks are extracted with the raw (unadjusted) `rtmin`/`rtmax`, because the raw files
/// hold unadjusted scan times; the adjusted times are kept for export only.
///
/// Order, as NeatMS builds it: without `feature_id` every row is a feature, in table order. With it, first
/// every unaligned row (in table order), then the aligned features by sorted `feature_id` (numerically when
/// all ids are numbers, else as text), within a feature the samples by sorted `sample` id (or name), and
/// within a sample the rows in table order.
enum XCMSTableReader {
    static func read(_ url: URL) throws -> FeatureTable {
        let csv = try TableValues.singleCSV(url, kind: "an XCMS table")
        let header = csv.header.map { $0.trimmingCharacters(in: .whitespaces) }
        func column(_ name: String) -> Int? { header.firstIndex(of: name) }
        let required = ["mz", "mzmin", "mzmax", "rt", "rtmin", "rtmax", "into", "maxo", "sample_name"]
        let missing = required.filter { column($0) == nil }
        guard missing.isEmpty else {
            throw TableError(
                file: csv.path, line: 1,
                message:
                    "missing XCMS column(s) \(missing.joined(separator: ", ")) (is this an XCMS chromPeaks export?)")
        }
        try TableValues.checkFieldCounts(csv)

        struct Row {
            var peak: TablePeak
            var sampleKey: SortKey
            var featureKey: SortKey?
            var featureName: String?
        }
        var builder = FeatureTableBuilder(path: csv.path)
        var rows: [Row] = []
        rows.reserveCapacity(csv.records.count)
        let featureColumn = column("feature_id")
        let sampleIDColumn = column("sample")
        var allFeatureIDsNumeric = true
        for row in 0..<csv.records.count {
            let location = TableLocation(file: csv.path, line: csv.lineNumbers[row])
            func number(_ name: String) throws -> Double? {
                guard let c = column(name) else { return nil }
                return try TableValues.number(csv, row, c, name: name)
            }
            func minutes(_ name: String) throws -> Double? {
                guard let c = column(name), c < csv.records[row].count else { return nil }
                let field = csv.records[row][c]
                if TableValues.isMissingMarker(field) { return nil }
                guard let value = DecimalParsing.minutesFromSecondsText(field) else {
                    throw TableError(
                        file: csv.path, line: location.line,
                        message: "column '\(name)' holds '\(csv.text(row, c))', which is not a number")
                }
                return value.isNaN ? nil : value
            }
            guard let nameColumn = column("sample_name"), nameColumn < csv.records[row].count else { continue }
            let sampleName = csv.text(row, nameColumn).trimmingCharacters(in: .whitespaces)
            guard !sampleName.isEmpty else {
                throw TableError(file: csv.path, line: location.line, message: "empty 'sample_name'")
            }
            var peak = TablePeak(sample: builder.sampleIndex(sampleName), feature: -1, location: location, dataRow: row)
            peak.mz = try number("mz")
            peak.mzMin = try number("mzmin")
            peak.mzMax = try number("mzmax")
            peak.rt = try minutes("rt")
            peak.rtStart = try minutes("rtmin")
            peak.rtEnd = try minutes("rtmax")
            peak.area = try number("into")
            peak.height = try number("maxo")
            peak.areaBaselineCorrected = try number("intb")
            peak.signalToNoise = try number("sn")
            peak.rtAdjusted = try minutes("rt_adjusted")
            peak.rtStartAdjusted = try minutes("rtmin_adjusted")
            peak.rtEndAdjusted = try minutes("rtmax_adjusted")
            peak.featureMZ = peak.mz
            peak.featureRT = peak.rt

            var sampleKey = SortKey.text(sampleName)
            if let c = sampleIDColumn, let id = try TableValues.number(csv, row, c, name: "sample") {
                sampleKey = .number(id)
            }
            var featureKey: SortKey? = nil
            var featureName: String? = nil
            if let c = featureColumn, c < csv.records[row].count, !TableValues.isMissingMarker(csv.records[row][c]) {
                let text = csv.text(row, c).trimmingCharacters(in: .whitespaces)
                featureName = text
                if let value = DecimalParsing.neatMSDouble(csv.records[row][c]) {
                    featureKey = .number(value)
                } else {
                    featureKey = .text(text)
                    allFeatureIDsNumeric = false
                }
            }
            rows.append(Row(peak: peak, sampleKey: sampleKey, featureKey: featureKey, featureName: featureName))
        }

        // Unaligned peaks first, each its own feature, in table order.
        for (index, row) in rows.enumerated() where row.featureKey == nil {
            builder.addFeature(name: String(index), peaks: [row.peak])
        }
        // Then aligned features by sorted id; within each, samples by sorted id; rows in table order.
        var groups: [SortKey: [Int]] = [:]
        for (index, row) in rows.enumerated() {
            guard var key = row.featureKey else { continue }
            if !allFeatureIDsNumeric, case .number = key, let name = row.featureName { key = .text(name) }
            groups[key, default: []].append(index)
        }
        for key in groups.keys.sorted() {
            let members = groups[key] ?? []
            let bySample = Dictionary(grouping: members, by: { rows[$0].sampleKey })
            var peaks: [TablePeak] = []
            for sampleKey in bySample.keys.sorted() {
                // NeatMS records one feature per sample, with the m/z and RT of its first row.
                let sampleRows = bySample[sampleKey] ?? []
                for index in sampleRows {
                    var peak = rows[index].peak
                    if let first = sampleRows.first {
                        peak.featureMZ = rows[first].peak.mz
                        peak.featureRT = rows[first].peak.rt
                    }
                    peaks.append(peak)
                }
            }
            let name = members.first.flatMap { rows[$0].featureName } ?? ""
            builder.addFeature(name: name, peaks: peaks)
        }
        return builder.table
    }
}

/// A sort key ordering like numpy's `unique` on the column: numbers numerically, text by code points.
enum SortKey: Hashable, Comparable {
    case number(Double)
    case text(String)

    static func < (lhs: SortKey, rhs: SortKey) -> Bool {
        switch (lhs, rhs) {
        case (.number(let a), .number(let b)): return a < b
        case (.text(let a), .text(let b)): return a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars)
        case (.number, .text): return true
        case (.text, .number): return false
        }
    }
}
