import FileSupport
import Foundation
import KerasFormat
import NeuralNet
import Tensor

/// How tensors in a safetensors file are named.
public enum SafetensorsNaming: String, Sendable, CaseIterable {
    /// `<layer>/<weight>`: `conv2d_1/kernel`, `conv2d_1/bias` (Keras 2's variable names without `:0`).
    case keras2
    /// Keras 3's weights paths: `layers/<snake_case class>[_N]/vars/<i>` (`layers/conv2d_1/vars/0`).
    case keras3
}

/// One tensor entry of a safetensors header.
public struct SafetensorsTensorInfo: Sendable, Equatable {
    public var name: String
    /// The header's dtype (`F32`, `F16`, `BF16`, …).
    public var dtype: String
    public var shape: [Int]
    /// Byte range in the data section (after the header).
    public var dataOffsets: Range<Int>
}

/// A safetensors file's header, validated against the file's size.
public struct SafetensorsHeader: Sendable, Equatable {
    /// `__metadata__` (string to string), empty when absent.
    public var metadata: [String: String]
    /// The tensors in data order.
    public var tensors: [SafetensorsTensorInfo]
    /// Where the data section starts in the file (8 + header length).
    public var dataStart: Int
}

/// A model read from a safetensors file.
public struct SafetensorsLoadedModel: Sendable {
    public var model: Model
    /// True when the architecture came from the file's Keras config, false when it was given.
    public var fromKerasConfig: Bool
    /// How the file names its tensors.
    public var naming: SafetensorsNaming
    public var header: SafetensorsHeader
    /// Notes for the user (e.g. a compile config that could not be read), one line each.
    public var warnings: [String]
}

/// safetensors files (https://github.com/huggingface/safetensors): an 8-byte little-endian header length, a JSON
/// header `{"__metadata__": {…}, "<name>": {"dtype", "shape", "data_offsets": [begin, end]}, …}`, then the raw
/// little-endian tensor data, row-major, each tensor's bytes exactly its range, the ranges covering the data.
///
/// NeatMSKit writes float32 weights named by `SafetensorsNaming` and the Keras model config (Keras 3 dialect) in
/// `__metadata__["keras_model_config"]` (the compile config in `"keras_compile_config"`), so a file reads back
/// into a full model; a file without the config reads into an architecture given separately.
public enum SafetensorsFile {
    public static let modelConfigKey = "keras_model_config"
    public static let compileConfigKey = "keras_compile_config"
    /// Headers larger than this are refused before they are read (the reference implementation's limit).
    public static let maximumHeaderSize = 100_000_000

    /// Bytes per element of each dtype safetensors defines; NeatMSKit reads F32 and widens F16 and BF16.
    static let dtypeSizes: [String: Int] = [
        "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
        "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8,
    ]
    static let readableDtypes: Set<String> = ["F32", "F16", "BF16"]

    // MARK: Writing

    /// Writes `model`'s weights atomically with its Keras config in the metadata.
    /// - Throws: `KerasFormatError` naming `url`.
    public static func write(_ model: Model, to url: URL, naming: SafetensorsNaming = .keras2) throws {
        try KerasFormatError.attributed(to: url) {
            try AtomicFile.write(try serialized(model, naming: naming), to: url)
        }
    }

    /// The file's bytes for `model`.
    public static func serialized(_ model: Model, naming: SafetensorsNaming = .keras2) throws -> Data {
        try model.checkWeightShapes()
        var metadata: [String: String] = [
            modelConfigKey: try ModelConfigWriter.modelConfig(model.architecture, style: .keras3).serialized()
        ]
        if let compile = model.compile {
            metadata[compileConfigKey] = try CompileConfigJSON.keras3CompileConfig(compile).serialized()
        }
        let named = try tensorNames(model.architecture, naming: naming)
        var entries: [(String, Tensor)] = []
        for (l, names) in named.enumerated() {
            for (w, name) in names.enumerated() { entries.append((name, model.weights[l][w])) }
        }
        return encode(entries, metadata: metadata)
    }

