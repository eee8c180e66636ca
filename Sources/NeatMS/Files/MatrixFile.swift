import FileSupport
import Foundation
import HDF5
import Support

/// Peak matrices stored in HDF5, one group per sample — the layout of NeatMS's reference files
/// (`neatms_reference_matrices.h5`) and of `neatms extract`:
///
/// ```
/// /                          attributes: description, matrix_size, margin, min_scan_num, table, format
/// /<raw file name>/X                     (N, 2, n, 1) float32   the valid peaks' matrices, NeatMS's order
///                 /peak_index_in_sample  (N,) int64   position in the sample's peak list as loaded
///                 /feature_id            (N,) int64   NeatMS's feature ID (as in exported tables)
///                 /feature_row           (N,) int64   0-based data row of the peak's line in its table file
///                 /mz /RT_min /rt_start_min /rt_end_min /mz_min /mz_max /height /area   (N,) float64, NaN = missing
///                 /scan_number           (N,) int64   scans with signal inside [rt_start, rt_end]
///                 /invalid_peak_index_in_sample  (M,) int64   peaks without a matrix
/// ```
/// `feature_id`, `feature_row` and `invalid_peak_index_in_sample` are NeatMSKit additions; readers treat
/// them as optional.
public enum MatrixFile {
    /// One sample's group.
    public struct Sample: Sendable, Equatable {
        /// Group name: the raw file name.
        public var name: String
        /// n, the matrix width.
        public var size: Int
        /// (N, 2, n, 1) values, row-major.
        public var x: [Float]
        public var peakIndexInSample: [Int]
        public var featureID: [Int]?
        public var featureRow: [Int]?
        public var mz: [Double]
        public var rt: [Double]
        public var rtStart: [Double]
        public var rtEnd: [Double]
        public var mzMin: [Double]
        public var mzMax: [Double]
        public var height: [Double]
        public var area: [Double]
        public var scanNumber: [Int]
        public var invalidPeakIndexInSample: [Int]?

        /// Number of peaks N.
        public var count: Int { peakIndexInSample.count }

        /// The (2, n) matrix of peak `i`.
        public func matrix(_ i: Int) -> ArraySlice<Float> { x[(i * 2 * size)..<((i + 1) * 2 * size)] }

        /// A group from its values (optional datasets nil).
        public init(
            name: String, size: Int, x: [Float], peakIndexInSample: [Int], mz: [Double], rt: [Double],
            rtStart: [Double], rtEnd: [Double], mzMin: [Double], mzMax: [Double], height: [Double],
            area: [Double], scanNumber: [Int]
        ) {
            self.name = name
            self.size = size
            self.x = x
            self.peakIndexInSample = peakIndexInSample
            self.mz = mz
            self.rt = rt
            self.rtStart = rtStart
            self.rtEnd = rtEnd
            self.mzMin = mzMin
            self.mzMax = mzMax
            self.height = height
            self.area = area
            self.scanNumber = scanNumber
        }

        /// The group for `matrices` of `table`.
        public init(_ matrices: SampleMatrices, table: FeatureTable) {
            name = matrices.sampleName
            size = matrices.options.size
            x = matrices.values
            peakIndexInSample = matrices.positionsInSample
            let peaks = matrices.peaks.map { table.peaks[$0] }
            featureID = peaks.map(\.feature)
            featureRow = matrices.peaks.map { table.featureRow(ofPeak: $0) }
            func values(_ key: KeyPath<TablePeak, Double?>) -> [Double] { peaks.map { $0[keyPath: key] ?? .nan } }
            mz = values(\.mz)
            rt = values(\.rt)
            rtStart = values(\.rtStart)
            rtEnd = values(\.rtEnd)
            mzMin = values(\.mzMin)
            mzMax = values(\.mzMax)
            height = values(\.height)
            area = values(\.area)
            scanNumber = matrices.scanNumbers
            let positionOf = Dictionary(
                uniqueKeysWithValues: table.peaksBySample[matrices.sample].enumerated().map { ($1, $0) })
            invalidPeakIndexInSample = matrices.invalid.compactMap { positionOf[$0.peak] }
        }
    }

