import Foundation
import KerasFormat
import NeuralNet
import ONNXProto
import Tensor

/// A model read from an ONNX file, with what the file said about itself.
public struct ONNXLoadedModel: Sendable {
    public var model: Model
    /// `producer_name` and `producer_version` (e.g. `tf2onnx 1.16.1 15c810`, `NeatMSKit`).
    public var producer: String
    /// The default-domain opset the file imports.
    public var opset: Int
    /// True when the architecture came from the file's Keras model config (files NeatMSKit wrote), false when it
    /// was rebuilt from the graph alone (Dropout layers, removed by converters, are then absent).
    public var fromKerasConfig: Bool
    /// Notes for the user (e.g. a compile config that could not be read), one line each.
    public var warnings: [String]
}

extension ONNXFile {
    /// The ONNX operators the importer maps onto Keras layers (default domain).
    public static let supportedOperators: [String] = [
        "Conv", "MaxPool", "Relu", "Sigmoid", "Tanh", "Softmax", "Gemm", "MatMul", "Add", "Transpose", "Reshape",
        "Flatten", "Identity", "Dropout", "Constant",
    ]
    /// The newest default-domain opset the importer knows.
    public static let newestOpset = 21

    /// Reads the model in an ONNX file (see `load`).
    public static func read(_ url: URL) throws -> Model {
        try load(url).model
    }

    /// Reads an ONNX file NeatMSKit wrote, or one tf2onnx (or a converter like it) wrote for a Keras model of the
    /// supported layers: a single chain of Conv, MaxPool, Flatten/Reshape, Gemm/MatMul(+Add), Relu, Sigmoid, Tanh,
    /// Softmax, Dropout, Identity and layout Transposes, float32 weights as initializers or Constant nodes.
    /// - Throws: `KerasFormatError` naming the file: one error listing every unsupported operator with its node,
    ///   or the node and the problem (a padding Keras cannot express, a branch, …).
    public static func load(_ url: URL) throws -> ONNXLoadedModel {
        try KerasFormatError.attributed(to: url) {
            let loaded = try model(from: try proto(from: readFile(url)))
            try KerasModelFile.checkFinite(loaded.model, file: url.relativePath)
            return loaded
        }
    }

    /// Parses ONNX bytes (see `load`).
    public static func model(from data: Data) throws -> ONNXLoadedModel {
        try model(from: proto(from: data))
    }

    /// The file's bytes, or an error saying why there are none.
    static func readFile(_ url: URL) throws -> Data {
        do { return try Data(contentsOf: url) } catch {
            throw KerasFormatError(
                FileManager.default.fileExists(atPath: url.path) ? "cannot read the file" : "no such file")
        }
    }

    /// The ONNX model in `data`, or an error saying it is not one.
    static func proto(from data: Data) throws -> Onnx_ModelProto {
        guard !data.isEmpty else { throw KerasFormatError("empty file (0 bytes): not an ONNX model") }
        do {
            return try Onnx_ModelProto(serializedBytes: data)
        } catch {
            throw KerasFormatError("not an ONNX model (the protobuf does not parse: \(error))")
        }
    }

