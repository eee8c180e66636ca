import Foundation
import KerasFormat
import ONNXProto

/// What an ONNX file holds, for `inspect`: header, opsets, graph inputs and outputs, initializers, nodes.
public struct ONNXFileInfo: Sendable, Equatable {
    /// A graph input or output: name, element type and dimensions (a number, a symbolic name, or `?`).
    public struct Value: Sendable, Equatable {
        public var name: String
        public var elementType: String
        public var dimensions: [String]
    }

    /// An initializer (constant tensor): name, element type, shape and size of its data in bytes.
    public struct Initializer: Sendable, Equatable {
        public var name: String
        public var elementType: String
        public var shape: [Int]
        public var bytes: Int
    }

    public var irVersion: Int
    /// `(domain, version)` of every opset the model imports (`""` is the default ai.onnx domain).
    public var opsets: [(domain: String, version: Int)]
    public var producer: String
    public var graphName: String
    public var inputs: [Value]
    public var outputs: [Value]
    public var initializers: [Initializer]
    /// `(name, op_type)` of every node in order (op_type prefixed with its domain when not the default one).
    public var nodes: [(name: String, op: String)]
    /// `metadata_props` keys and values in file order.
    public var metadata: [(key: String, value: String)]

    public static func == (a: ONNXFileInfo, b: ONNXFileInfo) -> Bool {
        a.irVersion == b.irVersion && a.opsets.elementsEqual(b.opsets, by: ==) && a.producer == b.producer
            && a.graphName == b.graphName && a.inputs == b.inputs && a.outputs == b.outputs
            && a.initializers == b.initializers && a.nodes.elementsEqual(b.nodes, by: ==)
            && a.metadata.elementsEqual(b.metadata, by: ==)
    }
}

extension ONNXFile {
    /// Reads an ONNX file's structure without mapping it onto Keras layers (works for any ONNX model).
    /// - Throws: `KerasFormatError` naming the file when it is not an ONNX model.
    public static func info(_ url: URL) throws -> ONNXFileInfo {
        try KerasFormatError.attributed(to: url) {
            let proto = try proto(from: readFile(url))
            guard proto.hasGraph else { throw KerasFormatError("no graph: not an ONNX model") }
            return info(proto)
        }
    }

    /// The structure of a parsed ONNX model.
    public static func info(_ proto: Onnx_ModelProto) -> ONNXFileInfo {
        func value(_ v: Onnx_ValueInfoProto) -> ONNXFileInfo.Value {
            guard case .tensorType(let t)? = v.type.value else {
                return ONNXFileInfo.Value(name: v.name, elementType: "non-tensor", dimensions: [])
            }
            let dims = t.shape.dim.map { d -> String in
                switch d.value {
                case .dimValue(let n)?: return String(n)
                case .dimParam(let p)?: return p
                case nil: return "?"
                }
            }
            return ONNXFileInfo.Value(name: v.name, elementType: elementTypeName(t.elemType), dimensions: dims)
        }
        let graph = proto.graph
        return ONNXFileInfo(
            irVersion: Int(proto.irVersion),
            opsets: proto.opsetImport.map { ($0.domain, Int($0.version)) },
            producer: [proto.producerName, proto.producerVersion].filter { !$0.isEmpty }.joined(separator: " "),
            graphName: graph.name,
            inputs: graph.input.map(value), outputs: graph.output.map(value),
            initializers: graph.initializer.map { t in
                ONNXFileInfo.Initializer(
                    name: t.name, elementType: elementTypeName(t.dataType), shape: t.dims.map(Int.init),
                    bytes: t.hasRawData
                        ? t.rawData.count
                        : t.floatData.count * 4 + t.int64Data.count * 8
                            + t.int32Data.count * 4 + t.doubleData.count * 8 + t.uint64Data.count * 8)
            },
            nodes: graph.node.map {
                ($0.name, $0.domain.isEmpty || $0.domain == "ai.onnx" ? $0.opType : "\($0.domain).\($0.opType)")
            },
            metadata: proto.metadataProps.map { ($0.key, $0.value) })
    }

    /// ONNX's name of a `TensorProto.DataType` value (`float`, `int64`, …).
    static func elementTypeName(_ type: Int32) -> String {
        guard let t = Onnx_TensorProto.DataType(rawValue: Int(type)) else { return "type \(type)" }
        return "\(t)"
    }
}
