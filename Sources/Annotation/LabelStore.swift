import FileSupport
import Foundation
import NeatMS
import Support

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A labels file that the labeller writes to: LABELS.csv in the format `neatms dataset --labels` reads
/// (`PeakLabels`: header `sample,feature_id,mz,rt,label`, one line per labelled peak, lines in labelling
/// order).
///
/// A value type: the session keeps it under its lock. Durability: every change rewrites the whole file into a temporary file beside it, `fsync`s it, renames
/// it over LABELS.csv and `fsync`s the folder, before the change returns. A process killed at any moment
/// (SIGKILL, power loss after the folder sync) leaves either the previous or the new complete file, never
/// a torn one, and a change that returned is on disk.
///
/// Lines of an existing file that name no peak of the table (another table, a renamed sample) are kept in
/// the file as written and listed in `unresolved`; they are never dropped.
public struct LabelStore: Sendable {
    /// One line of the file.
    public struct Line: Sendable, Equatable {
        /// The table peak, nil for a line that names none.
        public var peak: Int?
        /// The line's fields in the file's column order `sample,feature_id,mz,rt,label`.
        public var sample: String
        public var feature: String
        public var mz: String
        public var rt: String
        public var label: String
    }

    /// A line of an existing file that names no peak of the table.
    public struct Unresolved: Sendable, Equatable, CustomStringConvertible {
        public var line: Int
        public var problem: String
        public var description: String { "line \(line): \(problem)" }
    }

    /// The file, as the user gave it (for messages).
    public let path: String
    public let url: URL
    /// The lines in labelling order.
    public private(set) var lines: [Line] = []
    /// Lines of the file as read that name no peak of the table (kept in the file).
    public private(set) var unresolved: [Unresolved] = []
    private var lineOfPeak: [Int: Int] = [:]
    private let table: FeatureTable

    /// Opens `path`: reads its labels when it exists (each resolved to a peak of `table`), or starts an
    /// empty file. The folder must exist and be writable.
    /// - Throws: `AnnotationError` naming the file (unreadable, no header with sample/feature_id/label,
    ///   not writable).
    public init(path: String, table: FeatureTable) throws {
        self.path = path
        self.url = URL(fileURLWithPath: path)
        self.table = table
        do {
            try AtomicFile.checkDestination(url)
        } catch let error as FileWriteError {
            throw AnnotationError(file: path, problem: error.problem)
        }
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        let csv: CSVFile
        do {
            csv = try CSVFile(url: url)
        } catch let error as TableError {
            throw AnnotationError(file: path, problem: error.message)
        }
        let header = csv.header.map { $0.trimmingCharacters(in: .whitespaces) }
        func column(_ name: String) -> Int? { header.firstIndex(of: name) }
        guard let sampleColumn = column("sample"), let featureColumn = column("feature_id"),
            let labelColumn = column("label")
        else {
            throw AnnotationError(
                file: path, problem: "line 1: not a labels file (needs the columns sample,feature_id,mz,rt,label)")
        }
        let featureByName = PeakLabels.featureIndex(table)
        for (row, fields) in csv.records.enumerated() {
            func text(_ c: Int?) -> String {
                guard let c, c < fields.count else { return "" }
                return String(decoding: fields[c], as: UTF8.self).trimmingCharacters(in: .whitespaces)
            }
            var line = Line(
                peak: nil, sample: text(sampleColumn), feature: text(featureColumn), mz: text(column("mz")),
                rt: text(column("rt")), label: text(labelColumn))
            let number = csv.lineNumbers[row]
            switch PeakLabels.peak(
                sample: line.sample, feature: line.feature, mz: line.mz, rt: line.rt, in: table,
                featureByName: featureByName)
            {
            case .success(let peak):
                if let previous = lineOfPeak[peak] {
                    unresolved.append(
                        Unresolved(
                            line: number, problem: "this peak is already labelled on line \(csv.lineNumbers[previous])")
                    )
                } else if line.label.isEmpty {
                    unresolved.append(Unresolved(line: number, problem: "empty label"))
                } else {
                    line.peak = peak
                    lineOfPeak[peak] = lines.count
                }
            case .failure(let problem):
                unresolved.append(Unresolved(line: number, problem: problem.message))
            }
            lines.append(line)
        }
    }