    /// Maps a parsed ONNX model onto a Keras `Model` (see `load`).
    public static func model(from proto: Onnx_ModelProto) throws -> ONNXLoadedModel {
        guard proto.hasGraph, !proto.graph.node.isEmpty || !proto.graph.input.isEmpty else {
            throw KerasFormatError("no graph: not an ONNX model")
        }
        var importer = try GraphImporter(proto)
        var model = try importer.run()
        var warnings: [String] = []
        var fromConfig = false
        let metadata = Dictionary(proto.metadataProps.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        if let json = metadata[modelConfigKey] {
            model = try reconcile(model, withConfig: json)
            fromConfig = true
            if let compileJSON = metadata[compileConfigKey] {
                do {
                    model.compile = try CompileConfigJSON.compileConfig(
                        from: JSONValue.parse(compileJSON, what: compileConfigKey))
                } catch let error as KerasFormatError {
                    warnings.append("\(compileConfigKey) ignored: \(error.problem)")
                }
            }
        }
        let producer = [proto.producerName, proto.producerVersion].filter { !$0.isEmpty }.joined(separator: " ")
        return ONNXLoadedModel(
            model: model, producer: producer, opset: importer.opset, fromKerasConfig: fromConfig, warnings: warnings)
    }

    /// The architecture of the Keras config stored in a file NeatMSKit wrote, with the graph's weights: the config
    /// must describe the same computation (same input, same weighted layers and shapes in the same order).
    static func reconcile(_ graphModel: Model, withConfig json: String) throws -> Model {
        let architecture = try ModelConfigReader.architecture(from: JSONValue.parse(json, what: modelConfigKey))
        let mismatch = { (what: String) in
            KerasFormatError("the Keras model config in the metadata does not match the graph: \(what)")
        }
        let configSignature = try signature(architecture)
        let graphSignature = try signature(graphModel.architecture)
        guard try architecture.inputShape() == graphModel.architecture.inputShape() else {
            throw mismatch(
                "input \(try architecture.inputShape()) vs \(try graphModel.architecture.inputShape())")
        }
        guard configSignature.count == graphSignature.count else {
            throw mismatch("\(configSignature.count) computing layers vs \(graphSignature.count) in the graph")
        }
        for (a, b) in zip(configSignature, graphSignature) where a.kind != b.kind {
            throw mismatch("layer '\(a.name)' vs the graph's '\(b.name)'")
        }
        let graphWeights = graphModel.weights.filter { !$0.isEmpty }
        var weights: [[Tensor]] = []
        var next = 0
        for shapes in try architecture.weightShapes() {
            if shapes.isEmpty {
                weights.append([])
                continue
            }
            guard next < graphWeights.count, graphWeights[next].map(\.shape) == shapes else {
                throw mismatch("weights of shapes \(shapes) expected")
            }
            weights.append(graphWeights[next])
            next += 1
        }
        guard next == graphWeights.count else { throw mismatch("the graph has more weighted layers") }
        return Model(architecture: architecture, weights: weights)
    }

    /// The layers that compute something, with the options that matter for inference: no InputLayer, Dropout,
    /// Flatten or linear Activation, no regularisers, `same` padding that pads nothing written as `valid`.
    static func signature(_ architecture: Architecture) throws -> [(name: String, kind: LayerKind)] {
        let shapes = try architecture.outputShapes()
        var result: [(name: String, kind: LayerKind)] = []
        for (i, layer) in architecture.layers.enumerated() where i > 0 {
            let input = shapes[i - 1]
            switch layer.kind {
            case .input, .dropout, .flatten, .activation(.linear):
                continue
            case .conv2D(var o):
                o.kernelRegularizer = nil
                o.biasRegularizer = nil
                if padding(o.padding, size: input, window: o.kernelSize, strides: o.strides).allSatisfy({ $0 == 0 }) {
                    o.padding = .valid
                }
                result.append((layer.name, .conv2D(o)))
            case .maxPooling2D(var o):
                if padding(o.padding, size: input, window: o.poolSize, strides: o.strides).allSatisfy({ $0 == 0 }) {
                    o.padding = .valid
                }
                result.append((layer.name, .maxPooling2D(o)))
            case .dense(var o):
                o.kernelRegularizer = nil
                o.biasRegularizer = nil
                result.append((layer.name, .dense(o)))
            case .activation:
                result.append((layer.name, layer.kind))
            }
        }
        return result
    }
}

/// Walks an ONNX graph node by node, mapping it onto a chain of Keras layers.
struct GraphImporter {
    let proto: Onnx_ModelProto
    let graph: Onnx_GraphProto
    let opset: Int
    /// Initializers and Constant outputs by value name.
    var constants: [String: Onnx_TensorProto] = [:]

    // The chain being built.
    var layers: [LayerSpec] = []
    var weights: [[Tensor]] = []
    /// The value the next node must consume.
    var current = ""
    /// Keras shape (without batch) of the current value.
    var shape: [Int] = []
    /// For a rank-3 value: its physical axis order as indices into `shape` (see `Layout`).
    var axes: [Int] = Layout.channelsLast
    /// After a Flatten in another order than Keras's: the Keras index of each physical element.
    var flattenOrder: [Int]?
    /// The last Conv2D / Dense layer, while a bias Add or an activation may still belong to it.
    var openLayer: Int?
    var openForBias = false
    var usedNames: Set<String> = []

