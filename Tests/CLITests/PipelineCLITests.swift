import Foundation
import TestSupport
import Testing

/// `predict --annotate-table`, `predict --samples` + `merge` on the demo experiment (Fixtures/demo).
@Suite struct PipelineCLITests {
    static let demo = TestPaths.fixture("demo")
    static let model = TestPaths.fixture("neatms_default_model.h5").path

    private func predict(_ table: String, format: String, in folder: URL, extra: [String] = []) throws -> CommandResult
    {
        try runNeatms(
            [
                "predict", "--model", Self.model, "--raw", Self.demo.appendingPathComponent("raw").path,
                "--features", Self.demo.appendingPathComponent("tables/\(table)").path, "--format", format,
                "--threshold", "0.22",
            ] + extra, in: folder)
    }

    private func lines(_ url: URL) throws -> [String] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(
            String.init)
    }

    /// Every original row and cell comes back in order, with per-sample label and probabilities that agree
    /// with the results CSV.
    @Test(arguments: [("mzmine_aligned.csv", "mzmine"), ("xcms_aligned.csv", "xcms")])
    func annotatedTableKeepsEveryCellAndAddsVerdicts(table: String, format: String) throws {
        let folder = try TestPaths.temporaryDirectory("annotate")
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try predict(
            table, format: format, in: folder, extra: ["-o", "results.csv", "--annotate-table", "annotated.csv"])
        #expect(result.status == 0, "\(result.stderr)")
        let original = try lines(Self.demo.appendingPathComponent("tables/\(table)"))
        let annotated = try lines(folder.appendingPathComponent("annotated.csv"))
        #expect(annotated.count == original.count)
        let classes = ["High_quality", "Low_quality", "Noise"]
        let header = annotated[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        var labelled = 0
        for (a, o) in zip(annotated, original) where !o.isEmpty {
            // Removing the added columns gives the original line back.
            var fields = a.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            var verdicts: [[String]] = []
            for index in header.indices.reversed()
            where header[index].hasSuffix("label") && header[index].lowercased().contains("neatms") {
                verdicts.append(Array(fields[index...(index + classes.count)]))
                fields.removeSubrange(index...(index + classes.count))
            }
            #expect(fields.joined(separator: ",") == o)
            for verdict in verdicts where !verdict[0].isEmpty && a != annotated[0] {
                let p = verdict.dropFirst().compactMap(Float.init)
                #expect(p.count == 3 && abs(p.reduce(0, +) - 1) < 1e-4)
                #expect(classes.contains(verdict[0]))
                labelled += 1
            }
        }
        // As many labelled peaks as the results CSV has rows.
        #expect(labelled == (try lines(folder.appendingPathComponent("results.csv"))).count - 2)
    }

    /// `--filter` keeps exactly the features the results CSV exports under the same group rule.
    @Test func filterKeepsTheExportedFeatures() throws {
        let folder = try TestPaths.temporaryDirectory("annotate-filter")
        defer { try? FileManager.default.removeItem(at: folder) }
        let rule = ["--min-group-classes", "High_quality", "--min-group-size", "0.75"]
        let result = try predict(
            "xcms_aligned.csv", format: "xcms", in: folder,
            extra: rule + ["-o", "results.csv", "--annotate-table", "annotated.csv", "--filter"])
        #expect(result.status == 0, "\(result.stderr)")
        let exported = Set(
            try lines(folder.appendingPathComponent("results.csv")).dropFirst().filter { !$0.isEmpty }.map {
                $0.split(separator: ",")[1]
            })
        let annotated = try lines(folder.appendingPathComponent("annotated.csv"))
        let featureColumn = try #require(annotated[0].split(separator: ",").firstIndex(of: "feature_id"))
        let kept = annotated.dropFirst().filter { !$0.isEmpty }.map {
            $0.split(separator: ",", omittingEmptySubsequences: false)[featureColumn]
        }
        #expect(!kept.isEmpty && Set(kept).count == exported.count)
        let original = try lines(Self.demo.appendingPathComponent("tables/xcms_aligned.csv"))
        #expect(kept.count < original.count - 2, "the rule rejects some features")
    }

    /// Per-sample predictions merged give the one-process results CSV and annotated table byte for byte.
    @Test func mergeEqualsOneProcess() throws {
        let folder = try TestPaths.temporaryDirectory("merge")
        defer { try? FileManager.default.removeItem(at: folder) }
        let single = try predict(
            "mzmine_aligned.csv", format: "mzmine", in: folder,
            extra: ["-o", "single.csv", "--annotate-table", "single_annotated.csv"])
        #expect(single.status == 0, "\(single.stderr)")
        for (name, samples) in [
            ("a.csv", "sample_1.mzML,sample_3.mzML"), ("b.csv", "sample_2.mzML"), ("c.csv", "sample_4.mzML"),
        ] {
            let part = try predict(
                "mzmine_aligned.csv", format: "mzmine", in: folder, extra: ["--samples", samples, "-o", name])
            #expect(part.status == 0, "\(part.stderr)")
        }
        let merged = try runNeatms(
            [
                "merge", "--raw", Self.demo.appendingPathComponent("raw").path, "--features",
                Self.demo.appendingPathComponent("tables/mzmine_aligned.csv").path, "--format", "mzmine", "-o",
                "merged.csv",
                "--annotate-table", "merged_annotated.csv", "a.csv", "b.csv", "c.csv",
            ], in: folder)
        #expect(merged.status == 0, "\(merged.stderr)")
        #expect(
            try Data(contentsOf: folder.appendingPathComponent("merged.csv"))
                == Data(contentsOf: folder.appendingPathComponent("single.csv")))
        #expect(
            try Data(contentsOf: folder.appendingPathComponent("merged_annotated.csv"))
                == Data(contentsOf: folder.appendingPathComponent("single_annotated.csv")))

        // A damaged predictions file: one line naming the file and line, no output.
        var text = try String(contentsOf: folder.appendingPathComponent("b.csv"), encoding: .utf8)
        text = text.replacingOccurrences(of: "sample_2.mzML,3,", with: "sample_2.mzML,999,")
        try Data(text.utf8).write(to: folder.appendingPathComponent("b.csv"))
        let broken = try runNeatms(
            [
                "merge", "--raw", Self.demo.appendingPathComponent("raw").path, "--features",
                Self.demo.appendingPathComponent("tables/mzmine_aligned.csv").path, "--format", "mzmine", "-o",
                "broken.csv",
                "a.csv", "b.csv", "c.csv",
            ], in: folder)
        #expect(broken.status == 1)
        #expect(
            broken.stderr.contains("b.csv:5: peak_index_in_sample '999' is not a peak of 'sample_2.mzML'"),
            "\(broken.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("broken.csv").path))
    }
}
