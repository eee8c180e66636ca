import Foundation
import KerasFormat
import NeuralNet
import ONNXProto
import Tensor
import TestSupport
import Testing

@testable import Interchange

@Suite struct ONNXExportImport {
    /// Export → our own import gives the same architecture (from the metadata config), the same compile config
    /// and bit-identical weights, at the lowest, a middle and the highest opset, dynamic and fixed batch.
    @Test(arguments: roundTripSources)
    func roundTripIsBitIdentical(source: String) throws {
        let original = try KerasModelFile.read(TestPaths.fixture(source))
        let dir = try TestPaths.temporaryDirectory("onnx-roundtrip")
        for (opset, batch) in [(13, ONNXBatch.dynamic), (17, .fixed(3)), (21, .dynamic)] {
            let url = dir.appendingPathComponent("model_\(opset).onnx")
            try ONNXFile.write(original, to: url, options: ONNXExportOptions(opset: opset, batch: batch))
            let loaded = try ONNXFile.load(url)
            #expect(loaded.fromKerasConfig)
            #expect(loaded.opset == opset)
            #expect(loaded.model.architecture == original.architecture)
            #expect(loaded.model.weights == original.weights, "opset \(opset): weights differ")
            #expect(loaded.model.compile == original.compile)
        }
    }