    init(_ proto: Onnx_ModelProto) throws {
        self.proto = proto
        graph = proto.graph
        let defaultOpsets = proto.opsetImport.filter { $0.domain.isEmpty || $0.domain == "ai.onnx" }
        guard let version = defaultOpsets.map(\.version).max() else {
            throw KerasFormatError("the model imports no default-domain (ai.onnx) opset")
        }
        guard version <= ONNXFile.newestOpset else {
            throw KerasFormatError("opset \(version) is newer than NeatMSKit knows (up to \(ONNXFile.newestOpset))")
        }
        opset = Int(version)
    }

    mutating func run() throws -> Model {
        try checkOperators()
        for t in graph.initializer { constants[t.name] = t }
        for node in graph.node where node.opType == "Constant" {
            guard let value = node.attribute.first(where: { $0.name == "value" }), value.hasT, node.output.count == 1
            else {
                throw nodeError(node, "only a Constant with a tensor `value` is supported")
            }
            constants[node.output[0]] = value.t
        }
        let inputs = graph.input.filter { constants[$0.name] == nil }
        guard inputs.count == 1, let input = inputs.first else {
            throw KerasFormatError("the graph has \(inputs.count) inputs (NeatMSKit models have exactly one)")
        }
        guard graph.output.count == 1 else {
            throw KerasFormatError("the graph has \(graph.output.count) outputs (NeatMSKit models have exactly one)")
        }
        try startChain(input)
        for node in graph.node where node.opType != "Constant" {
            try step(node)
        }
        guard current == graph.output[0].name else {
            throw KerasFormatError(
                "the graph's output '\(graph.output[0].name)' is not the end of its chain of nodes ('\(current)')")
        }
        if shape.count == 3, axes != Layout.channelsLast,
            axes.filter({ shape[$0] != 1 }) != [0, 1, 2].filter({ shape[$0] != 1 })
        {
            throw KerasFormatError("the graph's output is not channels last (N, H, W, C) as Keras models output")
        }
        if flattenOrder != nil {
            throw KerasFormatError("the graph's output is flattened channels first, not in Keras's (H, W, C) order")
        }
        let architecture = Architecture(name: modelName(), layers: layers)
        let computed: [[Int]]
        do { computed = try architecture.outputShapes() } catch let error as ArchitectureError {
            throw KerasFormatError(error.description)
        }
        let declared = dims(graph.output[0]).dropFirst()
        if !declared.contains(where: { $0 == nil }), declared.map({ $0! }) != computed.last! {
            throw KerasFormatError(
                "the graph declares output shape \(Array(declared.map { $0! })) but its layers compute \(computed.last!)"
            )
        }
        return Model(architecture: architecture, weights: weights)
    }

    /// One error for every node whose operator NeatMSKit does not map (name and node of each).
    func checkOperators() throws {
        let supported = Set(ONNXFile.supportedOperators)
        let bad = graph.node.filter { node in
            !(node.domain.isEmpty || node.domain == "ai.onnx") || !supported.contains(node.opType)
        }
        guard !bad.isEmpty else { return }
        let list = bad.map { node in
            let op = node.domain.isEmpty || node.domain == "ai.onnx" ? node.opType : "\(node.domain).\(node.opType)"
            return "\(op) (node '\(node.name)')"
        }
        throw KerasFormatError(
            "unsupported ONNX operator\(bad.count == 1 ? "" : "s") \(list.joined(separator: ", ")); NeatMSKit imports "
                + ONNXFile.supportedOperators.joined(separator: ", "))
    }

    func dims(_ info: Onnx_ValueInfoProto) -> [Int?] {
        guard case .tensorType(let t)? = info.type.value else { return [] }
        return t.shape.dim.map { d in
            if case .dimValue(let v)? = d.value, v > 0 { return Int(v) }
            return nil
        }
    }

