import Foundation
import MassSpec
import Support

/// Labelled peaks with their matrices: the file `neatms dataset` writes and `neatms train` reads.
///
/// Layout (`PEAKS.h5`, all at the root):
/// ```
/// X                    (N, 2, n, 1) float32   matrices of the valid labelled peaks
/// y                    (N,) int64              class index into `classes`
/// sample               (N,) int64              index into the `samples` attribute
/// feature_id           (N,) int64              NeatMS feature ID in the table
/// peak_index_in_sample (N,) int64              position in the sample's peak list
/// mz, rt               (N,) float64            the peak's m/z and apex RT (minutes), for people
/// label_order          (N,) int64              the peak's position among all labelled peaks (labels file order)
/// invalid_y, invalid_label_order  (K,) int64   labelled peaks without a matrix (kept for NeatMS's shuffles)
/// attributes: classes (strings, sorted), samples (strings), matrix_size, margin, min_scan_num, description
/// ```
public struct PeakDataset: Sendable, Equatable {
    public var classes: [String]
    public var samples: [String]
    public var options: MatrixOptions
    /// (N, 2, n, 1) values.
    public var x: [Float]
    public var y: [Int]
    public var sample: [Int]
    public var featureID: [Int]
    public var peakIndexInSample: [Int]
    public var mz: [Double]
    public var rt: [Double]
    public var labelOrder: [Int]
    public var invalidY: [Int]
    public var invalidLabelOrder: [Int]

    /// Number of valid labelled peaks N.
    public var count: Int { y.count }

    public init(
        classes: [String], samples: [String], options: MatrixOptions, x: [Float], y: [Int], sample: [Int],
        featureID: [Int], peakIndexInSample: [Int], mz: [Double], rt: [Double], labelOrder: [Int],
        invalidY: [Int], invalidLabelOrder: [Int]
    ) {
        self.classes = classes
        self.samples = samples
        self.options = options
        self.x = x
        self.y = y
        self.sample = sample
        self.featureID = featureID
        self.peakIndexInSample = peakIndexInSample
        self.mz = mz
        self.rt = rt
        self.labelOrder = labelOrder
        self.invalidY = invalidY
        self.invalidLabelOrder = invalidLabelOrder
    }

    /// The (2, n) matrix of peak `i`.
    public func matrix(_ i: Int) -> ArraySlice<Float> {
        let size = 2 * options.size
        return x[(i * size)..<((i + 1) * size)]
    }

    /// The labelled peaks in NeatMS's annotation order — grouped by class in class order, each group in
    /// labelling order — as (class index, row of `X` or nil when the peak has no matrix). This is the list
    /// `create_batches` starts from.
    public var annotationOrder: [(classIndex: Int, row: Int?)] {
        var all: [(order: Int, classIndex: Int, row: Int?)] = []
        for i in 0..<count { all.append((labelOrder[i], y[i], i)) }
        for k in 0..<invalidY.count { all.append((invalidLabelOrder[k], invalidY[k], nil)) }
        all.sort { ($0.classIndex, $0.order) < ($1.classIndex, $1.order) }
        return all.map { ($0.classIndex, $0.row) }
    }
}

/// A labelled peak without a matrix, for the report `neatms dataset` prints.
public struct InvalidLabelledPeak: Sendable, Equatable {
    public var sample: String
    public var featureName: String
    public var label: String
    public var line: Int
    public var reason: InvalidPeakReason
}

extension Experiment {
    /// Builds the labelled-peak dataset: the matrices of every labelled peak (samples in parallel), plus the
    /// labelled peaks that have no matrix and why.
    /// - Parameter classes: the class list; nil = the sorted labels of the file. A label outside the list is
    ///   an error.
    public func labelledDataset(
        labels: PeakLabels, classes: [String]? = nil, options: MatrixOptions = .neatMSDefault,
        concurrency: Int = Cores.available,
        loader: @escaping MS1Loader = { try MS1Scans.load($0, keeping: $1) }
    ) throws -> (dataset: PeakDataset, invalid: [InvalidLabelledPeak]) {
        let classList = classes ?? labels.classes
        for entry in labels.entries where !classList.contains(entry.label) {
            throw TableError(
                file: labels.path, line: entry.line,
                message: "label '\(entry.label)' is not one of the classes \(classList.joined(separator: ", "))")
        }
        // Positions of the labelled peaks in their samples.
        var positionOfPeak: [Int: Int] = [:]
        for list in table.peaksBySample {
            for (position, peak) in list.enumerated() { positionOfPeak[peak] = position }
        }
        var subsets: [Int: [Int]] = [:]
        for entry in labels.entries {
            subsets[table.peaks[entry.peak].sample, default: []].append(positionOfPeak[entry.peak] ?? -1)
        }
        let collected = Locked<[SampleMatrices]>([])
        try extractMatrices(options: options, peakSubsets: subsets, concurrency: concurrency, loader: loader) {
            matrices in
            collected.withLock { $0.append(matrices) }
        }
        var matrixOfPeak: [Int: ArraySlice<Float>] = [:]
        var reasonOfPeak: [Int: InvalidPeakReason] = [:]
        for result in collected.current {
            for (i, peak) in result.peaks.enumerated() { matrixOfPeak[peak] = result.matrix(i) }
            for (peak, reason) in result.invalid { reasonOfPeak[peak] = reason }
        }
        var dataset = PeakDataset(
            classes: classList, samples: table.samples, options: options, x: [], y: [], sample: [], featureID: [],
            peakIndexInSample: [], mz: [], rt: [], labelOrder: [], invalidY: [], invalidLabelOrder: [])
        var invalid: [InvalidLabelledPeak] = []
        for (order, entry) in labels.entries.enumerated() {
            let classIndex = classList.firstIndex(of: entry.label) ?? 0
            let peak = table.peaks[entry.peak]
            if let matrix = matrixOfPeak[entry.peak] {
                dataset.x.append(contentsOf: matrix)
                dataset.y.append(classIndex)
                dataset.sample.append(peak.sample)
                dataset.featureID.append(peak.feature)
                dataset.peakIndexInSample.append(positionOfPeak[entry.peak] ?? -1)
                dataset.mz.append(peak.mz ?? .nan)
                dataset.rt.append(peak.rt ?? .nan)
                dataset.labelOrder.append(order)
            } else {
                dataset.invalidY.append(classIndex)
                dataset.invalidLabelOrder.append(order)
                invalid.append(
                    InvalidLabelledPeak(
                        sample: table.samples[peak.sample], featureName: table.features[peak.feature].name,
                        label: entry.label, line: entry.line, reason: reasonOfPeak[entry.peak] ?? .noSignal))
            }
        }
        return (dataset, invalid)
    }
}