    /// Without the metadata config the graph alone rebuilds the layers (Dropout aside, which ONNX drops) with the
    /// same names and bit-identical weights, and predicts exactly as the original.
    @Test(arguments: roundTripSources)
    func graphAloneRebuildsTheModel(source: String) throws {
        let original = try KerasModelFile.read(TestPaths.fixture(source))
        var proto = try ONNXFile.modelProto(original)
        proto.metadataProps = []
        let loaded = try ONNXFile.model(from: proto.serializedData())
        #expect(!loaded.fromKerasConfig)
        let expectedLayers = original.architecture.layers.dropFirst().filter {
            if case .dropout = $0.kind { return false }
            return true
        }.map { [$0.name, $0.kind.kerasClassName] }
        #expect(
            loaded.model.architecture.layers.dropFirst().map { [$0.name, $0.kind.kerasClassName] } == expectedLayers)
        #expect(weightsByLayer(loaded.model) == weightsByLayer(original))
        let x = try fixedInput(for: original, count: 5)
        let a = try predict(original, x)
        let b = try predict(loaded.model, x)
        #expect(maxAbsDifference(a.scalars, b.scalars) <= 1e-6)
    }

    /// The exported graph: input `(N, H, W, C)` named as the Keras input layer, output named as the last layer,
    /// the requested opset and its IR version, a symbolic or fixed batch, Conv weights as `(out, in, kh, kw)`.
    @Test func exportedGraphHasKerasNamesAndShapes() throws {
        let model = try KerasModelFile.read(TestPaths.fixture("onnx/multichannel.h5"))
        let dynamic = try ONNXFile.modelProto(model, options: ONNXExportOptions(opset: 16))
        #expect(dynamic.opsetImport.map(\.version) == [16])
        #expect(dynamic.irVersion == 9)
        let input = dynamic.graph.input[0]
        #expect(input.name == model.architecture.layers[0].name)
        let dims = input.type.tensorType.shape.dim
        #expect(dims[0].dimParam == "batch")
        #expect(dims.dropFirst().map(\.dimValue) == [9, 11, 3])
        #expect(dynamic.graph.output[0].name == model.architecture.layers.last!.name)
        #expect(dynamic.graph.output[0].type.tensorType.shape.dim.dropFirst().map(\.dimValue) == [5])
        let conv = try #require(dynamic.graph.initializer.first { $0.name == "conv2d/kernel" })
        #expect(conv.dims == [4, 3, 3, 3])
        #expect(dynamic.graph.node.first?.opType == "Transpose")

        let fixed = try ONNXFile.modelProto(model, options: ONNXExportOptions(batch: .fixed(7)))
        #expect(fixed.graph.input[0].type.tensorType.shape.dim[0].dimValue == 7)
        #expect(fixed.graph.output[0].type.tensorType.shape.dim[0].dimValue == 7)
        #expect(fixed.irVersion == 7)
    }

    @Test(arguments: [12, 22])
    func opsetsOutsideTheRangeAreRefused(opset: Int) throws {
        let model = try KerasModelFile.read(TestPaths.fixture("onnx/dense_only.h5"))
        let url = try TestPaths.temporaryDirectory("onnx-opset").appendingPathComponent("m.onnx")
        let error = try #require(throws: KerasFormatError.self) {
            try ONNXFile.write(model, to: url, options: ONNXExportOptions(opset: opset))
        }
        #expect(error.description == "\(url.path): opset \(opset) is not supported (NeatMSKit writes opsets 13–21)")
        #expect(!FileManager.default.fileExists(atPath: url.path))
    }

    @Test func aBatchBelowOneIsRefused() throws {
        let model = try KerasModelFile.read(TestPaths.fixture("onnx/dense_only.h5"))
        let error = try #require(throws: KerasFormatError.self) {
            try ONNXFile.modelProto(model, options: ONNXExportOptions(batch: .fixed(0)))
        }
        #expect(error.problem == "batch size 0 must be at least 1")
    }

    /// A graph that flattens channels first (as converters other than tf2onnx write it, with the next Dense
    /// kernel's rows in that order) imports into Keras's Flatten order: the kernel rows come back as Keras has them.
    @Test func channelsFirstFlattenIsReorderedIntoKerasOrder() throws {
        let model = try KerasModelFile.read(TestPaths.fixture("onnx/multichannel.h5"))
        var proto = try ONNXFile.modelProto(model)
        proto.metadataProps = []
        // Drop the Transpose before Flatten; Flatten then sees (N, C, H, W).
        let flattenIndex = try #require(proto.graph.node.firstIndex { $0.opType == "Flatten" })
        let transpose = proto.graph.node[flattenIndex - 1]
        #expect(transpose.opType == "Transpose")
        proto.graph.node[flattenIndex].input = transpose.input
        proto.graph.node.remove(at: flattenIndex - 1)
        // Reorder the Dense kernel's rows to channels-first order: row (c, h, w) of the new kernel is row (h, w, c).
        let shapes = try model.architecture.outputShapes()
        let flattenLayer = try #require(model.architecture.layers.firstIndex { $0.kind == .flatten })
        let hwc = shapes[flattenLayer - 1]
        let (h, w, c) = (hwc[0], hwc[1], hwc[2])
        #expect(c > 1 && h * w > 1)
        let denseIndex = flattenLayer + 1
        let kernel = model.weights[denseIndex][0]
        let units = kernel.shape[1]
        var rows = [Float](repeating: 0, count: kernel.count)
        for ci in 0..<c {
            for hi in 0..<h {
                for wi in 0..<w {
                    let physical = (ci * h + hi) * w + wi
                    let keras = (hi * w + wi) * c + ci
                    for u in 0..<units { rows[physical * units + u] = kernel.scalars[keras * units + u] }
                }
            }
        }
        let name = "\(model.architecture.layers[denseIndex].name)/kernel"
        let kernelIndex = try #require(proto.graph.initializer.firstIndex { $0.name == name })
        proto.graph.initializer[kernelIndex] = ONNXFile.tensorProto(name, Tensor(shape: kernel.shape, scalars: rows))

        let loaded = try ONNXFile.model(from: proto.serializedData())
        #expect(weightsByLayer(loaded.model) == weightsByLayer(model))
    }
}

@Suite struct ONNXFromTf2onnx {
    static let cases: [(model: String, file: String)] = [
        ("neatms_default", "neatms_default_opset13.onnx"), ("reduced", "reduced_opset17.onnx"),
        ("multichannel", "multichannel_opset13.onnx"), ("multichannel", "multichannel_opset17.onnx"),
        ("activations", "activations_opset13.onnx"), ("activations", "activations_opset17.onnx"),
        ("dense_only", "dense_only_opset13.onnx"), ("dense_only", "dense_only_opset17.onnx"),
    ]