    /// A safetensors file of float32 `tensors` in the order given, with `metadata`.
    public static func encode(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String]) -> Data {
        var header: [String: JSONValue] = [:]
        if !metadata.isEmpty { header["__metadata__"] = .object(metadata.mapValues { .string($0) }) }
        var offset = 0
        for (name, tensor) in tensors {
            let size = tensor.count * 4
            header[name] = [
                "dtype": "F32", "shape": .array(tensor.shape.map { .int($0) }),
                "data_offsets": [.int(offset), .int(offset + size)],
            ]
            offset += size
        }
        var json = Data(JSONValue.object(header).serialized().utf8)
        // Pad the header with spaces so the data starts 8-byte aligned (as the reference writer does).
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - (8 + json.count) % 8) % 8))
        var data = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        for (_, tensor) in tensors { data.append(littleEndianBytes(tensor.scalars)) }
        return data
    }

    /// The tensor names of each layer's weights, in layer order (`[]` for weightless layers).
    public static func tensorNames(_ architecture: Architecture, naming: SafetensorsNaming) throws -> [[String]] {
        let shapes = try architecture.weightShapes()
        let paths = architecture.keras3LayerPaths
        return architecture.layers.enumerated().map { l, layer in
            shapes[l].indices.map { w in
                switch naming {
                case .keras2: return "\(layer.name)/\(w == 0 ? "kernel" : w == 1 ? "bias" : "weight_\(w)")"
                case .keras3: return "layers/\(paths[l])/vars/\(w)"
                }
            }
        }
    }

    // MARK: Reading

    /// Keras 3 naming when any tensor is named `layers/…/vars/…`, else Keras 2's.
    static func naming(of header: SafetensorsHeader) -> SafetensorsNaming {
        header.tensors.contains { $0.name.hasPrefix("layers/") && $0.name.contains("/vars/") } ? .keras3 : .keras2
    }

    /// Reads a full model (see `load`).
    public static func read(_ url: URL, architecture: Model? = nil) throws -> Model {
        try load(url, architecture: architecture).model
    }

    /// Reads a full model: the architecture from the file's Keras config, or from `architecture` when given (which
    /// then takes precedence; its weights are replaced). Tensors are matched by name in either naming.
    /// - Throws: `KerasFormatError` naming the file: a header problem, a file without a config and no
    ///   `architecture`, a missing, extra or misshapen tensor, a weight that is NaN or infinite.
    public static func load(_ url: URL, architecture: Model? = nil) throws -> SafetensorsLoadedModel {
        try KerasFormatError.attributed(to: url) {
            let (header, data) = try readValidated(url)
            var model: Model
            var warnings: [String] = []
            if let architecture {
                model = architecture
            } else {
                guard let json = header.metadata[modelConfigKey] else {
                    throw KerasFormatError(
                        "no Keras model config in __metadata__ (\"\(modelConfigKey)\"): give the architecture separately"
                    )
                }
                let arch = try ModelConfigReader.architecture(from: JSONValue.parse(json, what: modelConfigKey))
                model = try Model.zeroWeights(arch)
                if let compileJSON = header.metadata[compileConfigKey] {
                    do {
                        model.compile = try CompileConfigJSON.compileConfig(
                            from: JSONValue.parse(compileJSON, what: compileConfigKey))
                    } catch let error as KerasFormatError {
                        warnings.append("\(compileConfigKey) ignored: \(error.problem)")
                    }
                }
            }
            let naming = naming(of: header)
            model.weights = try assign(header, data: data, to: model.architecture, naming: naming)
            try KerasModelFile.checkFinite(model, file: url.relativePath)
            return SafetensorsLoadedModel(
                model: model, fromKerasConfig: architecture == nil, naming: naming, header: header, warnings: warnings)
        }
    }

    /// Reads and validates the header only (for `inspect`).
    public static func header(_ url: URL) throws -> SafetensorsHeader {
        try KerasFormatError.attributed(to: url) {
            let handle = try open(url)
            defer { try? handle.close() }
            return try readHeader(handle, fileSize: try fileSize(url))
        }
    }

    /// Every tensor of the file as float32 (F16/BF16 widened), by name, in data order.
    public static func tensors(_ url: URL) throws -> [(name: String, tensor: Tensor)] {
        try KerasFormatError.attributed(to: url) {
            let (header, data) = try readValidated(url)
            return try header.tensors.map { info in (info.name, try decode(info, data)) }
        }
    }

    static func readValidated(_ url: URL) throws -> (SafetensorsHeader, Data) {
        let handle = try open(url)
        defer { try? handle.close() }
        let size = try fileSize(url)
        let header = try readHeader(handle, fileSize: size)
        for info in header.tensors where !readableDtypes.contains(info.dtype) {
            throw KerasFormatError("tensor '\(info.name)' has dtype \(info.dtype); NeatMSKit reads F32, F16 and BF16")
        }
        let data = try handle.readToEnd() ?? Data()
        guard data.count == size - header.dataStart else {
            throw KerasFormatError("the file changed while it was read")
        }
        return (header, data)
    }

    static func open(_ url: URL) throws -> FileHandle {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw KerasFormatError("no such file")
        }
        guard !isDirectory.boolValue else { throw KerasFormatError("is a directory, not a safetensors file") }
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw KerasFormatError("cannot open the file for reading")
        }
        return handle
    }

    static func fileSize(_ url: URL) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        return (attributes[.size] as? NSNumber)?.intValue ?? 0
    }

    /// Reads the header and checks it against the file size before any tensor data is read: the length, JSON,
    /// every entry's dtype, shape and offsets (in bounds, sized as dtype × shape, no overlaps, no gaps, covering
    /// the data section exactly).
    static func readHeader(_ handle: FileHandle, fileSize: Int) throws -> SafetensorsHeader {
        guard fileSize >= 8 else {
            throw KerasFormatError("\(fileSize) bytes: too short for a safetensors file (8-byte header length)")
        }
        let lengthBytes = try handle.read(upToCount: 8) ?? Data()
        guard lengthBytes.count == 8 else { throw KerasFormatError("cannot read the header length") }
        let length = lengthBytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard length <= UInt64(fileSize - 8) else {
            throw KerasFormatError(
                "header length \(length) exceeds the file's \(fileSize - 8) bytes after the length field")
        }
        guard length <= UInt64(maximumHeaderSize) else {
            throw KerasFormatError("header length \(length) exceeds the limit of \(maximumHeaderSize) bytes")
        }
        guard length >= 2 else { throw KerasFormatError("header length \(length) is too small for a JSON object") }
        let json = try handle.read(upToCount: Int(length)) ?? Data()
        guard json.count == Int(length) else { throw KerasFormatError("cannot read the \(length)-byte header") }
        guard json.first == UInt8(ascii: "{") else {
            throw KerasFormatError("the header does not start with '{': not a safetensors file")
        }
        let root: JSONValue
        do { root = try JSONValue.parse(json, what: "safetensors header") } catch {
            throw KerasFormatError("the header is not valid JSON: not a safetensors file")
        }
        guard let object = root.objectValue else { throw KerasFormatError("the header is not a JSON object") }
        let dataSize = fileSize - 8 - Int(length)
        var metadata: [String: String] = [:]
        var tensors: [SafetensorsTensorInfo] = []
        for (name, entry) in object {
            if name == "__metadata__" {
                guard let meta = entry.objectValue else { throw KerasFormatError("__metadata__ is not an object") }
                for (key, value) in meta {
                    guard let text = value.stringValue else {
                        throw KerasFormatError("__metadata__ value of '\(key)' is not a string")
                    }
                    metadata[key] = text
                }
                continue
            }
            guard let dtype = entry["dtype"]?.stringValue else {
                throw KerasFormatError("tensor '\(name)' has no dtype")
            }
            guard let elementSize = dtypeSizes[dtype] else {
                throw KerasFormatError("tensor '\(name)' has unknown dtype '\(dtype)'")
            }
            guard let shapeValues = entry["shape"]?.arrayValue else {
                throw KerasFormatError("tensor '\(name)' has no shape")
            }
            let shape = shapeValues.compactMap(\.intValue)
            guard shape.count == shapeValues.count, shape.allSatisfy({ $0 >= 0 }) else {
                throw KerasFormatError(
                    "tensor '\(name)' has an invalid shape \(JSONValue.array(shapeValues).serialized())")
            }
            guard let offsets = entry["data_offsets"]?.arrayValue?.compactMap(\.intValue), offsets.count == 2 else {
                throw KerasFormatError("tensor '\(name)' has no valid data_offsets")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end else {
                throw KerasFormatError("tensor '\(name)' has data_offsets [\(begin), \(end)] (begin after end)")
            }
            guard end <= dataSize else {
                throw KerasFormatError(
                    "tensor '\(name)' has data_offsets [\(begin), \(end)] beyond the \(dataSize)-byte data section")
            }
            let (count, overflow) = shape.reduce((1, false)) { acc, d in
                let (product, o) = acc.0.multipliedReportingOverflow(by: d)
                return (product, acc.1 || o)
            }
            guard !overflow, count.multipliedReportingOverflow(by: elementSize).overflow == false,
                count * elementSize == end - begin
            else {
                throw KerasFormatError(
                    "tensor '\(name)' of shape \(shape) and dtype \(dtype) needs \(overflow ? "too many" : String(count * elementSize)) bytes but data_offsets [\(begin), \(end)] hold \(end - begin)"
                )
            }
            tensors.append(SafetensorsTensorInfo(name: name, dtype: dtype, shape: shape, dataOffsets: begin..<end))
        }
        tensors.sort {
            ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound) < (
                $1.dataOffsets.lowerBound, $1.dataOffsets.upperBound
            )
        }
        var position = 0
        for info in tensors {
            if info.dataOffsets.lowerBound < position {
                throw KerasFormatError(
                    "tensor '\(info.name)' has data_offsets [\(info.dataOffsets.lowerBound), \(info.dataOffsets.upperBound)] overlapping the tensor before it (which ends at \(position))"
                )
            }
            if info.dataOffsets.lowerBound > position {
                throw KerasFormatError(
                    "bytes \(position)..<\(info.dataOffsets.lowerBound) of the data section belong to no tensor (before '\(info.name)')"
                )
            }
            position = info.dataOffsets.upperBound
        }
        guard position == dataSize else {
            throw KerasFormatError("the tensors cover \(position) bytes but the data section has \(dataSize)")
        }
        return SafetensorsHeader(metadata: metadata, tensors: tensors, dataStart: 8 + Int(length))
    }

    /// A tensor's values as float32.
    static func decode(_ info: SafetensorsTensorInfo, _ data: Data) throws -> Tensor {
        let bytes = data.subdata(in: info.dataOffsets)
        let count = info.shape.reduce(1, *)
        let values: [Float]
        switch info.dtype {
        case "F32":
            values = floatsFromLittleEndian(bytes)
        case "F16":
            values = bytes.withUnsafeBytes { raw in
                (0..<count).map {
                    halfToFloat(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)))
                }
            }
        case "BF16":
            values = bytes.withUnsafeBytes { raw in
                (0..<count).map {
                    Float(
                        bitPattern: UInt32(
                            UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self))) << 16)
                }
            }
        default:
            throw KerasFormatError("tensor '\(info.name)' has dtype \(info.dtype); NeatMSKit reads F32, F16 and BF16")
        }
        return Tensor(shape: info.shape, scalars: values)
    }

    /// The architecture's weights from the file's tensors, matched by name (Keras 2 or Keras 3 naming, whichever
    /// the file uses); every weight must be present with its shape, and every tensor must be used.
    static func assign(
        _ header: SafetensorsHeader, data: Data, to architecture: Architecture, naming: SafetensorsNaming
    ) throws -> [[Tensor]] {
        let byName = Dictionary(header.tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let shapes = try architecture.weightShapes()
        let names = try tensorNames(architecture, naming: naming)
        var weights: [[Tensor]] = []
        var used = Set<String>()
        for (l, layerNames) in names.enumerated() {
            var layerWeights: [Tensor] = []
            for (w, name) in layerNames.enumerated() {
                guard let info = byName[name] else {
                    throw KerasFormatError(
                        "no tensor '\(name)' for layer '\(architecture.layers[l].name)' (\(naming.rawValue) naming)")
                }
                guard info.shape == shapes[l][w] else {
                    throw KerasFormatError(
                        "tensor '\(name)' has shape \(info.shape) but layer '\(architecture.layers[l].name)' needs \(shapes[l][w])"
                    )
                }
                layerWeights.append(try decode(info, data))
                used.insert(name)
            }
            weights.append(layerWeights)
        }
        let extra = header.tensors.map(\.name).filter { !used.contains($0) }
        guard extra.isEmpty else {
            throw KerasFormatError(
                "tensor\(extra.count == 1 ? "" : "s") \(extra.map { "'\($0)'" }.joined(separator: ", ")) match no weight of the model"
            )
        }
        return weights
    }
}

/// An IEEE 754 binary16 value widened to float32 exactly (no `Float16`: it is missing on x86-64 macOS).
func halfToFloat(_ bits: UInt16) -> Float {
    let sign = UInt32(bits & 0x8000) << 16
    let exponent = Int(bits >> 10) & 0x1F
    let mantissa = UInt32(bits & 0x3FF)
    switch exponent {
    case 0:
        // Zero or subnormal: mantissa · 2^-24.
        let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
        return sign == 0 ? magnitude : -magnitude
    case 0x1F:
        return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    default:
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
    }
}
