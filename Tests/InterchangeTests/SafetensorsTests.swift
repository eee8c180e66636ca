import Foundation
import KerasFormat
import NeuralNet
import Tensor
import TestSupport
import Testing

@testable import Interchange

@Suite struct SafetensorsRoundTrip {
    /// write → read (no architecture given) gives the same architecture, compile config and bit-identical weights,
    /// in both namings.
    @Test(arguments: roundTripSources, SafetensorsNaming.allCases)
    func roundTripIsBitIdentical(source: String, naming: SafetensorsNaming) throws {
        let original = try KerasModelFile.read(TestPaths.fixture(source))
        let url = try TestPaths.temporaryDirectory("st-roundtrip").appendingPathComponent("m.safetensors")
        try SafetensorsFile.write(original, to: url, naming: naming)
        let back = try SafetensorsFile.read(url)
        #expect(back.architecture == original.architecture)
        #expect(back.compile == original.compile)
        #expect(back.weights == original.weights)
        // Aligned data section, every tensor named as the naming says.
        let header = try SafetensorsFile.header(url)
        #expect(header.dataStart % 8 == 0)
        #expect(
            Set(header.tensors.map(\.name))
                == Set(try SafetensorsFile.tensorNames(original.architecture, naming: naming).joined()))
    }

    /// Names as the brief gives them: `conv2d_1/kernel` and Keras 3's `layers/conv2d_1/vars/0`.
    @Test func tensorNamesFollowKeras() throws {
        let names = try SafetensorsFile.tensorNames(Architecture.neatms(matrixSize: 16), naming: .keras2)
        #expect(names[1] == ["conv2d_1/kernel", "conv2d_1/bias"])
        #expect(names[7] == ["dense_prediction/kernel", "dense_prediction/bias"])
        let keras3 = try SafetensorsFile.tensorNames(Architecture.neatms(matrixSize: 16), naming: .keras3)
        #expect(keras3[1] == ["layers/conv2d/vars/0", "layers/conv2d/vars/1"])
        #expect(keras3[3] == ["layers/conv2d_1/vars/0", "layers/conv2d_1/vars/1"])
        #expect(keras3[7] == ["layers/dense_1/vars/0", "layers/dense_1/vars/1"])
    }
}

@Suite struct SafetensorsFromPython {
    /// Files the `safetensors` package wrote from Keras weights, with tf.keras's model JSON in the metadata, read
    /// into the Keras source model exactly.
    @Test(arguments: ["multichannel", "activations", "dense_only"])
    func pythonFileReadsAsTheKerasModel(model: String) throws {
        let source = try KerasModelFile.read(onnxFixture("\(model).h5"))
        let read = try SafetensorsFile.read(onnxFixture("\(model).safetensors"))
        #expect(read.architecture == source.architecture)
        #expect(read.weights == source.weights)
    }

    /// Keras 3 names without metadata need the architecture; with it the weights are the source's.
    @Test(arguments: ["multichannel", "activations", "dense_only"])
    func keras3NamesReadIntoAGivenArchitecture(model: String) throws {
        let source = try KerasModelFile.read(onnxFixture("\(model).h5"))
        let url = onnxFixture("\(model).keras3names.safetensors")
        let error = try #require(throws: KerasFormatError.self) { try SafetensorsFile.read(url) }
        #expect(
            error.description
                == "\(url.path): no Keras model config in __metadata__ (\"keras_model_config\"): give the architecture separately"
        )
        let zeroed = try Model.zeroWeights(source.architecture)
        let read = try SafetensorsFile.read(url, architecture: zeroed)
        #expect(read.weights == source.weights)
    }

    @Test func aTensorTheModelLacksOrMissesIsAnError() throws {
        let url = onnxFixture("dense_only.safetensors")
        var other = try KerasModelFile.read(onnxFixture("dense_only.h5"))
        other.architecture.layers[2].name = "renamed"
        let error = try #require(throws: KerasFormatError.self) { try SafetensorsFile.read(url, architecture: other) }
        #expect(error.description == "\(url.path): no tensor 'renamed/kernel' for layer 'renamed' (keras2 naming)")
    }
}

