import Foundation

/// The user's own feature table given back with NeatMS's verdict added (`predict --annotate-table`).
///
/// Every original row, column and value is written back as read (fields re-quoted only where CSV needs it;
/// lines end with LF), and per sample the label and each class probability are added:
/// - MZmine 2 (a file, or a folder written back as a folder of the same files): columns
///   `<sample> NeatMS label`, `<sample> NeatMS <class>` after the sample's last column.
/// - MZmine 3: `datafile:<sample>:neatms_label`, `datafile:<sample>:neatms_<class>` after the sample's
///   last column.
/// - XCMS (one row per peak): `neatms_label`, `neatms_<class>` at the end of each row.
/// - OpenMS (a folder written back as a folder): each top-level feature of each featureXML gains
///   `<UserParam name="neatms_label">` and `neatms_<class>` meta values; the consensusXML is copied (the
///   `count`/`size` attributes of lists are left as written).
///
/// A peak without a matrix (invalid) gets empty cells. With `filter`, rows of features NeatMS's group
/// rule rejects are left out (for OpenMS: those features, and consensus elements, are left out).
public enum AnnotatedTable {
    /// Writes the annotated table for `table` (read in `format`) to `output` (a file, or a folder for a
    /// folder input), atomically per file.
    /// - Throws: `TableError` when the input cannot be read again or the output cannot be written.
    public static func write(
        table: FeatureTable, format: FeatureTableFormat, predictions: PeakPredictions, rule: GroupRule, filter: Bool,
        to output: URL
    ) throws {
        // Per source file: data row → peaks (as read).
        var peaksByFile: [String: [Int: [Int]]] = [:]
        for (index, peak) in table.peaks.enumerated() {
            peaksByFile[peak.location.file, default: [:]][peak.dataRow, default: []].append(index)
        }
        let rejected = filter ? Set(table.features.filter { !rule.keeps($0) }.map(\.id)) : nil
        let input = URL(fileURLWithPath: table.path)
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: input.path, isDirectory: &isDirectory)
        if isDirectory.boolValue {
            try createFolder(output)
            let names = try FileManager.default.contentsOfDirectory(atPath: input.path).sorted()
            for name in names {
                let source = input.appendingPathComponent(name)
                let target = output.appendingPathComponent(name)
                let peaks = peaksByFile[source.path] ?? [:]
                let lower = name.lowercased()
                if format == .openms, lower.hasSuffix(".featurexml") {
                    try writeData(
                        try annotateFeatureXML(
                            source, peaks: peaks, predictions: predictions, rejected: rejected, table: table),
                        to: target)
                } else if format == .openms, lower.hasSuffix(".consensusxml") {
                    let names = Set((rejected ?? []).map { table.features[$0].name })
                    try writeData(try consensusWithout(names, source), to: target)
                } else if format == .mzmine, lower.hasSuffix(".csv") {
                    try writeData(
                        try annotateCSV(
                            source, format: format, peaks: peaks, table: table, predictions: predictions,
                            rejected: rejected),
                        to: target)
                }
            }
        } else {
            let peaks = peaksByFile[input.path] ?? [:]
            try writeData(
                try annotateCSV(
                    input, format: format, peaks: peaks, table: table, predictions: predictions, rejected: rejected),
                to: output)
        }
    }

    private static func createFolder(_ url: URL) throws {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw TableError(
                file: url.relativePath, line: nil, message: "cannot create the folder (\(error.localizedDescription))")
        }
    }

    private static func writeData(_ data: Data, to url: URL) throws {
        do {
            try writeAtomically(data, to: url)
        } catch {
            throw TableError(file: url.relativePath, line: nil, message: "cannot write the annotated table (\(error))")
        }
    }

    /// The added cells of one peak: label, then each class probability (empty for an invalid peak).
    private static func verdict(_ peak: Int?, _ predictions: PeakPredictions) -> [String] {
        guard let peak, let label = predictions.labels[peak], let probabilities = predictions.probabilities[peak] else {
            return Array(repeating: "", count: predictions.classes.count + 1)
        }
        return [label] + probabilities.map { "\($0)" }
    }

    static func annotateCSV(
        _ url: URL, format: FeatureTableFormat, peaks: [Int: [Int]], table: FeatureTable, predictions: PeakPredictions,
        rejected: Set<Int>?
    ) throws -> Data {
        let csv = try CSVFile(url: url)
        var header = csv.header
        let classes = predictions.classes
        // Where each sample's added columns go (wide formats): after that sample's last column.
        var insertAfter: [Int: Int] = [:]  // column → sample
        if format != .xcms {
            for (s, sample) in table.samples.enumerated() {
                let prefix = format == .mzmine3 ? "datafile:\(sample):" : "\(sample) Peak "
                if let last = header.lastIndex(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix(prefix) }) {
                    insertAfter[last] = s
                }
            }
        }
        func names(_ sample: String) -> [String] {
            format == .mzmine3
                ? ["datafile:\(sample):neatms_label"] + classes.map { "datafile:\(sample):neatms_\($0)" }
                : ["\(sample) NeatMS label"] + classes.map { "\(sample) NeatMS \($0)" }
        }
        var rows: [[String]] = []
        func expand(_ fields: [String], added: (Int) -> [String]) -> [String] {
            var out: [String] = []
            for (c, field) in fields.enumerated() {
                out.append(field)
                if let s = insertAfter[c] { out += added(s) }
            }
            return out
        }
        if format == .xcms {
            rows.append(header + ["neatms_label"] + classes.map { "neatms_\($0)" })
        } else {
            // A trailing empty column (MZmine 2's trailing comma) stays last.
            rows.append(expand(header) { names(table.samples[$0]) })
        }
        header = []
        for row in 0..<csv.records.count {
            let rowPeaks = peaks[row] ?? []
            if let rejected, !rowPeaks.contains(where: { !rejected.contains(table.peaks[$0].feature) }) { continue }
            let fields = csv.records[row].map { String(decoding: $0, as: UTF8.self) }
            if format == .xcms {
                rows.append(fields + verdict(rowPeaks.first, predictions))
            } else {
                rows.append(
                    expand(fields) { s in verdict(rowPeaks.first { table.peaks[$0].sample == s }, predictions) })
            }
        }
        var text = ""
        for row in rows {
            text += row.map(ResultsExport.csvField).joined(separator: ",")
            text += "\n"
        }
        return Data(text.utf8)
    }

    /// A featureXML with NeatMS's meta values added to each top-level feature (rejected features left out).
    static func annotateFeatureXML(
        _ url: URL, peaks: [Int: [Int]], predictions: PeakPredictions, rejected: Set<Int>?, table: FeatureTable
    ) throws -> Data {
        let bytes: [UInt8]
        do { bytes = [UInt8](try Data(contentsOf: url)) } catch {
            throw TableError(
                file: url.relativePath, line: nil, message: "cannot read the file again (\(error.localizedDescription))"
            )
        }
        let open = Array("<feature".utf8)
        let close = Array("</feature>".utf8)
        func matches(_ pattern: [UInt8], at i: Int) -> Bool {
            i + pattern.count <= bytes.count && bytes[i..<(i + pattern.count)].elementsEqual(pattern)
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 256 * peaks.count)
        var depth = 0
        var index = -1  // the top-level feature's position in the file
        var featureStart = 0
        var copied = 0
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "<") {
                if matches(open, at: i), i + open.count < bytes.count,
                    bytes[i + open.count] == 0x20 || bytes[i + open.count] == UInt8(ascii: ">")
                {
                    if depth == 0 {
                        index += 1
                        // Back to the start of the line, so a dropped feature takes its indentation along.
                        var start = i
                        while start > copied, bytes[start - 1] == 0x20 || bytes[start - 1] == 0x09 { start -= 1 }
                        out += bytes[copied..<start]
                        copied = start
                        featureStart = start
                    }
                    depth += 1
                } else if matches(close, at: i) {
                    depth -= 1
                    if depth == 0 {
                        let peak = peaks[index]?.first
                        let end = i + close.count
                        if let rejected, let peak, rejected.contains(table.peaks[peak].feature) {
                            // Skip the feature and its line end.
                            var next = end
                            if next < bytes.count, bytes[next] == 0x0D { next += 1 }
                            if next < bytes.count, bytes[next] == 0x0A { next += 1 }
                            copied = next
                            i = next
                            continue
                        }
                        out += bytes[featureStart..<i]
                        let values = verdict(peak, predictions)
                        var params =
                            "\t<UserParam type=\"string\" name=\"neatms_label\" value=\"\(xmlEscaped(values[0]))\"/>\n"
                        for (c, name) in predictions.classes.enumerated() where !values[c + 1].isEmpty {
                            params +=
                                "\t\t\t<UserParam type=\"float\" name=\"neatms_\(xmlEscaped(name))\" value=\"\(values[c + 1])\"/>\n"
                        }
                        params += "\t\t"
                        out += Array(params.utf8)
                        copied = i
                    }
                }
            }
            i += 1
        }
        out += bytes[copied...]
        return Data(out)
    }

    /// A consensusXML without the `consensusElement`s whose `id` is in `names` (each removed with its line).
    static func consensusWithout(_ names: Set<String>, _ url: URL) throws -> Data {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TableError(
                file: url.relativePath, line: nil, message: "cannot read the file again (\(error.localizedDescription))"
            )
        }
        guard !names.isEmpty else { return data }
        let bytes = [UInt8](data)
        let open = Array("<consensusElement".utf8)
        let close = Array("</consensusElement>".utf8)
        func matches(_ pattern: [UInt8], at i: Int) -> Bool {
            i + pattern.count <= bytes.count && bytes[i..<(i + pattern.count)].elementsEqual(pattern)
        }
        var out: [UInt8] = []
        var copied = 0
        var i = 0
        while i < bytes.count {
            guard bytes[i] == UInt8(ascii: "<"), matches(open, at: i), i + open.count < bytes.count,
                bytes[i + open.count] == 0x20
            else {
                i += 1
                continue
            }
            // The element's id attribute.
            var tagEnd = i
            while tagEnd < bytes.count, bytes[tagEnd] != UInt8(ascii: ">") { tagEnd += 1 }
            let tag = String(decoding: bytes[i..<tagEnd], as: UTF8.self)
            let id = tag.components(separatedBy: " id=\"").dropFirst().first?.components(separatedBy: "\"").first ?? ""
            guard names.contains(id) else {
                i = tagEnd
                continue
            }
            var end = tagEnd
            while end < bytes.count, !matches(close, at: end) { end += 1 }
            end = min(bytes.count, end + close.count)
            if end < bytes.count, bytes[end] == 0x0D { end += 1 }
            if end < bytes.count, bytes[end] == 0x0A { end += 1 }
            var start = i
            while start > copied, bytes[start - 1] == 0x20 || bytes[start - 1] == 0x09 { start -= 1 }
            out += bytes[copied..<start]
            copied = end
            i = end
        }
        out += bytes[copied...]
        return Data(out)
    }

    private static func xmlEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "<", with: "&lt;")
    }
}
