import Foundation
import MassSpec
import Support

/// The matrices of one sample's valid peaks, in NeatMS's order, with the invalid peaks and why.
public struct SampleMatrices: Sendable, Equatable {
    /// Index of the sample in `FeatureTable.samples`.
    public var sample: Int
    /// The sample's name (its raw file name).
    public var sampleName: String
    /// The options the matrices were made with.
    public var options: MatrixOptions
    /// For each valid peak: its index in `FeatureTable.peaks`.
    public var peaks: [Int]
    /// For each valid peak: its position in the sample's peak list (`FeatureTable.peaksBySample`),
    /// NeatMS's `peak_index_in_sample`.
    public var positionsInSample: [Int]
    /// For each valid peak: NeatMS's `scan_number`.
    public var scanNumbers: [Int]
    /// The valid peaks' matrices, shape (N, 2, n, 1), row-major.
    public var values: [Float]
    /// Peaks without a matrix: index in `FeatureTable.peaks` and the reason.
    public var invalid: [(peak: Int, reason: InvalidPeakReason)]

    /// Number of valid peaks N.
    public var count: Int { peaks.count }

    /// The (2, n) matrix of valid peak `i` (n intensities then n mask values).
    public func matrix(_ i: Int) -> ArraySlice<Float> {
        let size = 2 * options.size
        return values[(i * size)..<((i + 1) * size)]
    }

    public static func == (lhs: SampleMatrices, rhs: SampleMatrices) -> Bool {
        lhs.sample == rhs.sample && lhs.sampleName == rhs.sampleName && lhs.options == rhs.options
            && lhs.peaks == rhs.peaks && lhs.positionsInSample == rhs.positionsInSample
            && lhs.scanNumbers == rhs.scanNumbers && lhs.values == rhs.values
            && lhs.invalid.map(\.peak) == rhs.invalid.map(\.peak)
            && lhs.invalid.map(\.reason) == rhs.invalid.map(\.reason)
    }

    /// The matrices as given (for builders other than `init(table:sample:scans:options:subset:)`).
    init(
        sample: Int, sampleName: String, options: MatrixOptions, peaks: [Int], positionsInSample: [Int],
        scanNumbers: [Int], values: [Float], invalid: [(peak: Int, reason: InvalidPeakReason)]
    ) {
        self.sample = sample
        self.sampleName = sampleName
        self.options = options
        self.peaks = peaks
        self.positionsInSample = positionsInSample
        self.scanNumbers = scanNumbers
        self.values = values
        self.invalid = invalid
    }

    /// Builds the matrices of `sample`'s peaks (or of `subset`, positions in the sample's peak list, in the
    /// order given) from its MS1 scans.
    public init(table: FeatureTable, sample: Int, scans: MS1Scans, options: MatrixOptions, subset: [Int]? = nil) {
        self.sample = sample
        self.sampleName = table.samples[sample]
        self.options = options
        let list = table.peaksBySample[sample]
        let positions = subset ?? Array(list.indices)
        peaks = []
        positionsInSample = []
        scanNumbers = []
        values = []
        invalid = []
        values.reserveCapacity(positions.count * 2 * options.size)
        var buffers = PeakMatrixBuilder.ChromatogramBuffers()
        for position in positions where position >= 0 && position < list.count {
            let peakIndex = list[position]
            let result = PeakMatrixBuilder.matrix(
                for: table.peaks[peakIndex].window, in: scans, options: options, buffers: &buffers)
            switch result {
            case .valid(let matrix, let scanNumber):
                peaks.append(peakIndex)
                positionsInSample.append(position)
                scanNumbers.append(scanNumber)
                values.append(contentsOf: matrix)
            case .invalid(let reason):
                invalid.append((peakIndex, reason))
            }
        }
    }
}

/// Reads a raw file's MS1 scans. The second argument holds the m/z ranges of the peaks that will be
/// extracted from them: points outside cannot change any matrix, so a loader may drop them (the default,
/// `MS1Scans.load(_:keeping:)`, does) or keep everything (a test's cache of whole runs). The default reads
/// mzML with `MassSpec`; tests may substitute their own.
public typealias MS1Loader = @Sendable (URL, MZRanges) throws -> MS1Scans

extension FeatureTable {
    /// The union of the closed [mz_min, mz_max] windows of sample `sample`'s peaks (or of `positions`,
    /// positions in its peak list as `SampleMatrices` takes them; out-of-range positions and peaks without
    /// a window are left out): the only m/z values their matrices can use.
    public func mzRanges(sample: Int, positions: [Int]? = nil) -> MZRanges {
        let list = sample >= 0 && sample < peaksBySample.count ? peaksBySample[sample] : []
        let chosen = positions ?? Array(list.indices)
        return MZRanges(
            chosen.lazy.filter { $0 >= 0 && $0 < list.count }.compactMap { position in
                peaks[list[position]].window.map { (min: $0.mzMin, max: $0.mzMax) }
            })
    }
}