    mutating func startChain(_ input: Onnx_ValueInfoProto) throws {
        guard case .tensorType(let t)? = input.type.value else {
            throw KerasFormatError("input '\(input.name)' is not a tensor")
        }
        guard t.elemType == Int32(Onnx_TensorProto.DataType.float.rawValue) else {
            throw KerasFormatError("input '\(input.name)' has element type \(t.elemType), not float32")
        }
        let d = dims(input)
        guard d.count == 4 || d.count == 2, !d.dropFirst().contains(where: { $0 == nil }) else {
            throw KerasFormatError(
                "input '\(input.name)' must be (N, H, W, C) or (N, features) with known sizes, got \(d.map { $0.map(String.init) ?? "?" })"
            )
        }
        shape = d.dropFirst().map { $0! }
        current = input.name
        usedNames.insert(input.name)
        layers = [LayerSpec(name: input.name, kind: .input(shape: shape))]
        weights = [[]]
    }

    func modelName() -> String {
        if !graph.name.isEmpty, graph.name != "tf2onnx" { return graph.name }
        for node in graph.node {
            let parts = node.name.split(separator: "/")
            if parts.count >= 3 { return String(parts[0]) }
        }
        return "model"
    }

    // MARK: Nodes

    mutating func step(_ node: Onnx_NodeProto) throws {
        let data = node.input.filter { !$0.isEmpty && constants[$0] == nil }
        guard data == [current] else {
            throw nodeError(
                node, "takes \(data) but the chain is at '\(current)' (only single-chain models are supported)")
        }
        guard let output = node.output.first, !output.isEmpty else { throw nodeError(node, "has no output") }
        switch node.opType {
        case "Identity":
            break
        case "Transpose":
            try transpose(node)
        case "Reshape", "Flatten":
            try reshape(node)
        case "Conv":
            try conv(node)
        case "MaxPool":
            try maxPool(node)
        case "Gemm", "MatMul":
            try dense(node)
        case "Add":
            try bias(node)
        case "Relu", "Sigmoid", "Tanh", "Softmax":
            try activation(node)
        case "Dropout":
            try dropout(node)
        default:
            throw nodeError(node, "is not supported")
        }
        current = output
    }

    func nodeError(_ node: Onnx_NodeProto, _ problem: String) -> KerasFormatError {
        KerasFormatError("node '\(node.name)' (\(node.opType)) \(problem)")
    }

    func attribute(_ node: Onnx_NodeProto, _ name: String) -> Onnx_AttributeProto? {
        node.attribute.first { $0.name == name }
    }

    func ints(_ node: Onnx_NodeProto, _ name: String) -> [Int]? {
        attribute(node, name).map { $0.ints.map(Int.init) }
    }

    func int(_ node: Onnx_NodeProto, _ name: String, default value: Int) -> Int {
        attribute(node, name).map { Int($0.i) } ?? value
    }

    /// The Keras layer a node belongs to, from its name `…/<layer>/<op>` (tf2onnx, NeatMSKit).
    func scope(_ node: Onnx_NodeProto) -> String? {
        let parts = node.name.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count >= 2 ? String(parts[parts.count - 2]) : nil
    }

    /// A unique layer name: the node's scope, else Keras's default for the class (`conv2d`, `conv2d_1`, …).
    mutating func newLayerName(_ node: Onnx_NodeProto, default base: String) -> String {
        var name = scope(node).flatMap { $0.isEmpty ? nil : $0 } ?? base
        if usedNames.contains(name) {
            var k = 1
            while usedNames.contains("\(name)_\(k)") { k += 1 }
            name = "\(name)_\(k)"
        }
        usedNames.insert(name)
        return name
    }

    mutating func append(_ name: String, _ kind: LayerKind, _ layerWeights: [Tensor]) throws {
        let spec = LayerSpec(name: name, kind: kind)
        do { shape = try spec.outputShape(for: shape) } catch let error as ArchitectureError {
            throw KerasFormatError(error.description)
        }
        layers.append(spec)
        weights.append(layerWeights)
        openLayer = nil
        openForBias = false
    }

