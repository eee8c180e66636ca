import Foundation
import KerasFormat
import NeuralNet
import TestSupport
import Testing

/// `neatms inspect` of ONNX and safetensors files. Expected values come from independent readers of the committed
/// fixtures: `protoc --decode=onnx.ModelProto` (Scripts/onnx/onnx-subset.proto) for the tf2onnx files, and the
/// JSON header as Python's `json` reads it for the safetensors file written by the `safetensors` package.
@Suite struct InspectInterchangeCLI {
    func onnxFixture(_ name: String) -> String { TestPaths.fixture("onnx/\(name)").path }

    @Test func onnxTextShowsOpsetsInputsInitializersAndNodes() throws {
        let result = try runNeatms(["inspect", onnxFixture("multichannel_opset17.onnx")])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "multichannel_opset17.onnx  ONNX IR version 8, producer tf2onnx 1.16.1 15c810")
        #expect(lines.contains("  opsets: ai.onnx 17, ai.onnx.ml 2"))
        #expect(lines.contains("  graph: tf2onnx"))
        #expect(lines.contains("    conv2d_input  float (unk__79, 9, 11, 3)"))
        #expect(lines.contains("    dense_1  float (unk__80, 5)"))
        #expect(lines.contains("    multichannel/conv2d_1/Conv2D/ReadVariableOp:0  float (6, 4, 2, 3)  576 bytes"))
        #expect(lines.contains("    multichannel/dense/MatMul/ReadVariableOp:0  float (96, 7)  2688 bytes"))
        #expect(lines.contains("    const_fold_opt__78  int64 (2,)  16 bytes"))
        #expect(lines.contains("  nodes: 14"))
        #expect(lines.last == "    Softmax  multichannel/dense_1/Softmax")
    }

    @Test func onnxJSONGivesNumbersForFixedDimensions() throws {
        let result = try runNeatms(["inspect", "--json", onnxFixture("dense_only_opset13.onnx")])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try JSONDecoder().decode(JSONValue.self, from: Data(result.stdout.utf8))
        #expect(json["format"] == "onnx")
        #expect(json["ir_version"] == 7)
        #expect(json["opset_import"]?.arrayValue?.first == .object(["domain": "", "version": 13]))
        #expect(
            json["inputs"]?.arrayValue == [
                .object(["name": "input_1", "elem_type": "float", "dims": ["unk__122", 12]])
            ])
        let initializers = json["initializers"]?.arrayValue ?? []
        #expect(initializers.count == 4)
        #expect(
            initializers.first
                == .object([
                    "name": "dense_only/dense_3/MatMul/ReadVariableOp:0", "data_type": "float", "dims": [8, 3],
                    "bytes": 96,
                ]))
        #expect(
            json["nodes"]?.arrayValue?.map { $0["op_type"]?.stringValue ?? "" } == [
                "MatMul", "Add", "Tanh", "MatMul", "Add", "Sigmoid",
            ])
    }

    @Test func safetensorsTextAndJSONShowHeaderMetadataAndTensors() throws {
        let path = onnxFixture("multichannel.safetensors")
        let text = try runNeatms(["inspect", path])
        #expect(text.status == 0, "\(text.stderr)")
        let lines = text.stdout.split(separator: "\n").map(String.init)
        #expect(
            lines.first == "multichannel.safetensors  safetensors, header 4992 bytes, data 3908 bytes from offset 5000")
        #expect(lines.contains { $0.hasPrefix(#"    keras_model_config = "{\"class_name\": \"Sequential\""#) })
        #expect(lines.contains("  tensors: 7"))
        #expect(lines.contains("    conv2d/kernel  F32 (3, 3, 3, 4)  [0, 432)"))
        #expect(lines.contains("    dense/kernel  F32 (96, 7)  [1060, 3748)"))

        let result = try runNeatms(["inspect", "--json", path])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try JSONDecoder().decode(JSONValue.self, from: Data(result.stdout.utf8))
        #expect(json["header_bytes"] == 4992)
        let tensors = json["tensors"]?.arrayValue ?? []
        #expect(
            tensors.map { $0["name"]?.stringValue ?? "" } == [
                "conv2d/kernel", "conv2d_1/bias", "conv2d_1/kernel", "dense/bias", "dense/kernel", "dense_1/bias",
                "dense_1/kernel",
            ])
        #expect(
            tensors[1] == .object(["name": "conv2d_1/bias", "dtype": "F32", "shape": [6], "data_offsets": [432, 456]]))
    }

    @Test func aFileThatIsNotOfItsFormatIsOneErrorLine() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let png = URL(fileURLWithPath: fixturePath("png_renamed.h5"))
        for name in ["bad.onnx", "bad.safetensors"] {
            try FileManager.default.copyItem(at: png, to: dir.appendingPathComponent(name))
            let result = try runNeatms(["inspect", name], in: dir)
            #expect(result.status == 1)
            #expect(
                result.stderr.hasPrefix("neatms: error: bad.") && result.stderr.filter { $0 == "\n" }.count == 1,
                "\(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
    }
}

/// `.h5 → .keras → .onnx → .safetensors → .h5` through `neatms convert`: the final file has the source's
/// architecture and every weight bit for bit, for NeatMS's model, the reduced NeatMS-shaped fixtures (tf-keras,
/// Keras 3 legacy, Keras 2.2-era, Sequential, SGD) and the other models of Fixtures/onnx. The final `.h5` files are
/// recorded for the interop check, which loads them in tf-keras and Keras 3 against the source.
@Suite(.serialized) struct RoundTripCLI {
    static let sources = [
        "neatms_default_model.h5",
        "keras/reduced_tfkeras2_full.h5", "keras/reduced_h5py2style.h5", "keras/reduced_h5py2style_fixedlen.h5",
        "keras/reduced_keras3_legacy.h5", "keras/reduced_sequential.h5", "keras/reduced_sgd_full.h5",
        "keras/reduced_dropout0.h5",
        "onnx/multichannel.h5", "onnx/activations.h5", "onnx/dense_only.h5",
    ]

    @Test(arguments: sources) func everyFormatInTurnGivesBackTheSameModel(_ source: String) throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let sourceURL = TestPaths.fixture(source)
        let chain = [sourceURL.path, "model.keras", "model.onnx", "model.safetensors", "model.h5"]
        for (input, output) in zip(chain, chain.dropFirst()) {
            let result = try runNeatms(["convert", input, output], in: dir)
            try #require(result.status == 0, "\(input) → \(output): \(result.stderr)")
        }
        let original = try KerasModelFile.load(sourceURL).model
        let final = try KerasModelFile.load(dir.appendingPathComponent("model.h5")).model
        #expect(final.architecture == original.architecture)
        #expect(final.weights.count == original.weights.count)
        for (layer, (a, b)) in zip(original.weights, final.weights).enumerated() {
            #expect(a.map(\.shape) == b.map(\.shape), "layer \(layer)")
            #expect(
                a.map { $0.scalars.map(\.bitPattern) } == b.map { $0.scalars.map(\.bitPattern) },
                "layer \(layer): weights differ")
        }

        if let interop = TestPaths.interopOutputDirectory {
            let name = "CLI_roundtrip_" + source.replacingOccurrences(of: "/", with: "_")
            let target = interop.appendingPathComponent(name)
            try? FileManager.default.removeItem(at: target)
            try FileManager.default.copyItem(at: dir.appendingPathComponent("model.h5"), to: target)
            try InteropManifest.record(file: target, source: "Fixtures/\(source)", kind: .h5)
        }
    }
}
