import Foundation
import MassSpec
import TestSupport
import Testing

@testable import NeatMS

/// Streaming prediction (reading on its own thread, ready peaks through the network in batches while the
/// rest of the file is read) gives exactly what reading first gives: the same matrices in NeatMS's order,
/// the same invalid peaks and the same predictions, also for files whose times are out of order.
@Suite struct StreamingPredictionTests {
    static let demo = TestPaths.fixture("demo")
    static let classes = ["High_quality", "Low_quality", "Noise"]

    /// A stand-in network: a deterministic function of each matrix and its scan number, so any mix-up of
    /// peaks, order or batches changes the rows.
    static let network: @Sendable (SampleMatrices) throws -> [[Float]] = { matrices in
        (0..<matrices.count).map { i in
            var weighted: Float = 0
            var window: Float = 0
            for (j, value) in matrices.matrix(i).enumerated() {
                if j < matrices.options.size { weighted += value * Float(j + 1) } else { window += value }
            }
            return [weighted / 1000, window / 100, Float(matrices.scanNumbers[i]) / 50]
        }
    }

    private func demoExperiment(raw: URL = demo.appendingPathComponent("raw")) throws -> Experiment {
        try Experiment(
            rawFolder: raw, table: Self.demo.appendingPathComponent("tables/mzmine_aligned.csv"), format: .mzmine)
    }

    /// Predictions and the matrices handed to `progress`, by sample.
    private func predict(_ run: Experiment, streaming: Bool) throws -> (PeakPredictions, [SampleMatrices]) {
        let collected = Collected()
        let predictions = try run.predictPeaks(
            classifier: FunctionClassifier(classes: Self.classes, function: Self.network), threshold: 0.3,
            concurrency: 2, streaming: streaming,
            progress: { collected.add($0) })
        return (predictions, collected.values.sorted { $0.sample < $1.sample })
    }

    private func expectSame(_ run: Experiment) throws {
        let (plain, plainMatrices) = try predict(run, streaming: false)
        let (streamed, streamedMatrices) = try predict(run, streaming: true)
        // (Compared as Bools: a failure prints the verdict, not thousands of values.)
        let samePredictions = streamed == plain
        let sameMatrices = streamedMatrices == plainMatrices
        #expect(samePredictions, "predictions differ")
        #expect(sameMatrices, "matrices differ")
        #expect(plainMatrices.count == run.table.samples.count)
        #expect(plain.labels.compactMap { $0 }.count == plainMatrices.map(\.count).reduce(0, +))
        #expect(plainMatrices.allSatisfy { $0.count > 0 })
    }

    @Test func demoEqualsReadingFirst() throws {
        try expectSame(try demoExperiment())
    }

    @Test(
        .enabled(if: TestPaths.sharedData("lcms") != nil, "\(TestPaths.sharedDataMissing("lcms"))"),
        arguments: ["tidyms-nist", "mzmine-workshop"])
    func sharedEqualsReadingFirst(experiment: String) throws {
        let base = try #require(TestPaths.sharedData("lcms/\(experiment)"))
        try expectSame(
            try Experiment(
                rawFolder: base.appendingPathComponent("mzML"),
                table: base.appendingPathComponent("tables/mzmine_aligned.csv"), format: .mzmine))
    }

    /// Small batches and chunks: many network calls per sample, peaks built chunk by chunk.
    @Test(arguments: [(1, 1), (7, 3), (100, 64)])
    func batchAndChunkSizesDoNotMatter(batch: Int, chunk: Int) throws {
        let run = try demoExperiment()
        let sample = 1
        let scans = try MS1Scans.load(run.rawFiles[sample], keeping: run.table.mzRanges(sample: sample))
        let plain = SampleMatrices(table: run.table, sample: sample, scans: scans, options: .neatMSDefault)
        let calls = Counter()
        let streamed = try StreamingSample(
            table: run.table, sample: sample, url: run.rawFiles[sample], options: .neatMSDefault, batchSize: batch,
            spectraPerChunk: chunk
        ).run { matrices in
            calls.increment()
            #expect(matrices.count <= batch)
            return try Self.network(matrices)
        }
        let sameMatrices = streamed.0 == plain
        let sameRows = streamed.1 == (try Self.network(plain))
        #expect(sameMatrices, "matrices differ")
        #expect(sameRows, "network rows differ")
        #expect(calls.value == (plain.count + batch - 1) / batch)
    }