    mutating func transpose(_ node: Onnx_NodeProto) throws {
        let perm = ints(node, "perm") ?? Array((0...shape.count).reversed())
        if shape.count == 1 {
            guard perm == [0, 1] else { throw nodeError(node, "transposes the batch axis (perm \(perm))") }
            return
        }
        guard perm.count == 4, perm[0] == 0, perm.sorted() == [0, 1, 2, 3] else {
            throw nodeError(node, "perm \(perm) is not supported (the batch axis must stay first)")
        }
        axes = perm.dropFirst().map { axes[$0 - 1] }
    }

    mutating func reshape(_ node: Onnx_NodeProto) throws {
        var target: [Int]
        if node.opType == "Flatten" {
            guard int(node, "axis", default: 1) == 1 else { throw nodeError(node, "only axis 1 is supported") }
            target = [-1, shape.reduce(1, *)]
        } else {
            guard node.input.count >= 2, let t = constants[node.input[1]] else {
                throw nodeError(node, "needs a constant shape")
            }
            target = try int64s(t, what: "the shape of node '\(node.name)'").map(Int.init)
            guard int(node, "allowzero", default: 0) == 0 || !target.contains(0) else {
                throw nodeError(node, "allowzero with a 0 in the shape is not supported")
            }
        }
        let physical = shape.count == 3 ? axes.map { shape[$0] } : shape
        // Dimension 0 is the batch: -1, 0 (copy) or any fixed size.
        let rest = Array(target.dropFirst()).enumerated().map { i, v in v == 0 && i < physical.count ? physical[i] : v }
        let count = shape.reduce(1, *)
        if rest.count == 1, rest[0] == count || rest[0] == -1 {
            if shape.count == 1 { return }
            // A Keras Flatten; in another order than Keras's, the next Dense kernel's rows are reordered.
            flattenOrder = Layout.flattenOrder(shape: shape, axes: axes)
            try append(newLayerName(node, default: "flatten"), .flatten, [])
            return
        }
        if shape.count == 3, rest.count == 3 {
            // A transpose that only moves axes of size 1 (tf2onnx's NHWC → NCHW for one channel).
            let nonOne = axes.filter { shape[$0] != 1 }
            for candidate in [Layout.channelsFirst, Layout.channelsLast]
            where candidate.map({ shape[$0] }) == rest && candidate.filter({ shape[$0] != 1 }) == nonOne {
                axes = candidate
                return
            }
            if rest == physical { return }
        }
        throw nodeError(node, "reshapes \(physical) to \(rest): only Flatten and layout changes are supported")
    }

    /// Keras's padding for ONNX `pads` / `auto_pad`, or an error when Keras cannot express them.
    func kerasPadding(_ node: Onnx_NodeProto, window: [Int], strides: [Int]) throws -> Padding {
        // From the file: checked before any arithmetic (a zero stride divided by zero; found by Scripts/fuzz).
        let limit = 1 << 20
        guard window.count == 2, window.allSatisfy({ (1...limit).contains($0) }) else {
            throw nodeError(node, "has kernel_shape \(window): expected two sizes from 1 to \(limit)")
        }
        guard strides.count == 2, strides.allSatisfy({ (1...limit).contains($0) }) else {
            throw nodeError(node, "has strides \(strides): expected two strides from 1 to \(limit)")
        }
        let size = [shape[0], shape[1]]
        let same = ONNXFile.padding(.same, size: size, window: window, strides: strides).map(Int.init)
        let autoPad = attribute(node, "auto_pad").map { String(decoding: $0.s, as: UTF8.self) } ?? "NOTSET"
        switch autoPad {
        case "VALID": return .valid
        case "SAME_UPPER": return .same
        case "SAME_LOWER":
            if same[0] == same[2], same[1] == same[3] { return .same }
            throw nodeError(node, "auto_pad SAME_LOWER pads differently from Keras's 'same' here")
        case "NOTSET", "":
            let pads = ints(node, "pads") ?? [0, 0, 0, 0]
            if pads == [0, 0, 0, 0] { return .valid }
            if pads == same { return .same }
            throw nodeError(node, "pads \(pads) are neither Keras's 'valid' nor its 'same' \(same)")
        default:
            throw nodeError(node, "auto_pad \(autoPad) is not supported")
        }
    }

