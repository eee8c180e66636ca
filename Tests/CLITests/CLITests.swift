import Foundation
import TestSupport
import Testing

@Suite(.serialized) struct SummaryCLI {
    @Test func summaryOfTheTfKerasNeatMSModelInTheKeras2StylePrintsTheDocumentedBlock() throws {
        let result = try runNeatms(["summary", fixturePath("neatms_tfkeras2_full.h5"), "--style", "keras2"])
        #expect(result.status == 0)
        #expect(result.stderr.isEmpty)
        let lines = trimmedLines(result.stdout)
        #expect(lines.first == "Model: \"model\"")
        // The documented block's first line names NeatMS's model; the rest must match exactly.
        #expect(Array(lines.dropFirst()) == Array(trimmedLines(NeatMSDocumentation.modelSummary).dropFirst()))
    }

    @Test(arguments: ["truncated.h5", "png_renamed.h5", "empty.h5", "no_model_config.h5"])
    func badFilesGiveOneErrorLineAndExit1(file: String) throws {
        let result = try runNeatms(["summary", fixturePath(file)])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(lines.first?.hasPrefix("neatms: error: \(fixturePath(file)): ") == true, "\(result.stderr)")
    }

    @Test func missingArgumentIsAUsageError() throws {
        let result = try runNeatms(["summary"])
        #expect(result.status == 64)
    }
}

@Suite(.serialized) struct InspectCLI {
    @Test func treeShowsStringKindsShapesAndShortenedJSON() throws {
        let result = try runNeatms(["inspect", fixturePath("reduced_h5py2style.h5")])
        #expect(result.status == 0)
        let out = result.stdout
        #expect(out.contains("@layer_names  string[fixed(16) nullpad ascii] (8,)"))
        #expect(out.contains("@keras_version  string[vlen ascii] scalar = \"2.2.4\""))
        #expect(out.contains("kernel:0  float32 (1024, 128)"))
        #expect(out.contains("@weight_names  float64 (0,) = []"))
        #expect(out.contains("(3415 characters)"))  // model_config shortened
    }

    @Test func jsonOutputOfAnArchive() throws {
        let result = try runNeatms(["inspect", "--json", fixturePath("reduced_keras3.keras")])
        #expect(result.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let members = try #require(json["children"] as? [[String: Any]])
        #expect(members.compactMap { $0["name"] as? String } == ["metadata.json", "config.json", "model.weights.h5"])
        #expect(members.allSatisfy { $0["compression"] as? String == "stored" })
    }

    @Test func notAnHDF5File() throws {
        let result = try runNeatms(["inspect", fixturePath("png_renamed.h5")])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("neatms: error: ") && result.stderr.filter { $0 == "\n" }.count == 1)
    }
}

@Suite(.serialized) struct ConvertCLI {
    @Test func convertsBetweenFormatsAndRefusesToOverwrite() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = fixturePath("reduced_h5py2style.h5")

        let toKeras = try runNeatms(["convert", source, "model.keras"], in: dir)
        #expect(toKeras.status == 0, "\(toKeras.stderr)")
        let toH5 = try runNeatms(["convert", "model.keras", "model.h5", "--style", "keras22"], in: dir)
        #expect(toH5.status == 0, "\(toH5.stderr)")
        let weights = try runNeatms(["convert", "model.h5", "weights.h5", "--to", "keras-weights-h5"], in: dir)
        #expect(weights.status == 0, "\(weights.stderr)")

        // The summaries of the original and the twice-converted model agree below the name line.
        let a = try runNeatms(["summary", source]).stdout.split(separator: "\n").dropFirst()
        let b = try runNeatms(["summary", "model.h5"], in: dir).stdout.split(separator: "\n").dropFirst()
        #expect(Array(a) == Array(b))

        let exists = try runNeatms(["convert", source, "model.h5"], in: dir)
        #expect(exists.status == 1)
        #expect(exists.stderr == "neatms: error: model.h5: already exists (use --force to replace it)\n")
        let forced = try runNeatms(["convert", source, "model.h5", "--force"], in: dir)
        #expect(forced.status == 0)
        let same = try runNeatms(["convert", "model.h5", "./model.h5", "--force"], in: dir)
        #expect(same.status == 1)
        #expect(same.stderr.contains("refusing to overwrite the input file"))

        if let interop = TestPaths.interopOutputDirectory {
            for name in ["model.keras", "model.h5", "weights.h5"] {
                let target = interop.appendingPathComponent("CLI_convert_\(name)")
                try? FileManager.default.removeItem(at: target)
                try FileManager.default.copyItem(at: dir.appendingPathComponent(name), to: target)
                let kind: InteropManifest.Kind =
                    name == "weights.h5" ? .weightsH5 : (name.hasSuffix(".keras") ? .keras : .h5)
                try InteropManifest.record(file: target, source: "Fixtures/keras/reduced_h5py2style.h5", kind: kind)
            }
        }
    }

    @Test func styleWithKerasOutputIsAUsageError() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try runNeatms(
            ["convert", fixturePath("reduced_h5py2style.h5"), "x.keras", "--style", "keras22"], in: dir)
        #expect(result.status == 64)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("x.keras").path))
    }
}

@Suite struct VersionCLI {
    /// `neatms --version` prints one Semantic Versioning line, the version CHANGELOG.md names.
    @Test func versionIsOneSemVerLineThatTheChangelogNames() throws {
        let result = try runNeatms(["--version"])
        #expect(result.status == 0)
        let version = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!version.contains("\n"))
        #expect(version.wholeMatch(of: /\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?/) != nil, "\(version)")
        let changelog = try String(
            contentsOf: TestPaths.packageRoot.appendingPathComponent("CHANGELOG.md"), encoding: .utf8)
        #expect(changelog.contains("`\(version)`"), "CHANGELOG.md does not name \(version)")
    }
}
