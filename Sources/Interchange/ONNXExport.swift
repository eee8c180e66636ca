import FileSupport
import Foundation
import KerasFormat
import NeuralNet
import ONNXProto
import Tensor

/// The batch dimension of an exported ONNX model's input and output.
public enum ONNXBatch: Sendable, Equatable, CustomStringConvertible {
    /// A symbolic dimension (`batch`): any batch size (the default, as Keras's `None`).
    case dynamic
    /// A fixed batch size, for runtimes that need static shapes.
    case fixed(Int)

    public var description: String {
        switch self {
        case .dynamic: return "dynamic"
        case .fixed(let n): return String(n)
        }
    }
}

/// How `ONNXFile` writes a model.
public struct ONNXExportOptions: Sendable, Equatable {
    /// The default-domain opset the graph imports: 13 (default) to 21.
    public var opset: Int
    public var batch: ONNXBatch

    /// The opsets NeatMSKit writes. Every op it uses (Conv, MaxPool, Transpose, Flatten, Gemm, MatMul, Relu,
    /// Sigmoid, Tanh, Softmax, Identity) means the same in all of them.
    public static let supportedOpsets = 13...21
    public static let defaultOpset = 13

    public init(opset: Int = ONNXExportOptions.defaultOpset, batch: ONNXBatch = .dynamic) {
        self.opset = opset
        self.batch = batch
    }
}

/// ONNX model files: export of any `Model` NeatMSKit runs, import of NeatMSKit's and tf2onnx's files.
public enum ONNXFile {
    /// `metadata_props` key holding the Keras model config (Keras 3 dialect), so that a file NeatMSKit wrote
    /// imports back to the same architecture (layer names, Dropout layers, trainable flags, regularisers).
    public static let modelConfigKey = "keras_model_config"
    /// `metadata_props` key holding the Keras compile config (Keras 3 dialect), when the model has one.
    public static let compileConfigKey = "keras_compile_config"
    /// The symbolic batch dimension's name.
    public static let batchDimension = "batch"

    /// Writes `model` as an ONNX file atomically.
    /// - Throws: `KerasFormatError` naming `url` (bad options, an architecture that cannot be run, weights of
    ///   the wrong shapes, a write failure).
    public static func write(_ model: Model, to url: URL, options: ONNXExportOptions = ONNXExportOptions()) throws {
        try KerasFormatError.attributed(to: url) {
            let data = try serialized(model, options: options)
            try AtomicFile.write(data, to: url)
        }
    }

    /// The ONNX file's bytes for `model`.
    public static func serialized(_ model: Model, options: ONNXExportOptions = ONNXExportOptions()) throws -> Data {
        try modelProto(model, options: options).serializedData()
    }

    /// The IR version that goes with a default-domain opset (onnx's VERSION_TABLE).
    public static func irVersion(forOpset opset: Int) -> Int64 {
        switch opset {
        case ...12: return 7
        case 13: return 7
        case 14...15: return 8
        case 16...19: return 9
        default: return 10
        }
    }

