import Foundation
import HDF5
import ZIPFoundation

/// One node of an inspected file: an HDF5 group or dataset, or a ZIP member of a `.keras` archive.
public struct InspectedNode: Sendable, Equatable {
    public enum Kind: String, Sendable { case file, group, dataset, member }
    public var kind: Kind
    public var name: String
    /// Datasets: element type (`float32`, `int64`, …) and shape (`[]` = scalar).
    public var elementType: String?
    public var shape: [Int]?
    /// ZIP members: size in bytes and compression (`stored`, `deflated`).
    public var size: Int?
    public var compression: String?
    /// JSON members: the (shortened) text.
    public var text: String?
    public var attributes: [InspectedAttribute]
    public var children: [InspectedNode]
}

/// An HDF5 attribute: its type (with string kind: fixed/vlen, ASCII/UTF-8), shape and shortened value.
public struct InspectedAttribute: Sendable, Equatable {
    public var name: String
    /// `string`, `float64`, `int64`, … (`unsupported:<type>` for types the HDF5 layer does not decode).
    public var elementType: String
    /// For strings: `vlen utf8`, `fixed(16) nullpad ascii`, ….
    public var stringKind: String?
    public var shape: [Int]
    /// The value, shortened: long strings (e.g. `model_config`) cut with their full length noted.
    public var value: JSONValue
}

/// Lists the structure of an `.h5` file or a `.keras` archive (whose `model.weights.h5` is listed too).
public enum FileInspector {
    /// Strings longer than this are shortened in the report.
    public static let maxStringLength = 120
    /// At most this many elements of an array attribute are shown.
    public static let maxArrayElements = 12

    public static func inspect(_ url: URL) throws -> InspectedNode {
        try attributing(url) {
            switch try KerasModelFile.sniff(url) {
            case .hdf5:
                let file = try HDF5File.open(url)
                defer { try? file.close() }
                var root = try node(file.root, name: "/")
                root = InspectedNode(
                    kind: .file, name: url.lastPathComponent, attributes: root.attributes, children: root.children)
                return root
            case .zip:
                return try inspectArchive(url)
            }
        }
    }

    private static func node(_ group: HDF5Group, name: String) throws -> InspectedNode {
        var children: [InspectedNode] = []
        for child in try group.children() {
            switch child.kind {
            case .group:
                children.append(try node(try group.group(child.name), name: child.name))
            case .dataset:
                let dataset = try group.dataset(child.name)
                children.append(
                    InspectedNode(
                        kind: .dataset, name: child.name, elementType: dataset.elementType.description,
                        shape: dataset.shape, attributes: try attributes(dataset), children: []))
            default:
                children.append(
                    InspectedNode(
                        kind: .dataset, name: child.name, elementType: child.kind.description, attributes: [],
                        children: []))
            }
        }
        return InspectedNode(kind: .group, name: name, attributes: try attributes(group), children: children)
    }

    private static func attributes(_ object: HDF5Object) throws -> [InspectedAttribute] {
        try object.attributeNames().compactMap { name in
            guard let value = try object.attribute(name) else { return nil }
            switch value {
            case .string(let s, let kind):
                return InspectedAttribute(
                    name: name, elementType: "string", stringKind: kind.description, shape: [], value: shortened(s))
            case .strings(let list, let kind):
                return InspectedAttribute(
                    name: name, elementType: "string", stringKind: kind.description, shape: [list.count],
                    value: .array(
                        list.prefix(maxArrayElements).map(shortened) + (list.count > maxArrayElements ? ["…"] : [])))
            case .float32s(let v, let shape):
                return numeric(name, "float32", shape, v.map { JSONValue.number($0) })
            case .float64s(let v, let shape):
                return numeric(name, "float64", shape, v.map { $0.isFinite ? JSONValue.double($0) : .null })
            case .int32s(let v, let shape):
                return numeric(name, "int32", shape, v.map { JSONValue.int(Int($0)) })
            case .int64s(let v, let shape):
                return numeric(name, "int64", shape, v.map { JSONValue.int(Int($0)) })
            case .uint8s(let v, let shape):
                return numeric(name, "uint8", shape, v.map { JSONValue.int(Int($0)) })
            case .unsupported(let type, let shape):
                return InspectedAttribute(name: name, elementType: "unsupported:\(type)", shape: shape, value: .null)
            }
        }
    }

