import Foundation
import MassSpec
import NeatMS
import Support

/// The MS1 scans of the samples recently shown, loaded on first use and kept for at most `capacity`
/// samples (least recently used dropped first), so an experiment of any size opens at once and memory
/// stays bounded.
///
/// A sample is loaded with the m/z windows of all its table peaks (`FeatureTable.mzRanges`), which keeps
/// every point any of its peaks' chromatograms or matrices use and nothing else. Loads are serialised: a
/// second request for the sample being loaded waits for that load instead of reading the file again.
public final class ScanCache: Sendable {
    private struct Entries {
        var scans: [Int: MS1Scans] = [:]
        var recent: [Int] = []
        var loads = 0
    }

    private let experiment: Experiment
    private let capacity: Int
    private let loader: MS1Loader
    private let entries = Locked(Entries())

    public init(
        experiment: Experiment, capacity: Int = 16, loader: @escaping MS1Loader = { try MS1Scans.load($0, keeping: $1) }
    ) {
        self.experiment = experiment
        self.capacity = max(1, capacity)
        self.loader = loader
    }

    /// The scans of sample `sample`.
    /// - Throws: the reader's error (`MzMLError` naming the file).
    public func scans(_ sample: Int) throws -> MS1Scans {
        try entries.withLock { entries in
            if let scans = entries.scans[sample] {
                entries.recent.removeAll { $0 == sample }
                entries.recent.append(sample)
                return scans
            }
            let scans = try loader(experiment.rawFiles[sample], experiment.table.mzRanges(sample: sample))
            entries.loads += 1
            entries.scans[sample] = scans
            entries.recent.append(sample)
            while entries.recent.count > capacity {
                entries.scans[entries.recent.removeFirst()] = nil
            }
            return scans
        }
    }

    /// Samples held now, least recently used first.
    public var held: [Int] { entries.withLock { $0.recent } }

    /// Files read so far.
    public var loads: Int { entries.withLock { $0.loads } }
}
