import ArgumentParser
import Foundation
import NeatMS
import Support

extension FeatureTableFormat: ExpressibleByArgument {}

/// `--raw DIR --features TABLE --format mzmine|xcms`: an experiment as NeatMS loads it.
struct ExperimentOptions: ParsableArguments {
    @Option(help: "Folder of the raw mzML files (names must match the table's sample names).")
    var raw: String

    @Option(
        help:
            "Feature table: a CSV file, or a folder (MZmine 2 per-sample CSVs; OpenMS featureXML files and a consensusXML)."
    )
    var features: String

    @Option(help: "Feature table format: mzmine, mzmine3, xcms or openms.")
    var format: FeatureTableFormat

    /// Loads the table and pairs it with the raw files; notes raw files without peaks on stderr.
    func load() throws -> Experiment {
        try Self.load(raw: raw, features: features, format: format).experiment
    }

    /// Loads `features` and pairs it with the mzML files in `raw`; notes (on stderr) and returns the raw
    /// files without peaks. Shared with `predict`'s raw-data form, whose options are optional.
    static func load(raw: String, features: String, format: FeatureTableFormat) throws
        -> (experiment: Experiment, unused: [String])
    {
        let rawURL = URL(fileURLWithPath: raw)
        let experiment = try Experiment(rawFolder: rawURL, table: URL(fileURLWithPath: features), format: format)
        let unused = Experiment.unusedRawFiles(rawFolder: rawURL, table: experiment.table)
        if !unused.isEmpty {
            Diagnostics.warning("raw files without peaks in \(features): \(unused.joined(separator: ", "))")
        }
        return (experiment, unused)
    }
}

/// `--matrix-size`, `--margin`, `--min-scans` (NeatMS's `matrice_size`, `margin`, `min_scan_num`).
struct MatrixOptionGroup: ParsableArguments {
    @Option(help: "Matrix width n (NeatMS's matrice_size).")
    var matrixSize: Int = 120

    @Option(help: "Margin on each side of the peak, as a multiple of its width.")
    var margin: Double = 1

    @Option(help: "Minimum number of scans with signal between RT start and RT end.")
    var minScans: Int = 5

    @Option(help: "Samples processed at once; the default is the number of cores this process may use.")
    var jobs: Int = Cores.available

    var options: MatrixOptions { MatrixOptions(size: matrixSize, margin: margin, minScans: minScans) }

    func validate() throws {
        do { try options.validate() } catch { throw ValidationError("\(error)") }
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
    }
}

/// Progress lines on stderr: `[k/N] sample: V of P peaks valid (I invalid)`.
struct SampleProgress: Sendable {
    private let done = Locked(0)
    private let table: FeatureTable

    init(table: FeatureTable) {
        self.table = table
    }

    func report(_ matrices: SampleMatrices, extra: String = "") {
        let line = done.withLock { done in
            done += 1
            return "[\(done)/\(table.samples.count)] \(matrices.sampleName): \(matrices.count) of "
                + "\(table.peaksBySample[matrices.sample].count) peaks valid\(extra)\n"
        }
        FileHandle.standardError.write(Data(line.utf8))
    }
}

/// Invalid-peak summary for stderr: counts by reason.
func invalidSummary(_ reasons: [InvalidPeakReason]) -> String {
    var counts: [String: Int] = [:]
    for reason in reasons {
        let key: String
        switch reason {
        case .missingWindow: key = "no RT/m/z window in the table"
        case .noSignal: key = "signal in at most one scan"
        case .tooFewScans: key = "too few scans in the peak"
        case .flatChromatogram: key = "flat chromatogram"
        }
        counts[key, default: 0] += 1
    }
    return counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
}