    /// tf2onnx's files import into a model that predicts as Keras did within 1e-5, with the Keras source's weights
    /// bit for bit and its layer names and classes (tf2onnx drops Dropout).
    @Test(arguments: cases)
    func importsAndPredictsLikeKeras(model name: String, file: String) throws {
        let expected = try ExpectedOutputs.load(name)
        let loaded = try ONNXFile.load(onnxFixture(file))
        #expect(loaded.producer.hasPrefix("tf2onnx"))
        #expect(!loaded.fromKerasConfig)
        let p = try predict(loaded.model, expected.input)
        #expect(p.shape == expected.pShape)
        #expect(maxAbsDifference(p.scalars, expected.keras) <= 1e-5)

        let source = try expected.sourceModel()
        #expect(weightsByLayer(loaded.model) == weightsByLayer(source))
        let sourceLayers = source.architecture.layers.dropFirst().filter {
            if case .dropout = $0.kind { return false }
            return true
        }
        #expect(loaded.model.architecture.layers.dropFirst().map(\.name) == sourceLayers.map(\.name))
        #expect(
            loaded.model.architecture.layers.dropFirst().map(\.kind)
                == sourceLayers.map { layer -> LayerKind in
                    switch layer.kind {  // ONNX has no regularisers
                    case .conv2D(var o):
                        o.kernelRegularizer = nil
                        o.biasRegularizer = nil
                        return .conv2D(o)
                    case .dense(var o):
                        o.kernelRegularizer = nil
                        o.biasRegularizer = nil
                        return .dense(o)
                    default: return layer.kind
                    }
                })
        #expect(try loaded.model.architecture.inputShape() == (try source.architecture.inputShape()))
    }

    /// The imported model saves as Keras and reads back the same.
    @Test func importedModelSavesAsKeras() throws {
        let loaded = try ONNXFile.read(onnxFixture("multichannel_opset17.onnx"))
        let url = try TestPaths.temporaryDirectory("onnx-to-keras").appendingPathComponent("m.keras")
        try KerasModelFile.write(loaded, to: url, format: .kerasArchive)
        let back = try KerasModelFile.read(url)
        #expect(back.architecture == loaded.architecture)
        #expect(back.weights == loaded.weights)
    }

    /// One error names every unsupported operator with its node, and the file.
    @Test func unsupportedOperatorsAreOneErrorNamingEachNode() throws {
        struct Unsupported: Decodable { var unsupportedNodes: [[String]] }
        let expected = try TestPaths.loadJSON(
            Unsupported.self, from: onnxFixture("unsupported.expected.json"), snakeCaseKeys: true)
        #expect(expected.unsupportedNodes.count == 2)
        let url = onnxFixture("unsupported_opset13.onnx")
        let error = try #require(throws: KerasFormatError.self) { try ONNXFile.read(url) }
        let list = expected.unsupportedNodes.map { "\($0[0]) (node '\($0[1])')" }.joined(separator: ", ")
        #expect(
            error.description
                == "\(url.path): unsupported ONNX operators \(list); NeatMSKit imports \(ONNXFile.supportedOperators.joined(separator: ", "))"
        )
    }

    @Test func aNodeKerasCannotExpressIsNamed() throws {
        let model = try KerasModelFile.read(TestPaths.fixture("onnx/multichannel.h5"))
        var proto = try ONNXFile.modelProto(model)
        let conv = try #require(proto.graph.node.firstIndex { $0.opType == "Conv" })
        let pads = try #require(proto.graph.node[conv].attribute.firstIndex { $0.name == "pads" })
        proto.graph.node[conv].attribute[pads].ints = [0, 1, 2, 0]
        let error = try #require(throws: KerasFormatError.self) { try ONNXFile.model(from: proto.serializedData()) }
        #expect(
            error.problem
                == "node 'conv2d/Conv' (Conv) pads [0, 1, 2, 0] are neither Keras's 'valid' nor its 'same' [1, 1, 1, 1]"
        )
    }

    @Test func notAnONNXFileIsOneError() throws {
        let dir = try TestPaths.temporaryDirectory("onnx-bad")
        let empty = dir.appendingPathComponent("empty.onnx")
        try Data().write(to: empty)
        let emptyError = try #require(throws: KerasFormatError.self) { try ONNXFile.read(empty) }
        #expect(emptyError.description == "\(empty.path): empty file (0 bytes): not an ONNX model")
        let h5 = TestPaths.fixture("onnx/dense_only.h5")
        let h5Error = try #require(throws: KerasFormatError.self) { try ONNXFile.read(h5) }
        #expect(h5Error.file == h5.path)
        #expect(h5Error.problem.hasPrefix("not an ONNX model") || h5Error.problem.hasPrefix("no graph"), "\(h5Error)")
        let missing = dir.appendingPathComponent("missing.onnx")
        #expect(throws: KerasFormatError("no such file", file: missing.path)) { try ONNXFile.read(missing) }
    }
}

