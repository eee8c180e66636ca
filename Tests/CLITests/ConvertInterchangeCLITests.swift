import Foundation
import KerasFormat
import NeuralNet
import TestSupport
import Testing

/// `neatms convert` to and from ONNX and safetensors (the Interchange library; formats from the file names).
@Suite struct ConvertInterchangeCLI {
    /// .h5 → .onnx → .keras → .safetensors (Keras 3 names) → .h5: the same architecture and bit-identical weights.
    @Test func roundTripThroughEveryFormatIsLossless() throws {
        let original = try KerasModelFile.read(TestPaths.fixture("onnx/multichannel.h5"))
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let steps: [(String, String, [String])] = [
            (TestPaths.fixture("onnx/multichannel.h5").path, "m.onnx", ["--opset", "17", "--batch", "4"]),
            ("m.onnx", "m.keras", []), ("m.keras", "m.safetensors", ["--style", "keras3"]),
            ("m.safetensors", "m.h5", []),
        ]
        for (input, output, options) in steps {
            let inPath = input.hasPrefix("/") ? input : dir.appendingPathComponent(input).path
            let result = try runNeatms(["convert", inPath, dir.appendingPathComponent(output).path] + options)
            #expect(result.status == 0, "\(output): \(result.stderr)")
            #expect(result.stdout.hasPrefix("wrote "), "\(result.stdout)")
        }
        #expect(
            try runNeatms([
                "convert", TestPaths.fixture("onnx/multichannel.h5").path, dir.appendingPathComponent("x.onnx").path,
            ])
            .stdout.contains("ONNX opset 13, batch dynamic"))
        let back = try KerasModelFile.read(dir.appendingPathComponent("m.h5"))
        #expect(back.architecture == original.architecture)
        #expect(back.weights == original.weights)
    }

    @Test func onnxOptionsAreChecked() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = TestPaths.fixture("onnx/dense_only.h5").path
        let badOpset = try runNeatms(["convert", model, dir.appendingPathComponent("a.onnx").path, "--opset", "12"])
        #expect(badOpset.status != 0)
        #expect(badOpset.stderr.contains("--opset must be 13 to 21, got 12"))
        let notOnnx = try runNeatms(["convert", model, dir.appendingPathComponent("a.h5").path, "--batch", "2"])
        #expect(notOnnx.status != 0)
        #expect(notOnnx.stderr.contains("--opset and --batch apply only to ONNX output"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }
}

@Suite struct ConvertOutputNameCLI {
    /// A name that says no format is refused before anything is written: never one format under another
    /// format's name.
    @Test func anOutputNameWithoutAFormatIsOneErrorLine() throws {
        let dir = try TestPaths.temporaryDirectory("convert-name")
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try runNeatms(["convert", fixturePath("reduced_tfkeras2_full.h5"), "model.bin"], in: dir)
        #expect(r.status == 1)
        #expect(
            r.stderr
                == "neatms: error: model.bin: the name says no model format: end it in .h5, .keras, .weights.h5, .onnx or .safetensors\n"
        )
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
        let forced = try runNeatms(
            ["convert", fixturePath("reduced_tfkeras2_full.h5"), "model.bin", "--to", "keras-h5"], in: dir)
        #expect(forced.status == 0, "\(forced.stderr)")
    }
}

/// `convert --from`: the input's format from its content first, then its name; `--from` where neither tells
/// (an ONNX file under another name), checked against the content.
@Suite struct ConvertFromCLI {
    @Test func anOnnxFileUnderAnotherNameNeedsFrom() throws {
        let dir = try TestPaths.temporaryDirectory("convert-from")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(
            at: TestPaths.fixture("onnx/dense_only_opset13.onnx"), to: dir.appendingPathComponent("model.bin"))
        let without = try runNeatms(["convert", "model.bin", "a.h5"], in: dir)
        #expect(without.status == 1)
        #expect(
            without.stderr
                == "neatms: error: model.bin: not a model file NeatMSKit recognises: neither an HDF5, ZIP or safetensors file nor named .onnx (an ONNX file with another name needs --from onnx)\n"
        )
        let with = try runNeatms(["convert", "model.bin", "b.h5", "--from", "onnx"], in: dir)
        #expect(with.status == 0, "\(with.stderr)")
        try FileManager.default.copyItem(
            at: TestPaths.fixture("onnx/dense_only_opset13.onnx"), to: dir.appendingPathComponent("named.onnx"))
        #expect(try runNeatms(["convert", "named.onnx", "c.h5"], in: dir).status == 0)
        let fromOther = try KerasModelFile.read(dir.appendingPathComponent("b.h5"))
        let fromNamed = try KerasModelFile.read(dir.appendingPathComponent("c.h5"))
        #expect(fromOther.weights == fromNamed.weights)
        #expect(fromOther.architecture == fromNamed.architecture)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("a.h5").path))
    }

    @Test func fromIsCheckedAgainstTheContent() throws {
        let dir = try TestPaths.temporaryDirectory("convert-from")
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try runNeatms(
            ["convert", fixturePath("reduced_tfkeras2_full.h5"), "a.keras", "--from", "onnx"], in: dir)
        #expect(r.status == 1)
        #expect(
            r.stderr
                == "neatms: error: \(fixturePath("reduced_tfkeras2_full.h5")): given as onnx, but the file is an HDF5 file\n"
        )
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    /// Content wins over a misleading name: an HDF5 file named .onnx (as old versions of `convert` wrote) or
    /// .safetensors reads as the Keras file it is.
    @Test func contentWinsOverTheName() throws {
        let dir = try TestPaths.temporaryDirectory("convert-from")
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["model.onnx", "model.safetensors"] {
            try FileManager.default.copyItem(
                at: TestPaths.fixture("keras/reduced_tfkeras2_full.h5"), to: dir.appendingPathComponent(name))
            let r = try runNeatms(["convert", name, name + ".keras"], in: dir)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("from \(name) (tf-keras 2 full-model .h5)"), "\(r.stdout)")
        }
    }
}