    func requireChannelsFirst(_ node: Onnx_NodeProto) throws {
        guard shape.count == 3 else { throw nodeError(node, "needs a 4-D input, got a flat one") }
        guard axes == Layout.channelsFirst else {
            throw nodeError(node, "runs on a value that is not (N, C, H, W) in Keras's terms")
        }
    }

    mutating func conv(_ node: Onnx_NodeProto) throws {
        try requireChannelsFirst(node)
        guard let weight = constants[node.input[1]] else { throw nodeError(node, "needs constant weights") }
        let w = try floats(weight, what: "the weights of node '\(node.name)'")
        guard w.rank == 4, w.shape[1] == shape[2] else {
            throw nodeError(node, "weights of shape \(w.shape) do not fit \(shape[2]) input channels")
        }
        guard int(node, "group", default: 1) == 1 else {
            throw nodeError(node, "group \(int(node, "group", default: 1)) is not supported (only 1)")
        }
        guard (ints(node, "dilations") ?? [1, 1]).allSatisfy({ $0 == 1 }) else {
            throw nodeError(node, "dilations \(ints(node, "dilations")!) are not supported (only 1)")
        }
        let kernelSize = ints(node, "kernel_shape") ?? [w.shape[2], w.shape[3]]
        guard kernelSize == [w.shape[2], w.shape[3]] else {
            throw nodeError(node, "kernel_shape does not match its weights")
        }
        let strides = ints(node, "strides") ?? [1, 1]
        guard strides.count == 2 else { throw nodeError(node, "is not a 2-D convolution") }
        let padding = try kerasPadding(node, window: kernelSize, strides: strides)
        var layerWeights = [Layout.kerasConvKernel(w)]
        var useBias = false
        if node.input.count > 2, !node.input[2].isEmpty {
            guard let b = constants[node.input[2]] else { throw nodeError(node, "needs a constant bias") }
            let bias = try floats(b, what: "the bias of node '\(node.name)'")
            guard bias.count == w.shape[0] else {
                throw nodeError(node, "bias of shape \(bias.shape) does not fit \(w.shape[0]) filters")
            }
            layerWeights.append(Tensor(shape: [bias.count], scalars: bias.scalars))
            useBias = true
        }
        let options = Conv2DOptions(
            filters: w.shape[0], kernelSize: kernelSize, strides: strides, padding: padding, useBias: useBias)
        try append(newLayerName(node, default: "conv2d"), .conv2D(options), layerWeights)
        axes = Layout.channelsFirst
        openLayer = layers.count - 1
        openForBias = !useBias
    }

    mutating func maxPool(_ node: Onnx_NodeProto) throws {
        try requireChannelsFirst(node)
        guard let window = ints(node, "kernel_shape"), window.count == 2 else {
            throw nodeError(node, "needs a 2-D kernel_shape")
        }
        guard int(node, "ceil_mode", default: 0) == 0 else { throw nodeError(node, "ceil_mode 1 is not supported") }
        guard (ints(node, "dilations") ?? [1, 1]).allSatisfy({ $0 == 1 }) else {
            throw nodeError(node, "dilations are not supported")
        }
        guard node.output.count == 1 || node.output[1].isEmpty else {
            throw nodeError(node, "the Indices output is not supported")
        }
        let strides = ints(node, "strides") ?? [1, 1]
        let padding = try kerasPadding(node, window: window, strides: strides)
        try append(
            newLayerName(node, default: "max_pooling2d"),
            .maxPooling2D(Pool2DOptions(poolSize: window, strides: strides, padding: padding)), [])
        axes = Layout.channelsFirst
    }

