import Foundation
import TestSupport
import Testing

/// The one `neatms: error:` line names a file given as a relative path as the user typed it, whichever
/// library found the problem (HDF5, KerasFormat, MassSpec, NeatMS's tables and matrices, FileSupport).
@Suite struct ErrorLineCLITests {
    @Test func relativePathsAreNamedAsTyped() throws {
        let dir = try TestPaths.temporaryDirectory("cli-relative-errors")
        defer { try? FileManager.default.removeItem(at: dir) }
        let demo = TestPaths.fixture("demo")
        let fileManager = FileManager.default
        try Data("not HDF5".utf8).write(to: dir.appendingPathComponent("bad.h5"))
        try fileManager.copyItem(
            at: demo.appendingPathComponent("tables/mzmine_aligned.csv"), to: dir.appendingPathComponent("table.csv"))
        try fileManager.createDirectory(at: dir.appendingPathComponent("empty"), withIntermediateDirectories: true)
        // Three good samples and an empty sample_4.mzML.
        let raw = dir.appendingPathComponent("raw")
        try fileManager.createDirectory(at: raw, withIntermediateDirectories: true)
        for name in ["sample_1.mzML", "sample_2.mzML", "sample_3.mzML"] {
            try fileManager.createSymbolicLink(
                at: raw.appendingPathComponent(name), withDestinationURL: demo.appendingPathComponent("raw/\(name)"))
        }
        try Data().write(to: raw.appendingPathComponent("sample_4.mzML"))
        let model = TestPaths.fixture("neatms_default_model.h5").path

        let cases: [(arguments: [String], line: String)] = [
            (["summary", "missing.h5"], "missing.h5: no such file"),
            (["summary", "bad.h5"], "bad.h5: not an HDF5 file"),
            (["predict", "--model", model, "--matrices", "./bad.h5"], "./bad.h5: not an HDF5 file"),
            (["threshold", "--model", model, "--data", "missing.h5"], "missing.h5: no such file"),
            (["train", "--data", "bad.h5", "-o", "out.h5"], "bad.h5: not an HDF5 file ("),
            (["convert", model, "no/such/out.h5"], "no/such/out.h5: the folder no/such does not exist"),
            (
                ["extract", "--raw", "raw", "--features", "missing.csv", "--format", "mzmine", "-o", "out.h5"],
                "missing.csv: no such file or folder"
            ),
            (
                ["extract", "--raw", "empty", "--features", "table.csv", "--format", "mzmine", "-o", "out.h5"],
                "empty: the raw-data folder holds no .mzML file"
            ),
            (
                ["extract", "--raw", "raw", "--features", "table.csv", "--format", "mzmine", "-o", "out.h5"],
                "raw/sample_4.mzML: file is empty, not an mzML file"
            ),
        ]
        for (arguments, line) in cases {
            let result = try runNeatms(arguments, in: dir)
            #expect(result.status == 1, "\(arguments): \(result.stderr)")
            let errors = result.stderr.split(separator: "\n").filter { $0.hasPrefix("neatms: error: ") }
            #expect(errors.count == 1, "\(arguments): \(result.stderr)")
            // Exact lines, except HDF5's own stack after "(" for train.
            let reported = errors.first.map(String.init) ?? ""
            if line.hasSuffix("(") {
                #expect(reported.hasPrefix("neatms: error: \(line)"), "\(arguments): \(result.stderr)")
            } else {
                #expect(reported == "neatms: error: \(line)", "\(arguments): \(result.stderr)")
            }
        }
        #expect(!fileManager.fileExists(atPath: dir.appendingPathComponent("out.h5").path))
    }
}