    private static func numeric(_ name: String, _ type: String, _ shape: [Int], _ values: [JSONValue])
        -> InspectedAttribute
    {
        let value: JSONValue =
            shape.isEmpty
            ? (values.first ?? .null)
            : .array(Array(values.prefix(maxArrayElements)) + (values.count > maxArrayElements ? ["…"] : []))
        return InspectedAttribute(name: name, elementType: type, shape: shape, value: value)
    }

    /// Long text is cut, with its full length noted: `{"class_name": …… (4695 characters)`.
    public static func shortened(_ s: String) -> JSONValue {
        guard s.count > maxStringLength else { return .string(s) }
        return .string(String(s.prefix(maxStringLength)) + "… (\(s.count) characters)")
    }

    /// A shape as Keras prints it: `(5, 5, 1, 32)`, `(3,)`, `()` for a scalar.
    public static func shapeDescription(_ shape: [Int]) -> String { shapeText(shape) }

    private static func inspectArchive(_ url: URL) throws -> InspectedNode {
        let archive = try KerasArchive.open(url)
        var members: [InspectedNode] = []
        for entry in archive {
            var member = InspectedNode(
                kind: .member, name: entry.path, size: Int(entry.uncompressedSize),
                compression: entry.isCompressed ? "deflated" : "stored", attributes: [], children: [])
            if entry.path.hasSuffix(".json") {
                let data = try KerasArchive.member(archive, entry.path)
                member.text = shortened(String(decoding: data, as: UTF8.self)).stringValue
            } else if entry.path == "model.weights.h5" {
                let weights = try KerasArchive.withExtractedWeights(archive) { weightsURL in
                    let file = try HDF5File.open(weightsURL)
                    defer { try? file.close() }
                    return try node(file.root, name: "/")
                }
                member.attributes = weights.attributes
                member.children = weights.children
            }
            members.append(member)
        }
        return InspectedNode(kind: .file, name: url.lastPathComponent, attributes: [], children: members)
    }
}

extension InspectedNode {
    /// An indented tree, one object or attribute per line:
    /// `conv2d_1/` groups, `kernel:0  float32 (5, 5, 1, 32)` datasets,
    /// `@weight_names  string[fixed(17) nullpad ascii] (2,) = ["conv2d_1/kernel:0", …]` attributes.
    public func treeText() -> String {
        var lines: [String] = []
        render(into: &lines, depth: 0)
        return lines.map { $0 + "\n" }.joined()
    }

    private func render(into lines: inout [String], depth: Int) {
        let indent = String(repeating: "  ", count: depth)
        switch kind {
        case .file: lines.append(name)
        case .group: lines.append(indent + (name == "/" ? "/" : name + "/"))
        case .dataset:
            let shapeDescription = shape.map { $0.isEmpty ? "scalar" : shapeText($0) } ?? ""
            lines.append(indent + "\(name)  \(elementType ?? "?") \(shapeDescription)")
        case .member:
            lines.append(
                indent + "\(name)  [\(compression ?? "?"), \(size ?? 0) bytes]" + (text.map { "  \($0)" } ?? ""))
        }
        for attribute in attributes {
            let type = attribute.stringKind.map { "string[\($0)]" } ?? attribute.elementType
            let shapeDescription = attribute.shape.isEmpty ? "scalar" : shapeText(attribute.shape)
            lines.append(indent + "  @\(attribute.name)  \(type) \(shapeDescription) = \(attribute.value.serialized())")
        }
        for child in children { child.render(into: &lines, depth: depth + 1) }
    }

    /// The tree as JSON (`--json`).
    public func jsonValue() -> JSONValue {
        var o: [String: JSONValue] = ["kind": .string(kind.rawValue), "name": .string(name)]
        if let elementType { o["dtype"] = .string(elementType) }
        if let shape { o["shape"] = .array(shape.map { .int($0) }) }
        if let size { o["size"] = .int(size) }
        if let compression { o["compression"] = .string(compression) }
        if let text { o["text"] = .string(text) }
        if !attributes.isEmpty {
            o["attributes"] = .array(
                attributes.map { a in
                    var entry: [String: JSONValue] = [
                        "name": .string(a.name), "dtype": .string(a.elementType),
                        "shape": .array(a.shape.map { .int($0) }), "value": a.value,
                    ]
                    if let kind = a.stringKind { entry["string_kind"] = .string(kind) }
                    return .object(entry)
                })
        }
        if !children.isEmpty { o["children"] = .array(children.map { $0.jsonValue() }) }
        return .object(o)
    }
}
