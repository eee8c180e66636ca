import Foundation

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
