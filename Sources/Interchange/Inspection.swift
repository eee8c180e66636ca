import Foundation
import KerasFormat

/// `neatms inspect` for the formats of this module: an ONNX file's graph and a safetensors file's header, as
/// indented text and as JSON, in the manner of `FileInspector` (KerasFormat) for `.h5` and `.keras` files.
public enum InterchangeInspector {
    /// The structure of `url` when its name implies ONNX or safetensors, nil for any other name (a Keras file).
    /// - Throws: `KerasFormatError` naming the file when it is not a valid file of that format.
    public static func inspect(_ url: URL) throws -> InterchangeInspection? {
        switch ModelFormat.implied(byName: url) {
        case .onnx?: return .onnx(name: url.lastPathComponent, try ONNXFile.info(url))
        case .safetensors?: return .safetensors(name: url.lastPathComponent, try SafetensorsFile.header(url))
        default: return nil
        }
    }
}

/// What `InterchangeInspector` found: an ONNX graph or a safetensors header, with the file's name.
public enum InterchangeInspection: Sendable, Equatable {
    case onnx(name: String, ONNXFileInfo)
    case safetensors(name: String, SafetensorsHeader)

    /// One line per item: a header, then `inputs:`, `outputs:`, `initializers`, `nodes`, `metadata:` sections
    /// (ONNX) or `metadata:` and `tensors` (safetensors). Long metadata values are shortened.
    public func treeText() -> String {
        var lines: [String] = []
        switch self {
        case .onnx(let name, let info):
            lines.append(
                "\(name)  ONNX IR version \(info.irVersion)"
                    + (info.producer.isEmpty ? "" : ", producer \(info.producer)"))
            lines.append(
                "  opsets: " + info.opsets.map { "\(Self.domainName($0.domain)) \($0.version)" }.joined(separator: ", ")
            )
            lines.append("  graph: \(info.graphName)")
            lines.append("  inputs:")
            for v in info.inputs {
                lines.append("    \(v.name)  \(v.elementType) (\(v.dimensions.joined(separator: ", ")))")
            }
            lines.append("  outputs:")
            for v in info.outputs {
                lines.append("    \(v.name)  \(v.elementType) (\(v.dimensions.joined(separator: ", ")))")
            }
            let bytes = info.initializers.reduce(0) { $0 + $1.bytes }
            lines.append("  initializers: \(info.initializers.count), \(bytes) bytes")
            for t in info.initializers {
                lines.append(
                    "    \(t.name)  \(t.elementType) \(FileInspector.shapeDescription(t.shape))  \(t.bytes) bytes")
            }
            lines.append("  nodes: \(info.nodes.count)")
            for n in info.nodes { lines.append("    \(n.op)  \(n.name)") }
            if !info.metadata.isEmpty {
                lines.append("  metadata:")
                for m in info.metadata { lines.append("    \(m.key) = \(Self.short(m.value).serialized())") }
            }
        case .safetensors(let name, let header):
            let dataBytes = header.tensors.map(\.dataOffsets.upperBound).max() ?? 0
            lines.append(
                "\(name)  safetensors, header \(header.dataStart - 8) bytes, data \(dataBytes) bytes from offset \(header.dataStart)"
            )
            if !header.metadata.isEmpty {
                lines.append("  metadata:")
                for key in header.metadata.keys.sorted() {
                    lines.append("    \(key) = \(Self.short(header.metadata[key]!).serialized())")
                }
            }
            lines.append("  tensors: \(header.tensors.count)")
            for t in header.tensors {
                lines.append(
                    "    \(t.name)  \(t.dtype) \(FileInspector.shapeDescription(t.shape))  "
                        + "[\(t.dataOffsets.lowerBound), \(t.dataOffsets.upperBound))")
            }
        }
        return lines.map { $0 + "\n" }.joined()
    }

    /// The same as JSON (`--json`); names and fields follow each format's own (ONNX's `ir_version`,
    /// `opset_import`, `dims`; safetensors' `dtype`, `shape`, `data_offsets`). Long metadata values are shortened.
    public func jsonValue() -> JSONValue {
        func dims(_ shape: [Int]) -> JSONValue { .array(shape.map { .int($0) }) }
        switch self {
        case .onnx(let name, let info):
            func value(_ v: ONNXFileInfo.Value) -> JSONValue {
                .object([
                    "name": .string(v.name), "elem_type": .string(v.elementType),
                    "dims": .array(v.dimensions.map { Int($0).map(JSONValue.int) ?? .string($0) }),
                ])
            }
            return .object([
                "name": .string(name), "format": "onnx", "ir_version": .int(info.irVersion),
                "producer": .string(info.producer), "graph": .string(info.graphName),
                "opset_import": .array(
                    info.opsets.map { .object(["domain": .string($0.domain), "version": .int($0.version)]) }),
                "inputs": .array(info.inputs.map(value)), "outputs": .array(info.outputs.map(value)),
                "initializers": .array(
                    info.initializers.map {
                        .object([
                            "name": .string($0.name), "data_type": .string($0.elementType), "dims": dims($0.shape),
                            "bytes": .int($0.bytes),
                        ])
                    }),
                "nodes": .array(info.nodes.map { .object(["name": .string($0.name), "op_type": .string($0.op)]) }),
                "metadata": .array(
                    info.metadata.map { .object(["key": .string($0.key), "value": Self.short($0.value)]) }),
            ])
        case .safetensors(let name, let header):
            return .object([
                "name": .string(name), "format": "safetensors", "header_bytes": .int(header.dataStart - 8),
                "data_start": .int(header.dataStart),
                "metadata": .object(header.metadata.mapValues(Self.short)),
                "tensors": .array(
                    header.tensors.map {
                        .object([
                            "name": .string($0.name), "dtype": .string($0.dtype), "shape": dims($0.shape),
                            "data_offsets": .array([.int($0.dataOffsets.lowerBound), .int($0.dataOffsets.upperBound)]),
                        ])
                    }),
            ])
        }
    }

    private static func short(_ s: String) -> JSONValue { FileInspector.shortened(s) }
    private static func domainName(_ domain: String) -> String { domain.isEmpty ? "ai.onnx" : domain }
}
