import Foundation
import KerasFormat
import NeuralNet
import TestSupport
import Testing

/// `neatms convert WEIGHTS OUT --architecture MODEL [--by-name] [--skip-mismatch]`: a weights-only file
/// loaded into a model with Keras's rules (`load_weights` by order or by name, `skip_mismatch`).
@Suite struct ConvertWeightsCLI {
    /// The fixtures: `reduced_tfkeras2_weights.h5` holds the weights of `reduced_tfkeras2_full.h5`
    /// (tf-keras `save_weights`); `reduced_sgd_full.h5` has the same layers with other weights.
    @Test(arguments: [false, true])
    func weightsOnlyFileIntoAnotherModelsArchitecture(byName: Bool) throws {
        let expected = try KerasModelFile.read(TestPaths.fixture("keras/reduced_tfkeras2_full.h5"))
        let other = try KerasModelFile.read(TestPaths.fixture("keras/reduced_sgd_full.h5"))
        #expect(other.weights != expected.weights)  // so the test shows the weights were replaced

        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("loaded.h5")
        let result = try runNeatms(
            [
                "convert", fixturePath("reduced_tfkeras2_weights.h5"), out.path, "--architecture",
                fixturePath("reduced_sgd_full.h5"),
            ]
                + (byName ? ["--by-name"] : []))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty)
        let loaded = try KerasModelFile.read(out)
        #expect(loaded.weights == expected.weights)
        #expect(loaded.architecture.layers.map(\.name) == other.architecture.layers.map(\.name))
        #expect(loaded.compile == other.compile)

        if byName, let interop = InteropManifest.outputURL("CLI_convert_weights_into_architecture.h5") {
            try FileManager.default.copyItem(at: out, to: interop)
            try InteropManifest.record(
                file: interop, source: "Fixtures/keras/reduced_tfkeras2_full.h5", kind: .h5)
        }
    }

    @Test func shapeMismatchIsOneErrorLineOrAWarningWithSkipMismatch() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let failed = dir.appendingPathComponent("failed.h5")
        let weights = fixturePath("reduced_weights_dense1_mismatch.h5")
        let architecture = fixturePath("reduced_tfkeras2_full.h5")

        let strict = try runNeatms(["convert", weights, failed.path, "--architecture", architecture])
        #expect(strict.status == 1)
        let lines = strict.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("neatms: error: \(weights): ") == true)
        #expect(
            strict.stderr.contains("dense_1") && strict.stderr.contains("(1024, 128)")
                && strict.stderr.contains("(256, 128)"))
        #expect(!FileManager.default.fileExists(atPath: failed.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)

        let skipped = dir.appendingPathComponent("skipped.h5")
        let lenient = try runNeatms([
            "convert", weights, skipped.path, "--architecture", architecture, "--skip-mismatch",
        ])
        #expect(lenient.status == 0, "\(lenient.stderr)")
        #expect(lenient.stderr.contains("warning") && lenient.stderr.contains("dense_1"))
        let base = try KerasModelFile.read(TestPaths.fixture("keras/reduced_tfkeras2_full.h5"))
        let result = try KerasModelFile.read(skipped)
        let dense = try #require(base.architecture.layers.firstIndex { $0.name == "dense_1" })
        // The mismatched layer keeps the architecture's weights.
        #expect(result.weights[dense] == base.weights[dense])
    }

    @Test func byNameWithoutArchitectureIsAUsageError() throws {
        let result = try runNeatms([
            "convert", fixturePath("reduced_tfkeras2_weights.h5"), "/tmp/never.h5", "--by-name",
        ])
        #expect(result.status == 64)
        #expect(!FileManager.default.fileExists(atPath: "/tmp/never.h5"))
    }
}
