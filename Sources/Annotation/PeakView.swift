import Foundation
import NeatMS

/// Everything the page shows of one peak: its chromatogram over NeatMS's window, the window, the points
/// of NeatMS's matrix, its table values, its label, the model's probabilities, and the same feature in
/// the other samples.
public struct PeakView: Codable, Sendable, Equatable {
    /// One chromatogram: scans with signal (time in minutes, summed intensity) over the margin window.
    public struct Trace: Codable, Sendable, Equatable {
        public var sample: String
        public var peak: Int
        /// The margin window [lo, hi] and the peak's own bounds.
        public var lo: Double
        public var hi: Double
        public var rtStart: Double
        public var rtEnd: Double
        public var rt: [Double]
        public var intensity: [Double]
        /// NeatMS's matrix as points on the chromatogram's scale (grid time, intensity), empty when invalid.
        public var matrixRT: [Double]
        public var matrixIntensity: [Double]
        /// Why NeatMS has no matrix for this peak, or nil.
        public var invalid: String?
        /// The peak's label in LABELS.csv, if any.
        public var label: String?
    }

    public var position: Int
    public var peak: Int
    public var sample: String
    public var feature: String
    public var featureID: Int
    public var mz: Double?
    public var rt: Double?
    public var mzMin: Double?
    public var mzMax: Double?
    public var height: Double?
    public var area: Double?
    public var label: String?
    /// Review mode: the label `neatms predict` gave.
    public var predicted: String?
    /// The model's probabilities, in `modelClasses` order.
    public var probabilities: [Float]?
    public var modelClasses: [String]?
    public var trace: Trace
    public var others: [Trace]

    /// The view of `peak` (at queue `position`).
    static func make(session: AnnotationSession, peak: Int, position: Int, label: String?, predicted: String?) throws
        -> PeakView
    {
        let table = session.experiment.table
        let p = table.peaks[peak]
        let labels = Dictionary(session.labels.map { ($0.peak, $0.label) }, uniquingKeysWith: { a, _ in a })
        func trace(_ index: Int) throws -> Trace {
            let tp = table.peaks[index]
            var result = Trace(
                sample: table.samples[tp.sample], peak: index, lo: tp.rtStart ?? 0, hi: tp.rtEnd ?? 0,
                rtStart: tp.rtStart ?? 0, rtEnd: tp.rtEnd ?? 0, rt: [], intensity: [], matrixRT: [],
                matrixIntensity: [],
                invalid: nil, label: labels[index])
            guard let window = tp.window else {
                result.invalid = InvalidPeakReason.missingWindow.description
                return result
            }
            let scans = try session.scans.scans(tp.sample)
            let t = PeakMatrixBuilder.trace(for: window, in: scans, options: session.options.matrixOptions)
            result.lo = t.lo
            result.hi = t.hi
            result.rt = t.rt
            result.intensity = t.intensity
            switch t.matrix {
            case .valid(let values, _):
                let n = session.options.matrixOptions.size
                result.matrixRT = t.gridRT
                result.matrixIntensity = (0..<n).map { t.baseline + Double(values[$0]) * t.scale }
            case .invalid(let reason):
                result.invalid = reason.description
            }
            return result
        }
        let own = try trace(peak)
        var others: [Trace] = []
        for other in table.features[p.feature].peaks where other != peak {
            guard others.count < session.options.maxOtherSamples else { break }
            others.append(try trace(other))
        }
        var probabilities: [Float]? = nil
        if let model = session.model, own.invalid == nil, let window = p.window {
            probabilities = try model.probabilities(
                of: peak, window: window, scans: session.scans.scans(p.sample), options: session.options.matrixOptions)
        }
        return PeakView(
            position: position, peak: peak, sample: table.samples[p.sample], feature: table.features[p.feature].name,
            featureID: p.feature, mz: p.mz, rt: p.rt, mzMin: p.mzMin, mzMax: p.mzMax, height: p.height, area: p.area,
            label: label, predicted: predicted, probabilities: probabilities,
            modelClasses: session.model == nil ? nil : session.modelClasses, trace: own, others: others)
    }
}
