import Foundation
import Support
import TestSupport
import Testing

@testable import NeatMS

@Suite struct SampleRunnerTests {
    struct LoadFailure: Error, CustomStringConvertible {
        var description: String { "b.mzML: broken" }
    }

    /// Three samples with one peak each; scans made in memory.
    private func experiment() throws -> Experiment {
        let folder = try TestPaths.temporaryDirectory("runner")
        var text = "row m/z,row retention time"
        for name in ["a", "b", "c"] {
            for suffix in [
                "Peak m/z", "Peak RT", "Peak RT start", "Peak RT end", "Peak height", "Peak area", "Peak m/z min",
                "Peak m/z max",
            ] {
                text += ",\(name).mzML \(suffix)"
            }
        }
        text += "\n100,5" + String(repeating: ",100,5,4,6,10,20,99,101", count: 3) + "\n"
        let table = folder.appendingPathComponent("t.csv")
        try Data(text.utf8).write(to: table)
        let parsed = try FeatureTable.read(table, format: .mzmine)
        return Experiment(table: parsed, rawFiles: ["a", "b", "c"].map { folder.appendingPathComponent("\($0).mzML") })
    }

    private static func scans() -> MS1Scans {
        let rt = (0...10).map(Double.init)
        return MS1Scans(
            rt: rt, offsets: Array(0...11), mz: Array(repeating: 100, count: 11),
            intensity: rt.map { 100 - ($0 - 5) * ($0 - 5) })
    }

    @Test func firstLoaderErrorIsThrown() throws {
        let run = try experiment()
        #expect(throws: LoadFailure.self) {
            try run.extractMatrices(
                concurrency: 2,
                loader: { url, _ in
                    if url.lastPathComponent == "b.mzML" { throw LoadFailure() }
                    return Self.scans()
                }
            ) { _ in }
        }
    }

    @Test func concurrencyIsBounded() throws {
        let run = try experiment()
        let counter = Locked((active: 0, peak: 0))
        let results = Locked<[SampleMatrices]>([])
        try run.extractMatrices(
            options: MatrixOptions(minScans: 3), concurrency: 1,
            loader: { _, _ in
                counter.withLock {
                    $0.active += 1
                    $0.peak = max($0.peak, $0.active)
                }
                Thread.sleep(forTimeInterval: 0.02)
                counter.withLock { $0.active -= 1 }
                return Self.scans()
            }
        ) { matrices in results.withLock { $0.append(matrices) } }
        #expect(counter.current.peak == 1)
        #expect(results.current.map(\.sampleName).sorted() == ["a.mzML", "b.mzML", "c.mzML"])
        #expect(results.current.allSatisfy { $0.count == 1 && $0.scanNumbers == [3] })
    }
}