/// Hand-made files: each header problem is one error naming the file, found before any tensor data is read.
@Suite struct SafetensorsHeaderValidation {
    /// `[length][header][data]` with the length given or the header's own.
    static func file(_ header: String, data: Int, length: UInt64? = nil) -> Data {
        var bytes = Data()
        withUnsafeBytes(of: (length ?? UInt64(header.utf8.count)).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(Data(header.utf8))
        bytes.append(Data(repeating: 0, count: data))
        return bytes
    }

    static let good =
        #"{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[1],"data_offsets":[16,20]}}"#

    static let cases: [(name: String, bytes: Data, problem: String)] = [
        ("short", Data([1, 0, 0]), "3 bytes: too short for a safetensors file (8-byte header length)"),
        (
            "length_beyond_file", file(good, data: 20, length: 5000),
            "header length 5000 exceeds the file's \(good.utf8.count + 20) bytes after the length field"
        ),
        ("not_json", file("{not json}", data: 0), "the header is not valid JSON: not a safetensors file"),
        ("not_object", file("[1, 2]", data: 0), "the header does not start with '{': not a safetensors file"),
        (
            "bad_dtype", file(#"{"a":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}}"#, data: 4),
            "tensor 'a' has unknown dtype 'F33'"
        ),
        (
            "unreadable_dtype", file(#"{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#, data: 8),
            "tensor 'a' has dtype I64; NeatMSKit reads F32, F16 and BF16"
        ),
        (
            "size_mismatch", file(#"{"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,16]}}"#, data: 16),
            "tensor 'a' of shape [2, 3] and dtype F32 needs 24 bytes but data_offsets [0, 16] hold 16"
        ),
        (
            "out_of_bounds", file(#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}"#, data: 16),
            "tensor 'a' has data_offsets [8, 24] beyond the 16-byte data section"
        ),
        (
            "overlap",
            file(
                #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#,
                data: 16),
            "tensor 'b' has data_offsets [8, 16] overlapping the tensor before it (which ends at 16)"
        ),
        (
            "gap",
            file(
                #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#,
                data: 12),
            "bytes 4..<8 of the data section belong to no tensor (before 'b')"
        ),
        (
            "uncovered_tail", file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: 12),
            "the tensors cover 4 bytes but the data section has 12"
        ),
        (
            "negative_shape", file(#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, data: 4),
            "tensor 'a' has an invalid shape [-1]"
        ),
    ]

    @Test(arguments: cases)
    func eachProblemIsOneErrorNamingTheFile(name: String, bytes: Data, problem: String) throws {
        let url = try TestPaths.temporaryDirectory("st-bad").appendingPathComponent("\(name).safetensors")
        try bytes.write(to: url)
        let error = try #require(throws: KerasFormatError.self) { try SafetensorsFile.tensors(url) }
        #expect(error.file == url.path)
        #expect(error.problem == problem)
    }

    @Test func theWellFormedBaseCaseReads() throws {
        let url = try TestPaths.temporaryDirectory("st-good").appendingPathComponent("good.safetensors")
        var bytes = Self.file(Self.good, data: 0)
        bytes.append(littleEndianBytes([1, 2, 3, 4, -5]))
        try bytes.write(to: url)
        let tensors = try SafetensorsFile.tensors(url)
        #expect(tensors.map(\.name) == ["a", "b"])
        #expect(tensors[0].tensor == Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]))
        #expect(tensors[1].tensor == Tensor(shape: [1], scalars: [-5]))
    }

    /// F16 and BF16 widen exactly (values chosen to be representable: 1.5, -2, 65504, the smallest subnormal).
    @Test func halfPrecisionWidensExactly() throws {
        let url = try TestPaths.temporaryDirectory("st-half").appendingPathComponent("half.safetensors")
        let header =
            #"{"h":{"dtype":"F16","shape":[4],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[8,12]}}"#
        var bytes = Self.file(header, data: 0)
        for bits: UInt16 in [0x3E00, 0xC000, 0x7BFF, 0x0001, 0x3FC0, 0xC040] {
            withUnsafeBytes(of: bits.littleEndian) { bytes.append(contentsOf: $0) }
        }
        try bytes.write(to: url)
        let tensors = try SafetensorsFile.tensors(url)
        #expect(tensors[0].tensor.scalars == [1.5, -2, 65504, Float(sign: .plus, exponent: -24, significand: 1)])
        #expect(tensors[1].tensor.scalars == [1.5, -3])
    }
}

/// Exported safetensors files for the interop check: the `safetensors` package reads each, every tensor equals the
/// source Keras model's weight bit for bit, and the metadata config builds the model in Keras 3.
@Suite struct SafetensorsInterop {
    @Test(arguments: roundTripSources, SafetensorsNaming.allCases)
    func exportForThePythonPackage(source: String, naming: SafetensorsNaming) throws {
        let stem =
            "Interchange_" + source.replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: ".h5", with: "")
            + "_\(naming.rawValue)"
        guard let out = InteropManifest.outputURL("\(stem).safetensors") else { return }
        let model = try KerasModelFile.read(TestPaths.fixture(source))
        try SafetensorsFile.write(model, to: out, naming: naming)
        try InteropManifest.record(file: out, source: "Fixtures/\(source)", kind: .safetensors)
    }
}

@Suite struct SafetensorsLoadDetails {
    /// The header of a file the Python package wrote, and how it loads.
    @Test func pythonFileHeaderAndLoad() throws {
        let url = onnxFixture("multichannel.safetensors")
        let header = try SafetensorsFile.header(url)
        #expect(Array(header.metadata.keys) == ["keras_model_config"])
        #expect(
            Set(header.tensors.map(\.name))
                == [
                    "conv2d/kernel", "conv2d_1/kernel", "conv2d_1/bias", "dense/kernel", "dense/bias", "dense_1/kernel",
                    "dense_1/bias",
                ])
        #expect(header.tensors.allSatisfy { $0.dtype == "F32" })
        let loaded = try SafetensorsFile.load(url)
        #expect(loaded.fromKerasConfig && loaded.naming == .keras2 && loaded.warnings.isEmpty)
        let keras3 = try SafetensorsFile.load(
            onnxFixture("multichannel.keras3names.safetensors"), architecture: loaded.model)
        #expect(!keras3.fromKerasConfig && keras3.naming == .keras3)
        #expect(keras3.model.weights == loaded.model.weights)
    }
}
