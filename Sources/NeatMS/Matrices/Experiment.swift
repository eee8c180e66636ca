import Foundation
import MassSpec
import Support

extension MS1Scans {
    /// Reads the MS1 spectra of an mzML (or `.mzML.gz`) file with `MassSpec`'s streaming reader, keeping
    /// only the points with m/z in `ranges` (all points when nil).
    ///
    /// Spectra marked "profile spectrum" are centroided first, exactly as NeatMS's reader (pymzml's
    /// `peaks("centroided")`) does; centroided spectra are used as stored.
    ///
    /// Extraction takes only points inside a peak's [mz_min, mz_max], so loading with the union of the
    /// windows of the peaks to extract (`FeatureTable.mzRanges(sample:positions:)`) gives the same
    /// matrices while holding a fraction of the run's points.
    /// - Throws: `MzMLError` naming the file (and spectrum) on any problem.
    public static func load(_ url: URL, keeping ranges: MZRanges? = nil) throws -> MS1Scans {
        let run = try MzMLReader(url: url).readMS1Run(keeping: ranges, centroidingProfileSpectra: true)
        return MS1Scans(rt: run.rt, offsets: run.offsets, mz: run.mz, intensity: run.intensity)
    }
}

/// An experiment as NeatMS sees it: a feature table and the raw file of each of its samples.
public struct Experiment: Sendable {
    /// The feature table.
    public var table: FeatureTable
    /// The raw file of each table sample (`rawFiles[s]` belongs to `table.samples[s]`).
    public var rawFiles: [URL]

    public init(table: FeatureTable, rawFiles: [URL]) {
        self.table = table
        self.rawFiles = rawFiles
    }

    /// Loads the table and pairs its samples with the mzML files of `rawFolder` by file name.
    /// - Throws: `TableError` (unreadable or malformed table; table samples without a raw file, listed).
    public init(rawFolder: URL, table tableURL: URL, format: FeatureTableFormat) throws {
        let table = try FeatureTable.read(tableURL, format: format)
        let files = try listRawFiles(in: rawFolder)
        self.init(table: table, rawFiles: try table.matchRawFiles(files))
    }

    /// Raw files of the folder that no table sample names (NeatMS gives them no peaks).
    public static func unusedRawFiles(rawFolder: URL, table: FeatureTable) -> [String] {
        let names = (try? listRawFiles(in: rawFolder).map(\.lastPathComponent)) ?? []
        return names.filter { name in
            !table.samples.contains(name)
                && !(name.hasSuffix(".gz") && table.samples.contains(String(name.dropLast(3))))
        }
    }

    /// Builds the matrices of every sample's peaks (or of `peakSubsets[s]`, positions in sample `s`'s
    /// peak list, for the samples it names), samples in parallel on up to `concurrency` threads.
    ///
    /// Each sample's scans are loaded once (by `loader`, given the m/z ranges of the peaks to extract: the
    /// default keeps only the points inside them), its matrices made, and the result passed to `consume`
    /// (serially, in completion order) before the scans are released, so memory stays bounded by
    /// `concurrency` filtered runs plus what `consume` keeps.
    /// - Throws: the first loader error (e.g. `MzMLError`) or error thrown by `consume`.
    public func extractMatrices(
        options: MatrixOptions = .neatMSDefault,
        peakSubsets: [Int: [Int]]? = nil,
        concurrency: Int = Cores.available,
        loader: @escaping MS1Loader = { try MS1Scans.load($0, keeping: $1) },
        consume: @escaping @Sendable (SampleMatrices) throws -> Void
    ) throws {
        try options.validate()
        let samples = peakSubsets.map { $0.keys.sorted() } ?? Array(table.samples.indices)
        let table = self.table
        let rawFiles = self.rawFiles
        try SampleRunner.run(
            samples: samples, concurrency: concurrency,
            work: { sample in
                let subset = peakSubsets?[sample]
                let scans = try loader(rawFiles[sample], table.mzRanges(sample: sample, positions: subset))
                return SampleMatrices(table: table, sample: sample, scans: scans, options: options, subset: subset)
            },
            consume: { _, matrices in try consume(matrices) })
    }

    /// The matrices of every sample, in sample order (convenience for small experiments and tests).
    public func allMatrices(
        options: MatrixOptions = .neatMSDefault,
        concurrency: Int = Cores.available,
        loader: @escaping MS1Loader = { try MS1Scans.load($0, keeping: $1) }
    ) throws -> [SampleMatrices] {
        let collected = Locked<[SampleMatrices]>([])
        try extractMatrices(options: options, concurrency: concurrency, loader: loader) { matrices in
            collected.withLock { $0.append(matrices) }
        }
        return collected.current.sorted { $0.sample < $1.sample }
    }
}