    /// Reads every sample group of a matrix file (ours or NeatMS's reference), in name order.
    /// - Throws: `HDF5Error`, or `MatrixInputError` for a group whose datasets do not fit together.
    public static func read(_ url: URL) throws -> [Sample] {
        let file = try HDF5File.open(url)
        defer { try? file.close() }
        var samples: [Sample] = []
        for (name, kind) in try file.root.children() where kind == .group {
            let group = try file.root.group(name)
            let xSet = try group.dataset("X")
            let shape = xSet.shape
            guard shape.count == 4, shape[1] == 2, shape[3] == 1 else {
                throw MatrixInputError(
                    file: url.relativePath, problem: "\(name)/X has shape \(shape), expected (N, 2, n, 1)")
            }
            let count = shape[0]
            func doubles(_ key: String) throws -> [Double] {
                guard group.contains(key) else { return Array(repeating: .nan, count: count) }
                let values: [Double] = try group.dataset(key).read()
                guard values.count == count else {
                    throw MatrixInputError(
                        file: url.relativePath, problem: "\(name)/\(key) has \(values.count) values for \(count) peaks")
                }
                return values
            }
            func ints(_ key: String, required: Bool) throws -> [Int]? {
                guard group.contains(key) else {
                    if required {
                        throw MatrixInputError(file: url.relativePath, problem: "\(name) has no '\(key)' dataset")
                    }
                    return nil
                }
                let values: [Int64] = try group.dataset(key).read()
                return values.map { Int($0) }
            }
            let x: [Float] = count == 0 ? [] : try xSet.read()
            var sample = Sample(
                name: name, size: shape[2], x: x,
                peakIndexInSample: try ints("peak_index_in_sample", required: true) ?? [],
                mz: try doubles("mz"), rt: try doubles("RT_min"), rtStart: try doubles("rt_start_min"),
                rtEnd: try doubles("rt_end_min"), mzMin: try doubles("mz_min"), mzMax: try doubles("mz_max"),
                height: try doubles("height"), area: try doubles("area"),
                scanNumber: try ints("scan_number", required: false) ?? [])
            sample.featureID = try ints("feature_id", required: false)
            sample.featureRow = try ints("feature_row", required: false)
            sample.invalidPeakIndexInSample = try ints("invalid_peak_index_in_sample", required: false)
            guard sample.peakIndexInSample.count == count else {
                throw MatrixInputError(
                    file: url.relativePath, problem: "\(name)/peak_index_in_sample does not have \(count) values")
            }
            samples.append(sample)
        }
        return samples
    }

    /// Writes sample groups into a new file atomically, as they arrive: `begin` creates a temporary file
    /// beside `url`, `add` writes one group, `finish` closes and renames it into place.
    public final class Writer: Sendable {
        private let url: URL
        private let temporary: URL
        /// The open file, until `finish` or `abandon`.
        private let file = Locked<HDF5File?>(nil)

        /// Starts a file at `url` (replaced when complete); root attributes describe how it was made.
        public init(url: URL, options: MatrixOptions, tablePath: String, format: FeatureTableFormat) throws {
            self.url = url
            try asTableError { try AtomicFile.checkDestination(url) }
            temporary = AtomicFile.temporaryURL(for: url)
            let file: HDF5File
            do {
                file = try HDF5File.create(temporary)
            } catch {
                // A full disk can fail the create after the file appeared.
                try? FileManager.default.removeItem(at: temporary)
                try asTableError(writing: url) { throw error }
                throw error
            }
            self.file.withLock { $0 = file }
            do {
                try file.root.setAttribute(
                    "description",
                    .string(
                        "Peak matrices as NeatMS 0.9 feeds them to its CNN (matrice_size=\(options.size), "
                            + "margin=\(options.margin), min_scan_num=\(options.minScans)), one group per sample, "
                            + "written by NeatMSKit from \(tablePath).", .vlenUTF8))
                try file.root.setAttribute("matrix_size", .int64(Int64(options.size)))
                try file.root.setAttribute("margin", .float64(options.margin))
                try file.root.setAttribute("min_scan_num", .int64(Int64(options.minScans)))
                try file.root.setAttribute("table", .string(tablePath, .vlenUTF8))
                try file.root.setAttribute("format", .string(format.rawValue, .vlenUTF8))
            } catch {
                abandon()
                try asTableError(writing: url) { throw error }
                throw error
            }
        }