/// Exported ONNX files for the interop check: onnxruntime runs each on NeatMSKit's inputs and must match
/// NeatMSKit's outputs within 1e-5 (Scripts/interop_check.py, kind `onnx`).
@Suite struct ONNXInterop {
    static let exports: [(source: String, opset: Int, batch: ONNXBatch)] = [
        ("neatms_default_model.h5", 13, .dynamic), ("keras/reduced_tfkeras2_full.h5", 21, .fixed(6)),
        ("onnx/multichannel.h5", 17, .dynamic), ("onnx/activations.h5", 13, .fixed(6)),
        ("onnx/dense_only.h5", 19, .dynamic),
    ]

    @Test(arguments: exports)
    func exportForOnnxruntime(source: String, opset: Int, batch: ONNXBatch) throws {
        let stem =
            "Interchange_" + source.replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: ".h5", with: "")
            + "_opset\(opset)"
        guard let out = InteropManifest.outputURL("\(stem).onnx"),
            let predictions = InteropManifest.outputURL("\(stem).predictions.h5")
        else { return }
        let model = try KerasModelFile.read(TestPaths.fixture(source))
        try ONNXFile.write(model, to: out, options: ONNXExportOptions(opset: opset, batch: batch))
        let x = try fixedInput(for: model, count: 6)
        try writePredictions(x, try predict(model, x), to: predictions)
        try InteropManifest.record(
            file: out, source: "Fixtures/\(source)", kind: .onnx,
            expect: .init(predictionsFile: predictions.lastPathComponent))
    }
}

@Suite struct ONNXInfo {
    /// `inspect`'s view of a tf2onnx file (values as the onnx package lists them).
    @Test func tf2onnxFileStructure() throws {
        let info = try ONNXFile.info(onnxFixture("reduced_opset17.onnx"))
        #expect(info.irVersion == 8)
        #expect(info.opsets.map { "\($0.domain):\($0.version)" } == [":17", "ai.onnx.ml:2"])
        #expect(info.producer == "tf2onnx 1.16.1 15c810")
        #expect(info.graphName == "tf2onnx")
        #expect(info.inputs.map(\.name) == ["input_1"])
        #expect(info.inputs[0].elementType == "float")
        #expect(info.inputs[0].dimensions.dropFirst() == ["2", "16", "1"])
        #expect(info.outputs.map(\.name) == ["dense_prediction"])
        #expect(info.nodes.count == 14)
        #expect(info.nodes.first! == ("model_1/conv2d_1/BiasAdd__26", "Reshape"))
        #expect(info.nodes.last! == ("model_1/dense_prediction/Softmax", "Softmax"))
        #expect(info.initializers.count == 10)
        let dense = try #require(info.initializers.first { $0.name == "model_1/dense_1/MatMul/ReadVariableOp:0" })
        #expect(dense.shape == [1024, 128] && dense.bytes == 1024 * 128 * 4 && dense.elementType == "float")
        let shape = try #require(info.initializers.first { $0.name == "new_shape__39" })
        #expect(shape.shape == [4] && shape.elementType == "int64")
    }

    @Test func exportedFileCarriesTheKerasConfig() throws {
        let model = try KerasModelFile.read(TestPaths.fixture("onnx/dense_only.h5"))
        let info = ONNXFile.info(try ONNXFile.modelProto(model))
        #expect(info.producer == "NeatMSKit")
        #expect(info.metadata.map(\.key) == [ONNXFile.modelConfigKey])
        #expect(info.nodes.map(\.op) == ["Gemm", "Tanh", "Gemm", "Sigmoid"])
        #expect(info.inputs[0].dimensions == ["batch", "12"])
    }
}

/// Forms other converters write for the same layers: Gemm with a transposed weight, a Conv bias as a separate Add
/// broadcast over (C, 1, 1), a Dense bias Add after MatMul, Dropout nodes, a NCHW Reshape for one channel.
@Suite struct ONNXOtherConverterForms {
    static func graphOnly(_ source: String) throws -> (Model, Onnx_ModelProto) {
        let model = try KerasModelFile.read(TestPaths.fixture(source))
        var proto = try ONNXFile.modelProto(model)
        proto.metadataProps = []
        return (model, proto)
    }

