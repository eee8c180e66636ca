import Foundation
import TestSupport
import Testing

/// `neatms extract`, `dataset`, `threshold` and `predict --raw` on the bundled demo experiment
/// (`Fixtures/demo`; its per-sample peak counts come from real NeatMS 0.9, `neatms_reference.json`).
@Suite struct DataPathCLITests {
    let demo = TestPaths.fixture("demo")

    func reference() throws -> DemoReference { try DemoReference.load() }

    var experiment: [String] {
        [
            "--raw", demo.appendingPathComponent("raw").path,
            "--features", demo.appendingPathComponent("tables/mzmine_aligned.csv").path, "--format", "mzmine",
        ]
    }

    @Test func extractWritesEveryValidPeakWithProgress() throws {
        let folder = try TestPaths.temporaryDirectory("extract-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let reference = try reference()
        let output = folder.appendingPathComponent("matrices.h5")
        let result = try runNeatms(["extract"] + experiment + ["-o", output.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix(
            "wrote \(reference.valid_peaks) matrices (\(reference.peaks - reference.valid_peaks) invalid peaks skipped) for \(reference.samples.count) samples to \(output.path)"))
        let progress = result.stderr.split(separator: "\n").filter { $0.hasPrefix("[") }
        #expect(progress.count == reference.samples.count)
        for (name, sample) in reference.samples {
            #expect(progress.contains { $0.contains("] \(name): \(sample.valid_peaks) of \(sample.peaks) peaks valid") }, "\(name)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["matrices.h5"])
    }

    @Test func unmatchedSampleNamesAreOneErrorLine() throws {
        let folder = try TestPaths.temporaryDirectory("extract-cli-unmatched")
        defer { try? FileManager.default.removeItem(at: folder) }
        let raw = folder.appendingPathComponent("raw")
        try FileManager.default.createDirectory(at: raw, withIntermediateDirectories: true)
        for name in ["sample_1.mzML", "sample_2.mzML", "sample_3.mzML"] {
            try FileManager.default.createSymbolicLink(
                at: raw.appendingPathComponent(name), withDestinationURL: demo.appendingPathComponent("raw/\(name)"))
        }
        let result = try runNeatms([
            "extract", "--raw", raw.path, "--features", demo.appendingPathComponent("tables/mzmine_aligned.csv").path,
            "--format", "mzmine", "-o", folder.appendingPathComponent("out.h5").path,
        ])
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(result.stderr.contains("1 sample name(s) match no raw file: sample_4.mzML"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("out.h5").path))
    }

    @Test func malformedTableNamesFileAndLine() throws {
        let folder = try TestPaths.temporaryDirectory("extract-cli-malformed")
        defer { try? FileManager.default.removeItem(at: folder) }
        let original = try String(contentsOf: demo.appendingPathComponent("tables/mzmine_aligned.csv"), encoding: .utf8)
        var lines = original.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[3] = lines[3].replacingOccurrences(of: ",", with: ",x", options: [], range: lines[3].range(of: ","))
        let table = folder.appendingPathComponent("table.csv")
        try lines.joined(separator: "\n").write(to: table, atomically: true, encoding: .utf8)
        let result = try runNeatms([
            "extract", "--raw", demo.appendingPathComponent("raw").path, "--features", table.path, "--format", "mzmine",
            "-o", folder.appendingPathComponent("out.h5").path,
        ])
        #expect(result.status == 1)
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(result.stderr.contains("\(table.path):4: column 'row retention time' holds 'x"), "\(result.stderr)")
    }

    @Test func datasetReportsInvalidLabelledPeaks() throws {
        let folder = try TestPaths.temporaryDirectory("dataset-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let reference = try reference()
        let output = folder.appendingPathComponent("PEAKS.h5")
        let result = try runNeatms(
            ["dataset"] + experiment + ["--labels", demo.appendingPathComponent("labels.csv").path, "-o", output.path])
        #expect(result.status == 0, "\(result.stderr)")
        let invalid = reference.peaks - reference.valid_peaks
        #expect(result.stdout.hasPrefix("wrote \(reference.valid_peaks) labelled peaks ("), "\(result.stdout)")
        #expect(result.stdout.hasSuffix("; \(invalid) labelled peak(s) without a valid matrix\n"))
        let warnings = result.stderr.split(separator: "\n").filter { $0.contains("has no valid matrix") }
        #expect(warnings.count == invalid)
        #expect(warnings.allSatisfy { $0.contains("labels.csv:") })
    }

    @Test func badOptionsAreUsageErrors() throws {
        let bad = try runNeatms(["extract"] + experiment + ["--matrix-size", "1", "-o", "/tmp/never.h5"])
        #expect(bad.status == 64)
        let both = try runNeatms(["predict", "--model", "m.h5", "--matrices", "x.h5", "--raw", "r"])
        #expect(both.status == 64)
        let noThreshold = try runNeatms(["predict", "--model", "m.h5"] + experiment + ["-o", "/tmp/never.csv"])
        #expect(noThreshold.status == 64)
        #expect(noThreshold.stderr.contains("--threshold"))
    }
}
