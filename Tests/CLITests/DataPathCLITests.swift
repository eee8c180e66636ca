import Foundation
import HDF5
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
        #expect(
            result.stdout.hasPrefix(
                "wrote \(reference.valid_peaks) matrices (\(reference.peaks - reference.valid_peaks) invalid peaks skipped) for \(reference.samples.count) samples to \(output.path)"
            ))
        let progress = result.stderr.split(separator: "\n").filter { $0.hasPrefix("[") }
        #expect(progress.count == reference.samples.count)
        for (name, sample) in reference.samples {
            #expect(
                progress.contains { $0.contains("] \(name): \(sample.valid_peaks) of \(sample.peaks) peaks valid") },
                "\(name)")
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

    @Test func anUnwritableOutputFailsBeforeAnyWork() throws {
        let folder = try TestPaths.temporaryDirectory("cli-bad-output")
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = folder.appendingPathComponent("no/such/folder/out.h5").path
        let model = TestPaths.fixture("neatms_default_model.h5").path
        let commands: [[String]] = [
            ["extract"] + experiment + ["-o", missing],
            ["dataset"] + experiment + ["--labels", demo.appendingPathComponent("labels.csv").path, "-o", missing],
            ["predict", "--model", model] + experiment + ["--threshold", "0.22", "-o", missing],
            ["convert", model, missing],
        ]
        for arguments in commands {
            let result = try runNeatms(arguments)
            #expect(result.status == 1, "\(arguments[0]): \(result.stderr)")
            #expect(
                result.stderr == "neatms: error: \(missing): the folder \(folder.path)/no/such/folder does not exist\n",
                "\(arguments[0])")
            #expect(!result.stderr.contains("[1/"), "\(arguments[0]) reported progress before failing")
        }
        // A folder where the output file should go.
        let taken = folder.appendingPathComponent("taken.csv")
        try FileManager.default.createDirectory(at: taken, withIntermediateDirectories: true)
        let result = try runNeatms(
            ["predict", "--model", model] + experiment + ["--threshold", "0.22", "-o", taken.path])
        #expect(result.status == 1)
        #expect(result.stderr == "neatms: error: \(taken.path): is a folder, not a file\n")
    }

    @Test func unknownLabelsAndSamplesAreNamed() throws {
        let folder = try TestPaths.temporaryDirectory("cli-unknown-names")
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = TestPaths.fixture("neatms_default_model.h5").path
        let output = folder.appendingPathComponent("results.csv").path
        let badLabel = try runNeatms(
            ["predict", "--model", model] + experiment + ["--threshold", "0.22", "--label", "Good", "-o", output])
        #expect(badLabel.status == 1)
        #expect(
            badLabel.stderr.hasSuffix(
                "neatms: error: \(model): --label Good is not one of the model's classes High_quality, Low_quality, Noise\n"
            ),
            "\(badLabel.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output))

        let peaks = folder.appendingPathComponent("PEAKS.h5").path
        let dataset = try runNeatms(
            ["dataset"] + experiment + ["--labels", demo.appendingPathComponent("labels.csv").path, "-o", peaks])
        #expect(dataset.status == 0, "\(dataset.stderr)")
        let threshold = try runNeatms(["threshold", "--model", model, "--data", peaks, "--label", "Good"])
        #expect(threshold.status == 1)
        #expect(
            threshold.stderr
                == "neatms: error: \(peaks): --label Good is not one of its classes High_quality, Low_quality, Noise\n")

        // A NaN in the held-out matrices: refused, as `train` and `predict --matrices` refuse it.
        let nanPeaks = folder.appendingPathComponent("nan.h5")
        try FileManager.default.copyItem(atPath: peaks, toPath: nanPeaks.path)
        do {
            let file = try HDF5File.open(nanPeaks, writable: true)
            let x = try file.root.dataset("X")
            var values: [Float] = try x.read()
            values[240 + 7] = .nan  // matrix 1, row 0, column 7
            try x.write(values)
            try file.close()
        }
        let svg = folder.appendingPathComponent("roc.svg").path
        let nanThreshold = try runNeatms(["threshold", "--model", model, "--data", nanPeaks.path, "--svg", svg])
        #expect(nanThreshold.status == 1)
        #expect(
            nanThreshold.stderr
                == "neatms: error: \(nanPeaks.path): X: matrix 1 holds nan at (0, 7) (matrices must be finite)\n")
        #expect(!FileManager.default.fileExists(atPath: svg))

        let typos = try runNeatms(
            ["predict", "--model", model] + experiment
                + [
                    "--threshold", "0.22", "--export-classes", "High_quality,Good", "--exclude",
                    "sample_9.mzML,sample_2", "-o", output,
                ])
        #expect(typos.status == 0, "\(typos.stderr)")
        let warnings = typos.stderr.split(separator: "\n").filter { $0.hasPrefix("neatms: warning: --") }
        #expect(warnings.count == 2, "\(typos.stderr)")
        #expect(
            warnings.contains { $0.hasPrefix("neatms: warning: --export-classes: no peak can have the label 'Good'") })
        #expect(warnings.contains { $0.hasPrefix("neatms: warning: --exclude: 'sample_9.mzML' is not a sample of ") })
        // sample_2 (a stem) is excluded, so no row names it; the sample column holds the stems.
        let csv = try String(contentsOfFile: output, encoding: .utf8)
        #expect(!csv.contains(",sample_2,") && csv.contains(",sample_1,"))
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