    /// The label of `peak`, if it has one.
    public func label(of peak: Int) -> String? { lineOfPeak[peak].map { lines[$0].label } }

    /// Labelled peaks in labelling order (lines naming no peak left out).
    public var labelledPeaks: [(peak: Int, label: String)] { lines.compactMap { l in l.peak.map { ($0, l.label) } } }

    /// Labels `peak` (a relabelled peak keeps its place in the labelling order) and writes the file.
    /// - Throws: `AnnotationError` when the file cannot be written; the store is then unchanged.
    public mutating func set(_ label: String, for peak: Int) throws {
        var updated = lines
        let p = table.peaks[peak]
        let line = Line(
            peak: peak, sample: table.samples[p.sample], feature: table.features[p.feature].name,
            mz: p.mz.map { String(format: "%.4f", $0) } ?? "", rt: p.rt.map { String(format: "%.3f", $0) } ?? "",
            label: label)
        if let index = lineOfPeak[peak] { updated[index] = line } else { updated.append(line) }
        try write(updated)
        if lineOfPeak[peak] == nil { lineOfPeak[peak] = lines.count }
        lines = updated
    }

    /// Removes the label of the most recently labelled peak (the file's last line naming a peak) and writes
    /// the file. - Returns: that peak, or nil when nothing is labelled.
    public mutating func removeLast() throws -> Int? {
        guard let index = lines.lastIndex(where: { $0.peak != nil }), let peak = lines[index].peak else { return nil }
        var updated = lines
        updated.remove(at: index)
        try write(updated)
        lines = updated
        lineOfPeak = [:]
        for (i, line) in lines.enumerated() { if let p = line.peak { lineOfPeak[p] = i } }
        return peak
    }

    /// The file's text for `lines`.
    static func text(_ lines: [Line]) -> String {
        var out = "sample,feature_id,mz,rt,label\n"
        for line in lines {
            out +=
                [line.sample, line.feature, line.mz, line.rt, line.label].map(csvField).joined(separator: ",") + "\n"
        }
        return out
    }

    /// A CSV field, quoted when it holds a comma, quote or line break.
    static func csvField(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Writes `lines` durably (temporary file, fsync, rename, folder fsync).
    private func write(_ lines: [Line]) throws {
        let data = Array(Self.text(lines).utf8)
        do {
            try AtomicFile.write(to: url) { temporary in
                try Self.writeSynced(data, to: temporary, reportingAs: path)
            }
        } catch let error as FileWriteError {
            throw AnnotationError(file: path, problem: error.problem)
        }
        Self.syncFolder(of: url)
    }

    /// Writes `bytes` to a new file at `url` and `fsync`s it.
    static func writeSynced(_ bytes: [UInt8], to url: URL, reportingAs path: String) throws {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            throw AnnotationError(file: path, problem: "cannot write: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw AnnotationError(file: path, problem: "cannot write: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
        guard fsync(fd) == 0 else {
            throw AnnotationError(file: path, problem: "cannot sync to disk: \(String(cString: strerror(errno)))")
        }
    }

    /// `fsync`s the folder holding `url`, so that the rename itself is on disk.
    static func syncFolder(of url: URL) {
        let fd = open(url.deletingLastPathComponent().path, O_RDONLY)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}

/// A problem of the labelling session: `file: problem` on one line (the file as the user gave it), or a
/// problem with the request when `file` is empty.
public struct AnnotationError: LocatedError, Equatable, Sendable {
    public var file: String?
    public var problem: String

    public init(file: String, problem: String) {
        self.file = file
        self.problem = problem
    }
}
