import Foundation
import TestSupport
import Testing

@testable import MassSpec

/// `MZRanges` and `MzMLReader.readMS1Run(keeping:)`: the filtered run must be exactly the full run with
/// the points outside the ranges removed afterwards.
struct MZRangesTests {
    @Test func pairsAreSortedMergedAndInvalidOnesDropped() {
        let ranges = MZRanges([
            (min: 5, max: 6), (min: 1, max: 2), (min: 1.5, max: 3), (min: 3, max: 4),  // overlap, then touch
            (min: 7, max: .nan), (min: .nan, max: 8), (min: 9, max: 8),  // NaN bound, min > max: nothing
            (min: 10, max: 10), (min: 2, max: 2.5),  // one value; one inside another
        ])
        #expect(ranges.intervals == [1...4, 5...6, 10...10])
        #expect(MZRanges([(min: .nan, max: .nan)]).isEmpty)
        #expect(MZRanges.empty.intervals == [])
    }

    @Test func boundsAreClosed() {
        let ranges = MZRanges([(min: 100.25, max: 100.5), (min: 200, max: 200)])
        for inside in [100.25, 100.3, 100.5, 200] { #expect(ranges.contains(inside), "\(inside)") }
        for outside in [(100.25).nextDown, (100.5).nextUp, 199.999, (200.0).nextUp, -.infinity, .infinity, .nan] {
            #expect(!ranges.contains(outside), "\(outside)")
        }
        #expect(MZRanges([(min: -.infinity, max: .infinity)]).contains(-.infinity))
    }

    /// The points of `mz`/`intensity` in `ranges`, by testing every point against every interval.
    private static func bruteForce(_ ranges: MZRanges, _ mz: [Double], _ intensity: [Double]) -> ([Double], [Double]) {
        let kept = mz.indices.filter { i in ranges.intervals.contains { $0.contains(mz[i]) } }
        return (kept.map { mz[$0] }, kept.map { intensity[$0] })
    }

    /// `ranges.select` into destinations one longer than the input, filled with -1 beforehand: the
    /// destinations and the number of points kept.
    private static func select(_ ranges: MZRanges, _ mz: [Double], _ intensity: [Double]) -> ([Double], [Double], Int) {
        var keptMZ = [Double](repeating: -1, count: mz.count + 1)
        var keptIntensity = keptMZ
        let kept = mz.withUnsafeBufferPointer { m in
            intensity.withUnsafeBufferPointer { i in
                keptMZ.withUnsafeMutableBufferPointer { keptMZ in
                    keptIntensity.withUnsafeMutableBufferPointer { keptIntensity in
                        ranges.select(mz: m, intensity: i, into: keptMZ.baseAddress!, keptIntensity.baseAddress!)
                    }
                }
            }
        }
        return (keptMZ, keptIntensity, kept)
    }

    @Test func selectKeepsOrderForSortedUnsortedAndNaN() {
        let ranges = MZRanges([(min: 2, max: 3), (min: 5, max: 5), (min: 8, max: 9)])
        let cases: [[Double]] = [
            [1, 2, 2.5, 3, 3.5, 5, 6, 8, 9, 10],  // ascending
            [9, 1, 5, 2, 8.5, 3, 10, 2, 5],  // unsorted, with repeats
            [.nan, 2, .nan, 8, 1, .nan, 9],  // NaN never kept, and does not disturb the walk
            [10, 9, 8, 5, 3, 2],  // descending
            [], [4],
            (0..<3000).map { Double($0) / 250 },  // long and ascending (checked in blocks)
            (0..<3000).map { Double($0) / 250 } + [2.5],  // long, one value out of order at the end
            (0..<2000).map { $0 == 1500 ? .nan : Double($0) / 200 },  // long, one NaN
        ]
        for mz in cases {
            let intensity = mz.indices.map { Double($0) + 0.5 }
            let selected = Self.select(ranges, mz, intensity)
            var (keptMZ, keptIntensity) = (selected.0, selected.1)
            let kept = selected.2
            #expect(keptMZ[kept...].allSatisfy { $0 == -1 }, "nothing written past the kept points")
            keptMZ.removeSubrange(kept...)
            keptIntensity.removeSubrange(kept...)
            let (expectedMZ, expectedIntensity) = Self.bruteForce(ranges, mz, intensity)
            #expect(keptMZ == expectedMZ && keptIntensity == expectedIntensity, "\(mz)")
        }
    }

    /// Thousands of narrow windows and fewer points (a large peak table): the bucket-grid walk keeps
    /// exactly the points brute force keeps, including points on the bounds and between buckets.
    @Test func manyIntervalsFewPoints() {
        var generator = SystemRandomNumberGenerator()
        let centres = (0..<4000).map { _ in Double.random(in: 100...1000, using: &generator) }
        let ranges = MZRanges(centres.map { (min: $0 - 0.005, max: $0 + 0.005) })
        #expect(ranges.intervals.count > 3000)
        var mz = (0..<900).map { _ in Double.random(in: 90...1010, using: &generator) }
        mz += ranges.intervals.prefix(200).flatMap {
            [$0.lowerBound, $0.upperBound, $0.lowerBound.nextDown, $0.upperBound.nextUp]
        }
        mz.sort()
        let intensity = mz.indices.map { Double($0) }
        let (keptMZ, keptIntensity, kept) = Self.select(ranges, mz, intensity)
        let (expectedMZ, expectedIntensity) = Self.bruteForce(ranges, mz, intensity)
        #expect(kept >= 400)
        #expect(Array(keptMZ[..<kept]) == expectedMZ && Array(keptIntensity[..<kept]) == expectedIntensity)
    }

    /// Ranges built from a run's own m/z values (so that bounds coincide with points), overlapping.
    private static func ranges(for run: MS1Run) -> MZRanges {
        let values = Array(Set(run.mz.filter { !$0.isNaN })).sorted()
        guard values.count > 8 else { return MZRanges([(min: values.first ?? 0, max: values.first ?? 0)]) }
        let n = values.count
        return MZRanges([
            (min: values[n / 8], max: values[n / 4]), (min: values[n / 5], max: values[n / 3]),
            (min: values[n / 2], max: values[n / 2]), (min: values[3 * n / 4], max: values[7 * n / 8]),
            (min: .nan, max: values[n - 1]),
        ])
    }

    /// Checks the filtered read of `url` against the full read filtered afterwards.
    private func checkFilteredRead(_ url: URL) throws {
        let full = try MzMLReader(url: url).readMS1Run()
        let ranges = Self.ranges(for: full)
        let filtered = try MzMLReader(url: url).readMS1Run(keeping: ranges)
        #expect(filtered.rt == full.rt && filtered.scanNumbers == full.scanNumbers)
        #expect(filtered.spectrumIndices == full.spectrumIndices && filtered.ids == full.ids)
        var offsets = [0]
        var mz: [Double] = []
        var intensity: [Double] = []
        for i in 0..<full.count {
            let range = full.pointRange(i)
            let (m, y) = Self.bruteForce(ranges, Array(full.mz[range]), Array(full.intensity[range]))
            mz += m
            intensity += y
            offsets.append(mz.count)
        }
        #expect(filtered.offsets == offsets, "\(url.lastPathComponent)")
        #expect(filtered.mz == mz && filtered.intensity == intensity, "\(url.lastPathComponent)")
        #expect(full.mz.isEmpty || filtered.mz.count < full.mz.count, "the ranges leave points out")
        // With all values kept, the run is the full run.
        #expect(try MzMLReader(url: url).readMS1Run(keeping: MZRanges([(min: -.infinity, max: .infinity)])) == full)
    }

    @Test(arguments: ["encodings.mzML", "encodings.mzML.gz"])
    func filteredReadEqualsFullReadFiltered(_ name: String) throws {
        try checkFilteredRead(ExpectedValues.synthetic(name))
    }

    @Test(
        .enabled(if: TestPaths.sharedData("mzml-variants") != nil, "\(TestPaths.sharedDataMissing("mzml-variants"))"),
        arguments: ExpectedValues.readableSharedFiles)
    func filteredSharedReadEqualsFullReadFiltered(_ relative: String) throws {
        try checkFilteredRead(try #require(TestPaths.sharedData(relative)))
    }

    @Test func filteredReadKeepsErrors() throws {
        // A corrupt array is still an error (naming the spectrum) when none of its points would be kept.
        for name in SyntheticFileTests.errorFiles {
            let url = ExpectedValues.synthetic(name)
            let full = try #require(throws: MzMLError.self) { try MS1Run(contentsOf: url) }
            let filtered = try #require(throws: MzMLError.self) {
                try MzMLReader(url: url).readMS1Run(keeping: .empty)
            }
            #expect(filtered.description == full.description)
        }
    }
}

/// `MzMLReader.forEachMS1Chunk`: the chunks, concatenated, are the run `readMS1Run` returns, and errors
/// are the same.
@Suite struct ChunkedReadingTests {
    private func concatenated(_ url: URL, ranges: MZRanges?, chunk: Int) throws -> (MS1Run, [Int]) {
        var run = MS1Run(path: url.path)
        var sizes: [Int] = []
        try MzMLReader(url: url).forEachMS1Chunk(keeping: ranges, spectraPerChunk: chunk) { part in
            #expect(part.offsets.first == 0 && part.offsets.last == part.mz.count)
            sizes.append(part.count)
            let base = run.mz.count
            run.rt += part.rt
            run.scanNumbers += part.scanNumbers
            run.spectrumIndices += part.spectrumIndices
            run.ids += part.ids
            run.offsets += part.offsets.dropFirst().map { $0 + base }
            run.mz += part.mz
            run.intensity += part.intensity
        }
        return (run, sizes)
    }