    /// Times out of order: the last spectrum of a run repeats an early time (so it belongs inside windows
    /// of peaks built long before it is read), or two spectra swap times. The peaks are then built again
    /// from the sorted, merged scans, as reading first does.
    @Test(arguments: ["last-repeats-41", "last-repeats-100", "swapped-41-42"])
    func disorderedTimesEqualReadingFirst(kind: String) throws {
        let folder = try TestPaths.temporaryDirectory()
        let raw = folder.appendingPathComponent("raw")
        try FileManager.default.createDirectory(at: raw, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: Self.demo.appendingPathComponent("raw").path) {
            var text = try String(contentsOf: Self.demo.appendingPathComponent("raw/\(name)"), encoding: .utf8)
            if name == "sample_2.mzML" { text = try Self.disorder(text, kind: kind) }
            try text.write(to: raw.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let run = try demoExperiment(raw: raw)
        // The disorder reaches the scans: the run cannot be appended in order.
        let file = try MzMLReader(url: run.rawFiles[1]).readMS1Run()
        var scans = MS1Scans(rt: [], offsets: [0], mz: [], intensity: [])
        #expect(!append(&scans, rt: file.rt, offsets: file.offsets, mz: file.mz, intensity: file.intensity))
        if kind.hasPrefix("last") {
            // ... and it changes matrices that, streamed, would have been built before the last spectrum.
            let original = try demoExperiment().allMatrices()[1]
            let changed = try run.allMatrices()[1]
            #expect(changed.values != original.values)
        }
        try expectSame(run)
    }

    /// The edited mzML text: the last spectrum's scan start time replaced by spectrum i's, or the times of
    /// spectra i and j swapped (`last-repeats-i`, `swapped-i-j`).
    private static func disorder(_ text: String, kind: String) throws -> String {
        let marker = "name=\"scan start time\" value=\""
        var ranges: [Range<String.Index>] = []
        var from = text.startIndex
        while let found = text.range(of: marker, range: from..<text.endIndex) {
            let end = try #require(text[found.upperBound...].firstIndex(of: "\""))
            ranges.append(found.upperBound..<end)
            from = end
        }
        try #require(ranges.count > 101)
        let parts = kind.split(separator: "-")
        var result = text
        if parts[0] == "last" {
            let i = try #require(Int(parts[2]))
            result.replaceSubrange(ranges[ranges.count - 1], with: String(text[ranges[i]]))
        } else {
            let (i, j) = (try #require(Int(parts[1])), try #require(Int(parts[2])))
            // j's range lies after i's: replacing it first leaves i's valid.
            result.replaceSubrange(ranges[j], with: String(text[ranges[i]]))
            result.replaceSubrange(ranges[i], with: String(text[ranges[j]]))
        }
        return result
    }

    /// An error of the network stops the sample (and its reader); an error of the file reaches the caller.
    @Test func errorsOfEitherSideEndTheSample() throws {
        struct Broken: Error {}
        let run = try demoExperiment()
        let calls = Counter()
        #expect(throws: Broken.self) {
            _ = try StreamingSample(
                table: run.table, sample: 0, url: run.rawFiles[0], options: .neatMSDefault, batchSize: 4,
                spectraPerChunk: 2
            ).run { _ in
                calls.increment()
                throw Broken()
            }
        }
        #expect(calls.value == 1)
        let broken = TestPaths.fixture("mzml/synthetic/errors/bad-zlib.mzML")
        #expect(throws: MzMLError.self) {
            _ = try StreamingSample(
                table: run.table, sample: 0, url: broken, options: .neatMSDefault, batchSize: 4, spectraPerChunk: 2
            ).run(predict: Self.network)
        }
    }

    @Test func appendInOrderKeepsThePreparedForm() {
        var scans = MS1Scans(rt: [], offsets: [0], mz: [], intensity: [])
        #expect(append(&scans, rt: [1, 2], offsets: [0, 2, 3], mz: [100, 101, 50], intensity: [1, 2, 3]))
        #expect(append(&scans, rt: [3], offsets: [0, 1], mz: [70], intensity: [4]))
        #expect(
            scans == MS1Scans(rt: [1, 2, 3], offsets: [0, 2, 3, 4], mz: [100, 101, 50, 70], intensity: [1, 2, 3, 4]))
        let before = scans
        #expect(!append(&scans, rt: [3], offsets: [0, 1], mz: [1], intensity: [1]))  // repeated time
        #expect(!append(&scans, rt: [2.5], offsets: [0, 1], mz: [1], intensity: [1]))  // earlier time
        #expect(!append(&scans, rt: [4], offsets: [0, 2], mz: [5, 4], intensity: [1, 1]))  // m/z not sorted
        #expect(!append(&scans, rt: [.nan], offsets: [0, 0], mz: [], intensity: []))
        #expect(scans == before)
    }
}

/// `scans.appendInOrder(...)` outside `#expect` (which cannot take a mutating call).
private func append(_ scans: inout MS1Scans, rt: [Double], offsets: [Int], mz: [Double], intensity: [Double]) -> Bool {
    scans.appendInOrder(rt: rt, offsets: offsets, mz: mz, intensity: intensity)
}

/// Values gathered from several threads.
private final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [SampleMatrices] = []
    func add(_ value: SampleMatrices) { lock.withLock { stored.append(value) } }
    var values: [SampleMatrices] { lock.withLock { stored } }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
