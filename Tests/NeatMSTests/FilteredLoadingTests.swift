import Foundation
import MassSpec
import TestSupport
import Testing

@testable import NeatMS

/// Loading only the m/z windows of the peaks to extract (the default loader) gives exactly the matrices
/// of loading every point.
@Suite struct FilteredLoadingTests {
    static let demo = TestPaths.fixture("demo")
    /// Every point of every spectrum (ignores the ranges).
    static let unfiltered: MS1Loader = { url, _ in try MS1Scans.load(url) }

    private func demoExperiment() throws -> Experiment {
        try Experiment(
            rawFolder: Self.demo.appendingPathComponent("raw"),
            table: Self.demo.appendingPathComponent("tables/mzmine_aligned.csv"), format: .mzmine)
    }

    @Test func rangesAreTheSamplePeaksWindows() throws {
        let table = try demoExperiment().table
        let list = table.peaksBySample[0]
        let windows = list.compactMap { table.peaks[$0].window }
        #expect(windows.count == list.count)
        let all = table.mzRanges(sample: 0)
        for window in windows {
            #expect(all.contains(window.mzMin) && all.contains(window.mzMax))
        }
        // A subset: only its peaks' windows; invalid positions are ignored.
        let first = try #require(table.peaks[list[0]].window)
        let subset = table.mzRanges(sample: 0, positions: [0, -1, list.count])
        #expect(subset.intervals == [first.mzMin...first.mzMax])
        #expect(table.mzRanges(sample: 0, positions: []).isEmpty)
        #expect(table.mzRanges(sample: table.samples.count).isEmpty)
    }

    @Test func demoMatricesEqualUnfiltered() throws {
        let run = try demoExperiment()
        let filtered = try run.allMatrices(concurrency: 2)
        let full = try run.allMatrices(concurrency: 2, loader: Self.unfiltered)
        #expect(filtered.count == run.table.samples.count)
        #expect(filtered == full)
        #expect(filtered.allSatisfy { $0.count > 0 })
        // Fewer points are held.
        let url = run.rawFiles[0]
        let kept = try MS1Scans.load(url, keeping: run.table.mzRanges(sample: 0))
        #expect(kept.mz.count < (try MS1Scans.load(url)).mz.count)
    }

    @Test func demoLabelledDatasetEqualsUnfiltered() throws {
        let run = try demoExperiment()
        let labels = try PeakLabels(url: Self.demo.appendingPathComponent("labels.csv"), table: run.table)
        let filtered = try run.labelledDataset(labels: labels, concurrency: 2)
        let full = try run.labelledDataset(labels: labels, concurrency: 2, loader: Self.unfiltered)
        #expect(filtered.dataset.x == full.dataset.x && filtered.dataset.y == full.dataset.y)
        #expect(filtered.dataset.peakIndexInSample == full.dataset.peakIndexInSample)
        #expect(filtered.invalid.map(\.reason) == full.invalid.map(\.reason))
        #expect(!filtered.dataset.y.isEmpty)
    }

    @Test(
        .enabled(if: TestPaths.sharedData("lcms") != nil, "needs ../shared/data/lcms"),
        arguments: ["tidyms-nist", "mzmine-workshop"])
    func sharedMatricesEqualUnfiltered(experiment: String) throws {
        let base = try #require(TestPaths.sharedData("lcms/\(experiment)"))
        let run = try Experiment(
            rawFolder: base.appendingPathComponent("mzML"),
            table: base.appendingPathComponent("tables/mzmine_aligned.csv"), format: .mzmine)
        let filtered = try run.allMatrices(concurrency: 2)
        let full = try run.allMatrices(concurrency: 2, loader: Self.unfiltered)
        #expect(filtered == full)
        #expect(filtered.map(\.count).reduce(0, +) > 0)
    }
}