    @Test(arguments: [1, 2, 5, 1_000])
    func chunksConcatenateToTheRun(chunk: Int) throws {
        let url = ExpectedValues.synthetic("encodings.mzML.gz")
        let whole = try MzMLReader(url: url).readMS1Run()
        let (joined, sizes) = try concatenated(url, ranges: nil, chunk: chunk)
        #expect(joined == whole)
        #expect(sizes.dropLast().allSatisfy { $0 == chunk } && (sizes.last ?? 0) <= chunk && !sizes.isEmpty)
        let ranges = MZRanges([(min: 100, max: 400)])
        #expect(
            try concatenated(url, ranges: ranges, chunk: chunk).0
                == (try MzMLReader(url: url).readMS1Run(keeping: ranges)))
    }

    @Test(arguments: ["bad-zlib.mzML", "ms2-only.mzML", "broken-xml.mzML"])
    func errorsAreTheSame(name: String) throws {
        let url = ExpectedValues.synthetic("errors/\(name)")
        let whole = #expect(throws: MzMLError.self) { try MzMLReader(url: url).readMS1Run() }
        let chunked = #expect(throws: MzMLError.self) { _ = try concatenated(url, ranges: nil, chunk: 1) }
        #expect(whole.map { "\($0)" } == chunked.map { "\($0)" })
    }

    @Test func anErrorOfTheBodyStopsTheReading() throws {
        struct Stop: Error {}
        var calls = 0
        #expect(throws: Stop.self) {
            try MzMLReader(url: ExpectedValues.synthetic("encodings.mzML")).forEachMS1Chunk(
                keeping: nil, spectraPerChunk: 1
            ) { _ in
                calls += 1
                throw Stop()
            }
        }
        #expect(calls == 1)
    }
}