    mutating func dense(_ node: Onnx_NodeProto) throws {
        guard shape.count == 1 else {
            throw nodeError(node, "on a \(shape.count + 1)-D value is not supported (only after a Flatten)")
        }
        guard node.input.count >= 2, let b = constants[node.input[1]] else {
            throw nodeError(node, "needs a constant weight matrix")
        }
        var kernel = try floats(b, what: "the weights of node '\(node.name)'")
        var bias: Tensor?
        if node.opType == "Gemm" {
            guard int(node, "transA", default: 0) == 0 else { throw nodeError(node, "transA is not supported") }
            let alpha = attribute(node, "alpha")?.f ?? 1
            let beta = attribute(node, "beta")?.f ?? 1
            guard alpha == 1, beta == 1 else {
                throw nodeError(node, "alpha \(alpha) / beta \(beta) are not supported (only 1)")
            }
            if kernel.rank == 2, int(node, "transB", default: 0) == 1 { kernel = Layout.transposed(kernel) }
            if node.input.count > 2, !node.input[2].isEmpty {
                guard let c = constants[node.input[2]] else { throw nodeError(node, "needs a constant bias") }
                bias = try floats(c, what: "the bias of node '\(node.name)'")
            }
        }
        guard kernel.rank == 2, kernel.shape[0] == shape[0] else {
            throw nodeError(node, "weights of shape \(kernel.shape) do not fit \(shape[0]) inputs")
        }
        if let order = flattenOrder {
            kernel = Layout.kerasRows(kernel, order: order)
            flattenOrder = nil
        }
        var layerWeights = [kernel]
        if let bias {
            guard bias.count == kernel.shape[1], bias.rank == 1 || (bias.rank == 2 && bias.shape[0] == 1) else {
                throw nodeError(node, "bias of shape \(bias.shape) does not fit \(kernel.shape[1]) units")
            }
            layerWeights.append(Tensor(shape: [bias.count], scalars: bias.scalars))
        }
        try append(
            newLayerName(node, default: "dense"), .dense(DenseOptions(units: kernel.shape[1], useBias: bias != nil)),
            layerWeights)
        openLayer = layers.count - 1
        openForBias = bias == nil
    }

    /// An `Add` of a constant: the bias of the Conv or Dense just before it (converters that do not fuse it).
    mutating func bias(_ node: Onnx_NodeProto) throws {
        let notBias = nodeError(node, "is supported only as the bias of the Conv, Gemm or MatMul just before it")
        guard let index = openLayer, openForBias, let name = node.input.first(where: { constants[$0] != nil }),
            let tensor = constants[name]
        else { throw notBias }
        let b = try floats(tensor, what: "the bias of node '\(node.name)'")
        switch layers[index].kind {
        case .dense(var o):
            guard b.count == o.units, b.shape.dropLast().allSatisfy({ $0 == 1 }) else { throw notBias }
            o.useBias = true
            layers[index].kind = .dense(o)
        case .conv2D(var o):
            // Broadcast along the channel axis only, in the value's physical layout.
            let physical = [1] + axes.map { shape[$0] }
            let aligned = [Int](repeating: 1, count: max(0, 4 - b.rank)) + b.shape
            let channelAxis = 1 + axes.firstIndex(of: 2)!
            guard aligned.count == 4, b.count == o.filters,
                aligned.enumerated().allSatisfy({
                    $0.offset == channelAxis ? $0.element == physical[channelAxis] : $0.element == 1
                })
            else { throw notBias }
            o.useBias = true
            layers[index].kind = .conv2D(o)
        default:
            throw notBias
        }
        weights[index].append(Tensor(shape: [b.count], scalars: b.scalars))
        openForBias = false
    }

    mutating func activation(_ node: Onnx_NodeProto) throws {
        let activation: Activation
        switch node.opType {
        case "Relu": activation = .relu
        case "Sigmoid": activation = .sigmoid
        case "Tanh": activation = .tanh
        default:
            activation = .softmax
            let rank = shape.count + 1
            var axis = int(node, "axis", default: opset >= 13 ? -1 : 1)
            if axis < 0 { axis += rank }
            if shape.count == 1 {
                guard axis == 1 else { throw nodeError(node, "axis \(axis) is not supported") }
            } else {
                guard opset >= 13, axis >= 1, axis <= 3, axes[axis - 1] == 2 else {
                    throw nodeError(node, "is not over the channel axis as Keras's softmax is")
                }
            }
        }
        if let index = openLayer, scope(node) == nil || scope(node) == layers[index].name {
            switch layers[index].kind {
            case .conv2D(var o) where o.activation == .linear:
                o.activation = activation
                layers[index].kind = .conv2D(o)
                openLayer = nil
                return
            case .dense(var o) where o.activation == .linear:
                o.activation = activation
                layers[index].kind = .dense(o)
                openLayer = nil
                return
            default:
                break
            }
        }
        try append(newLayerName(node, default: "activation"), .activation(activation), [])
    }