    /// The ONNX model for `model`: input `(N, H, W, C)` named as the Keras input layer, output named as the last
    /// layer, one node group per layer named `<layer>/<Op>`, weights as initializers `<layer>/kernel` (Conv
    /// weights in ONNX's `(out, in, kh, kw)` layout) and `<layer>/bias`; layout transforms as `Layout` describes.
    public static func modelProto(_ model: Model, options: ONNXExportOptions = ONNXExportOptions()) throws
        -> Onnx_ModelProto
    {
        guard ONNXExportOptions.supportedOpsets.contains(options.opset) else {
            throw KerasFormatError(
                "opset \(options.opset) is not supported (NeatMSKit writes opsets \(ONNXExportOptions.supportedOpsets.lowerBound)–\(ONNXExportOptions.supportedOpsets.upperBound))"
            )
        }
        if case .fixed(let n) = options.batch, n < 1 {
            throw KerasFormatError("batch size \(n) must be at least 1")
        }
        try model.checkWeightShapes()
        let architecture = model.architecture
        let shapes: [[Int]]
        do { shapes = try architecture.outputShapes() } catch let error as ArchitectureError {
            throw KerasFormatError(error.description)
        }
        guard let inputLayer = architecture.layers.first, case .input(let inputShape) = inputLayer.kind else {
            throw KerasFormatError("the first layer must be an InputLayer")
        }
        guard inputShape.count == 3 || inputShape.count == 1 else {
            throw KerasFormatError(
                "input shape \(inputShape) is not supported (only (height, width, channels) or (features,))")
        }

        var graph = Onnx_GraphProto()
        graph.name = architecture.name
        var builder = GraphBuilder()
        var current = inputLayer.name
        var channelsFirst = false  // the current 4-D value is (N, C, H, W)

        func toChannelsLast(_ layer: String) {
            guard channelsFirst else { return }
            current = builder.node(
                "Transpose", layer: layer, inputs: [current], attributes: [.ints("perm", Layout.nchwToNHWC)])
            channelsFirst = false
        }
        func toChannelsFirst(_ layer: String) {
            guard !channelsFirst else { return }
            current = builder.node(
                "Transpose", layer: layer, inputs: [current], attributes: [.ints("perm", Layout.nhwcToNCHW)])
            channelsFirst = true
        }
        func activation(_ a: Activation, layer: String, rank: Int) {
            switch a {
            case .linear: return
            case .relu: current = builder.node("Relu", layer: layer, inputs: [current])
            case .sigmoid: current = builder.node("Sigmoid", layer: layer, inputs: [current])
            case .tanh: current = builder.node("Tanh", layer: layer, inputs: [current])
            case .softmax:
                // Keras's softmax runs over the last (channel) axis.
                if rank == 3 { toChannelsLast(layer) }
                current = builder.node("Softmax", layer: layer, inputs: [current], attributes: [.int("axis", -1)])
            }
        }

        for (i, layer) in architecture.layers.enumerated() where i > 0 {
            let inShape = shapes[i - 1]
            let weights = model.weights[i]
            switch layer.kind {
            case .input:
                throw KerasFormatError("layer '\(layer.name)': only the first layer may be an InputLayer")
            case .conv2D(let o):
                toChannelsFirst(layer.name)
                let kernel = builder.initializer("\(layer.name)/kernel", Layout.onnxConvWeight(weights[0]))
                let bias = o.useBias ? [builder.initializer("\(layer.name)/bias", weights[1])] : []
                let pads = padding(o.padding, size: [inShape[0], inShape[1]], window: o.kernelSize, strides: o.strides)
                current = builder.node(
                    "Conv", layer: layer.name, inputs: [current, kernel] + bias,
                    attributes: [
                        .ints("kernel_shape", o.kernelSize.map(Int64.init)),
                        .ints("strides", o.strides.map(Int64.init)),
                        .ints("pads", pads), .ints("dilations", [1, 1]), .int("group", 1),
                    ])
                activation(o.activation, layer: layer.name, rank: 3)
            case .maxPooling2D(let o):
                toChannelsFirst(layer.name)
                let pads = padding(o.padding, size: [inShape[0], inShape[1]], window: o.poolSize, strides: o.strides)
                current = builder.node(
                    "MaxPool", layer: layer.name, inputs: [current],
                    attributes: [
                        .ints("kernel_shape", o.poolSize.map(Int64.init)), .ints("strides", o.strides.map(Int64.init)),
                        .ints("pads", pads),
                    ])
            case .flatten:
                guard inShape.count != 1 else {
                    current = builder.node("Identity", layer: layer.name, inputs: [current])
                    continue
                }
                toChannelsLast(layer.name)
                current = builder.node("Flatten", layer: layer.name, inputs: [current], attributes: [.int("axis", 1)])
            case .dense(let o):
                let kernel = builder.initializer("\(layer.name)/kernel", weights[0])
                if o.useBias {
                    let bias = builder.initializer("\(layer.name)/bias", weights[1])
                    current = builder.node("Gemm", layer: layer.name, inputs: [current, kernel, bias])
                } else {
                    current = builder.node("MatMul", layer: layer.name, inputs: [current, kernel])
                }
                activation(o.activation, layer: layer.name, rank: 1)
            case .dropout:
                continue  // identity at inference; the layer is kept in the metadata config
            case .activation(let a):
                if a == .linear {
                    current = builder.node("Identity", layer: layer.name, inputs: [current])
                } else {
                    activation(a, layer: layer.name, rank: inShape.count)
                }
            }
        }
        if shapes.last?.count == 3 { toChannelsLast(architecture.layers.last!.name) }

        // The output is named as the last layer (as tf2onnx does): rename the last node's output.
        let outputName = architecture.layers.last!.name
        if current == inputLayer.name {
            current = builder.node("Identity", layer: outputName, inputs: [current])
        }
        builder.rename(current, to: outputName)

        let batch: Onnx_TensorShapeProto.Dimension = {
            var d = Onnx_TensorShapeProto.Dimension()
            switch options.batch {
            case .dynamic: d.dimParam = batchDimension
            case .fixed(let n): d.dimValue = Int64(n)
            }
            return d
        }()
        graph.input = [valueInfo(inputLayer.name, batch: batch, shape: inputShape)]
        graph.output = [valueInfo(outputName, batch: batch, shape: shapes.last!)]
        graph.node = builder.nodes
        graph.initializer = builder.initializers

        var proto = Onnx_ModelProto()
        proto.irVersion = irVersion(forOpset: options.opset)
        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = Int64(options.opset)
        proto.opsetImport = [opset]
        proto.producerName = "NeatMSKit"
        proto.graph = graph
        var props = [
            entry(modelConfigKey, try ModelConfigWriter.modelConfig(architecture, style: .keras3).serialized())
        ]
        if let compile = model.compile {
            props.append(entry(compileConfigKey, try CompileConfigJSON.keras3CompileConfig(compile).serialized()))
        }
        proto.metadataProps = props
        return proto
    }