        /// Writes one sample's group.
        public func add(_ sample: Sample) throws {
            try asTableError(writing: url) { try file.withLock { file in try add(sample, to: file) } }
        }

        private func add(_ sample: Sample, to file: HDF5File?) throws {
            guard let file else {
                throw MatrixInputError(file: url.relativePath, problem: "the writer is already finished")
            }
            let group = try file.root.createGroup(sample.name)
            let n = sample.count
            if n > 0 {
                try group.writeDataset("X", shape: [n, 2, sample.size, 1], values: sample.x)
            } else {
                try group.createDataset("X", type: .float32, shape: [0, 2, sample.size, 1])
            }
            func ints(_ name: String, _ values: [Int]) throws {
                if values.isEmpty {
                    try group.createDataset(name, type: .int64, shape: [0])
                } else {
                    try group.writeDataset(name, shape: [values.count], values: values.map { Int64($0) })
                }
            }
            func doubles(_ name: String, _ values: [Double]) throws {
                if values.isEmpty {
                    try group.createDataset(name, type: .float64, shape: [0])
                } else {
                    try group.writeDataset(name, shape: [values.count], values: values)
                }
            }
            try ints("peak_index_in_sample", sample.peakIndexInSample)
            if let ids = sample.featureID { try ints("feature_id", ids) }
            if let rows = sample.featureRow { try ints("feature_row", rows) }
            try doubles("mz", sample.mz)
            try doubles("RT_min", sample.rt)
            try doubles("rt_start_min", sample.rtStart)
            try doubles("rt_end_min", sample.rtEnd)
            try doubles("mz_min", sample.mzMin)
            try doubles("mz_max", sample.mzMax)
            try doubles("height", sample.height)
            try doubles("area", sample.area)
            try ints("scan_number", sample.scanNumber)
            if let invalid = sample.invalidPeakIndexInSample { try ints("invalid_peak_index_in_sample", invalid) }
        }

        /// Closes the file and moves it into place.
        public func finish() throws {
            guard
                let file = file.withLock({ open in
                    defer { open = nil }
                    return open
                })
            else { return }
            do {
                try asTableError(writing: url) { try file.close() }
                try moveIntoPlace(temporary, url)
            } catch {
                try? FileManager.default.removeItem(at: temporary)
                throw error
            }
        }

        /// Drops the temporary file (after an error); the destination is untouched.
        public func abandon() {
            file.withLock { open in
                if let open { try? open.close() }
                open = nil
            }
            try? FileManager.default.removeItem(at: temporary)
        }
    }
}

extension FeatureTable {
    /// The 0-based data row of peak `index`'s line in its table file (the MZmine feature row; the XCMS
    /// peak row).
    public func featureRow(ofPeak index: Int) -> Int {
        peaks[index].dataRow
    }
}

/// Replaces `destination` with `source` in one rename (both in the same folder).
/// - Throws: `TableError` naming `destination` when the rename fails.
func moveIntoPlace(_ source: URL, _ destination: URL) throws {
    try asTableError { try AtomicFile.moveIntoPlace(source, over: destination) }
}

/// Writes `data` to `url` atomically (temporary file in the same folder, then rename).
/// - Throws: `TableError` naming `url`.
func writeAtomically(_ data: Data, to url: URL) throws {
    try asTableError { try AtomicFile.write(data, to: url) }
}

/// Writes `url` atomically: `body` fills a temporary file beside it (see `AtomicFile.write(to:_:)`).
/// - Throws: whatever `body` throws; `TableError` naming `url` for a missing folder or failed rename.
func writeAtomically(to url: URL, _ body: (URL) throws -> Void) throws {
    try asTableError(writing: url) { try AtomicFile.write(to: url, body) }
}

/// Runs `body`, reporting a `FileWriteError` as the data path's `TableError` (same file, same text), and
/// an HDF5 failure while writing `destination`'s temporary file as an error naming `destination`.
private func asTableError(writing destination: URL? = nil, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as FileWriteError {
        throw TableError(file: error.path, line: nil, message: error.problem)
    } catch let error as HDF5Error where destination != nil {
        throw TableError(file: destination!.path, line: nil, message: "cannot write: " + error.problem)
    }
}