    mutating func dropout(_ node: Onnx_NodeProto) throws {
        guard
            node.output.count == 1 || node.output[1].isEmpty
                || !graph.node.contains(where: { $0.input.contains(node.output[1]) })
        else {
            throw nodeError(node, "the mask output is not supported")
        }
        if node.input.count > 2, !node.input[2].isEmpty {
            guard let t = constants[node.input[2]], (try? int64s(t, what: ""))?.allSatisfy({ $0 == 0 }) ?? false else {
                throw nodeError(node, "training_mode must be a constant false")
            }
        }
        var rate: Float = attribute(node, "ratio")?.f ?? 0.5
        if node.input.count > 1, !node.input[1].isEmpty {
            guard let t = constants[node.input[1]] else { throw nodeError(node, "needs a constant ratio") }
            rate = try floats(t, what: "the ratio of node '\(node.name)'").scalars.first ?? 0.5
        }
        try append(newLayerName(node, default: "dropout"), .dropout(rate: rate), [])
    }

    // MARK: Tensors

    /// A float32 tensor's values (raw little-endian data or `float_data`).
    func floats(_ t: Onnx_TensorProto, what: String) throws -> Tensor {
        try checkLocal(t, what: what)
        guard t.dataType == Int32(Onnx_TensorProto.DataType.float.rawValue) else {
            throw KerasFormatError("\(what) has data type \(t.dataType), not float32")
        }
        let shape = t.dims.map(Int.init)
        guard shape.allSatisfy({ $0 >= 0 }) else { throw KerasFormatError("\(what) has negative dimensions \(shape)") }
        let count = shape.reduce(1, *)
        let values: [Float]
        if t.hasRawData {
            guard t.rawData.count == count * 4 else {
                throw KerasFormatError("\(what) has \(t.rawData.count) bytes of data for shape \(shape)")
            }
            values = floatsFromLittleEndian(t.rawData)
        } else {
            guard t.floatData.count == count else {
                throw KerasFormatError("\(what) has \(t.floatData.count) values for shape \(shape)")
            }
            values = t.floatData
        }
        return Tensor(shape: shape, scalars: values)
    }

    /// An int64 (or int32) tensor's values.
    func int64s(_ t: Onnx_TensorProto, what: String) throws -> [Int64] {
        try checkLocal(t, what: what)
        let count = t.dims.reduce(1, *)
        switch t.dataType {
        case Int32(Onnx_TensorProto.DataType.int64.rawValue):
            if t.hasRawData {
                guard t.rawData.count == Int(count) * 8 else {
                    throw KerasFormatError("\(what) has the wrong data size")
                }
                return t.rawData.withUnsafeBytes { raw in
                    (0..<Int(count)).map {
                        Int64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self))
                    }
                }
            }
            guard t.int64Data.count == count else { throw KerasFormatError("\(what) has the wrong number of values") }
            return t.int64Data
        case Int32(Onnx_TensorProto.DataType.int32.rawValue):
            if t.hasRawData {
                guard t.rawData.count == Int(count) * 4 else {
                    throw KerasFormatError("\(what) has the wrong data size")
                }
                return t.rawData.withUnsafeBytes { raw in
                    (0..<Int(count)).map {
                        Int64(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)))
                    }
                }
            }
            guard t.int32Data.count == count else { throw KerasFormatError("\(what) has the wrong number of values") }
            return t.int32Data.map(Int64.init)
        default:
            throw KerasFormatError("\(what) has data type \(t.dataType), not int64")
        }
    }

    func checkLocal(_ t: Onnx_TensorProto, what: String) throws {
        if t.dataLocation == .external || !t.externalData.isEmpty {
            throw KerasFormatError("\(what) is stored in an external data file, which NeatMSKit does not read")
        }
    }
}