    /// Keras's padding as ONNX `pads` `[top, left, bottom, right]`: none for `valid`; for `same` TensorFlow's rule
    /// (total = max((ceil(in / s) − 1)·s + k − in, 0), the odd pixel at the end).
    static func padding(_ padding: Padding, size: [Int], window: [Int], strides: [Int]) -> [Int64] {
        guard padding == .same else { return [0, 0, 0, 0] }
        var begin: [Int64] = []
        var end: [Int64] = []
        for d in 0..<2 {
            let out = (size[d] + strides[d] - 1) / strides[d]
            let total = max((out - 1) * strides[d] + window[d] - size[d], 0)
            begin.append(Int64(total / 2))
            end.append(Int64(total - total / 2))
        }
        return begin + end
    }

    static func valueInfo(_ name: String, batch: Onnx_TensorShapeProto.Dimension, shape: [Int]) -> Onnx_ValueInfoProto {
        var tensorType = Onnx_TypeProto.Tensor()
        tensorType.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        var shapeProto = Onnx_TensorShapeProto()
        shapeProto.dim =
            [batch]
            + shape.map { n in
                var d = Onnx_TensorShapeProto.Dimension()
                d.dimValue = Int64(n)
                return d
            }
        tensorType.shape = shapeProto
        var info = Onnx_ValueInfoProto()
        info.name = name
        info.type.tensorType = tensorType
        return info
    }

    static func entry(_ key: String, _ value: String) -> Onnx_StringStringEntryProto {
        var e = Onnx_StringStringEntryProto()
        e.key = key
        e.value = value
        return e
    }

    /// A float32 initializer: dims as given, values little-endian in `raw_data`.
    static func tensorProto(_ name: String, _ tensor: Tensor) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = tensor.shape.map(Int64.init)
        t.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        t.rawData = littleEndianBytes(tensor.scalars)
        return t
    }
}

/// Collects nodes and initializers; node `<layer>/<Op>` outputs the value `<layer>/<Op>:0`.
struct GraphBuilder {
    enum Attribute {
        case int(String, Int64)
        case ints(String, [Int64])
    }

    var nodes: [Onnx_NodeProto] = []
    var initializers: [Onnx_TensorProto] = []
    private var used: Set<String> = []

    mutating func node(_ op: String, layer: String, inputs: [String], attributes: [Attribute] = []) -> String {
        var name = "\(layer)/\(op)"
        var k = 1
        while used.contains(name) {
            name = "\(layer)/\(op)_\(k)"
            k += 1
        }
        used.insert(name)
        var n = Onnx_NodeProto()
        n.name = name
        n.opType = op
        n.input = inputs
        n.output = ["\(name):0"]
        n.attribute = attributes.map { a in
            var p = Onnx_AttributeProto()
            switch a {
            case .int(let key, let v):
                p.name = key
                p.type = .int
                p.i = v
            case .ints(let key, let v):
                p.name = key
                p.type = .ints
                p.ints = v
            }
            return p
        }
        nodes.append(n)
        return "\(name):0"
    }

    mutating func initializer(_ name: String, _ tensor: Tensor) -> String {
        initializers.append(ONNXFile.tensorProto(name, tensor))
        return name
    }

    /// Renames the value `old` (the output of the last node) to `new`.
    mutating func rename(_ old: String, to new: String) {
        for i in nodes.indices {
            nodes[i].output = nodes[i].output.map { $0 == old ? new : $0 }
            nodes[i].input = nodes[i].input.map { $0 == old ? new : $0 }
        }
    }
}

/// Float32 values as little-endian bytes.
func littleEndianBytes(_ values: [Float]) -> Data {
    var data = Data(count: values.count * 4)
    data.withUnsafeMutableBytes { raw in
        for (i, v) in values.enumerated() {
            raw.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: i * 4, as: UInt32.self)
        }
    }
    return data
}

/// Float32 values from little-endian bytes (`data.count` must be a multiple of 4).
func floatsFromLittleEndian(_ data: Data) -> [Float] {
    let count = data.count / 4
    return data.withUnsafeBytes { raw in
        (0..<count).map {
            Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)))
        }
    }
}