    @Test func gemmWithTransposedWeight() throws {
        let (model, graphOnly) = try Self.graphOnly("onnx/dense_only.h5")
        var proto = graphOnly
        let gemm = try #require(proto.graph.node.firstIndex { $0.opType == "Gemm" })
        let name = proto.graph.node[gemm].input[1]
        let index = try #require(proto.graph.initializer.firstIndex { $0.name == name })
        let kernel = model.weights[1][0]  // (12, 8)
        var transposed = [Float](repeating: 0, count: kernel.count)
        for i in 0..<12 { for u in 0..<8 { transposed[u * 12 + i] = kernel.scalars[i * 8 + u] } }
        proto.graph.initializer[index] = ONNXFile.tensorProto(name, Tensor(shape: [8, 12], scalars: transposed))
        var transB = Onnx_AttributeProto()
        transB.name = "transB"
        transB.type = .int
        transB.i = 1
        proto.graph.node[gemm].attribute.append(transB)
        let loaded = try ONNXFile.model(from: proto.serializedData())
        #expect(loaded.model.weights == model.weights)
    }

    @Test func convBiasAsASeparateAdd() throws {
        let (model, original) = try Self.graphOnly("onnx/activations.h5")
        var proto = original
        let conv = try #require(proto.graph.node.firstIndex { $0.opType == "Conv" && $0.input.count == 3 })
        let biasName = proto.graph.node[conv].input[2]
        let bias = try #require(proto.graph.initializer.first { $0.name == biasName })
        proto.graph.node[conv].input.removeLast()
        // The bias as (C, 1, 1), added to the Conv's output.
        var reshaped = bias
        reshaped.dims = [bias.dims[0], 1, 1]
        reshaped.name = "separate_bias"
        proto.graph.initializer.append(reshaped)
        var add = Onnx_NodeProto()
        add.opType = "Add"
        add.name = proto.graph.node[conv].name.replacingOccurrences(of: "/Conv", with: "/BiasAdd")
        let convOutput = proto.graph.node[conv].output[0]
        add.input = [convOutput, "separate_bias"]
        add.output = ["biased"]
        for i in proto.graph.node.indices where proto.graph.node[i].input.contains(convOutput) {
            proto.graph.node[i].input = proto.graph.node[i].input.map { $0 == convOutput ? "biased" : $0 }
        }
        proto.graph.node.insert(add, at: conv + 1)
        let loaded = try ONNXFile.model(from: proto.serializedData())
        #expect(weightsByLayer(loaded.model) == weightsByLayer(model))
        // A bias broadcast over another axis is not a Keras bias.
        reshaped.dims = [1, bias.dims[0], 1]
        proto.graph.initializer[proto.graph.initializer.count - 1] = reshaped
        let error = try #require(throws: KerasFormatError.self) { try ONNXFile.model(from: proto.serializedData()) }
        #expect(
            error.problem.hasSuffix("(Add) is supported only as the bias of the Conv, Gemm or MatMul just before it"))
    }

    @Test func dropoutNodesBecomeDropoutLayers() throws {
        let (model, graphOnly) = try Self.graphOnly("onnx/dense_only.h5")
        var proto = graphOnly
        var ratio = Onnx_TensorProto()
        ratio.name = "ratio"
        ratio.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        ratio.floatData = [0.25]
        proto.graph.initializer.append(ratio)
        let first = proto.graph.node[1]  // dense_2/Tanh
        var dropout = Onnx_NodeProto()
        dropout.opType = "Dropout"
        dropout.name = "dropout_7/Dropout"
        dropout.input = [first.output[0], "ratio"]
        dropout.output = ["dropped"]
        proto.graph.node[2].input[0] = "dropped"
        proto.graph.node.insert(dropout, at: 2)
        let loaded = try ONNXFile.model(from: proto.serializedData())
        #expect(loaded.model.architecture.layers.map(\.name) == ["input_1", "dense_2", "dropout_7", "dense_3"])
        #expect(loaded.model.architecture.layers[2].kind == .dropout(rate: 0.25))
        #expect(weightsByLayer(loaded.model) == weightsByLayer(model))
    }

    @Test func aBranchIsRefusedNamingTheNode() throws {
        var proto = try Self.graphOnly("onnx/dense_only.h5").1
        // The second Gemm reads the graph input instead of the first layer's output.
        let second = try #require(proto.graph.node.lastIndex { $0.opType == "Gemm" })
        proto.graph.node[second].input[0] = proto.graph.input[0].name
        let error = try #require(throws: KerasFormatError.self) { try ONNXFile.model(from: proto.serializedData()) }
        #expect(error.problem.hasPrefix("node 'dense_3/Gemm' (Gemm) takes [\"input_1\"] but the chain is at"))
    }
}
