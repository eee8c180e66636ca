import Foundation
import KerasFormat
import NeuralNet

/// Every model file format NeatMSKit reads and writes, behind one pair of functions: the Keras formats
/// through KerasFormat, ONNX and safetensors through this module. `ModelFormat.implied(byName:)` is the one
/// place that reads a format from a file name; a Keras file's layout is then told from its content.
public enum ModelFile {
    /// How ONNX and safetensors files are written (ignored for the Keras formats).
    public struct WriteOptions: Sendable, Equatable {
        public var onnx: ONNXExportOptions

        public init(onnx: ONNXExportOptions = ONNXExportOptions()) {
            self.onnx = onnx
        }
    }

    /// The format to read `url` as: `given` (checked against what the content says), else the content's
    /// signature (HDF5, ZIP, safetensors), else the name's extension (the only way to tell ONNX: a protobuf
    /// has no signature), else nil (the Keras reader then says what the file is not).
    /// - Throws: `KerasFormatError` when `given` contradicts the content.
    public static func format(of url: URL, given: ModelFormat? = nil) throws -> ModelFormat? {
        let content = ModelFormat.recognised(byContent: url)
        if let given {
            if let content, !given.sharesContainer(with: content) {
                throw KerasFormatError(
                    "given as \(given), but the file is \(content == .kerasH5 ? "an HDF5 file" : content == .keras ? "a ZIP archive" : "a safetensors file")",
                    file: url.relativePath)
            }
            return given
        }
        return content ?? ModelFormat.implied(byName: url)
    }

    /// Reads a whole model: a Keras full-model file (layout from its content), an `.onnx` file, or a
    /// `.safetensors` file (with the Keras config in its metadata, or the architecture of `architecture`).
    /// The format is `format(of:given:)`'s. The layout says what was read; for ONNX and safetensors `source`
    /// says more (opset and producer, tensor names).
    /// - Throws: `KerasFormatError` naming the file.
    public static func load(_ url: URL, format given: ModelFormat? = nil, architecture: Model? = nil) throws
        -> LoadedModel
    {
        switch try format(of: url, given: given) {
        case .onnx?:
            let loaded = try ONNXFile.load(url)
            return LoadedModel(
                model: loaded.model, format: ModelLayout(.onnx), warnings: loaded.warnings,
                source: "ONNX opset \(loaded.opset)" + (loaded.producer.isEmpty ? "" : " from \(loaded.producer)"))
        case .safetensors?:
            let loaded = try SafetensorsFile.load(url, architecture: architecture)
            let layout = ModelLayout(.safetensors, style: loaded.naming == .keras3 ? .keras3 : .tfKeras2)
            return LoadedModel(model: loaded.model, format: layout, warnings: loaded.warnings)
        case nil:
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
            let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
            if exists, !isDirectory.boolValue, size > 0 {
                throw KerasFormatError(
                    "not a model file NeatMSKit recognises: neither an HDF5, ZIP or safetensors file nor named .onnx "
                        + "(an ONNX file with another name needs --from onnx)", file: url.relativePath)
            }
            return try KerasModelFile.load(url)  // says what is missing: no such file, empty, a folder
        default:
            return try KerasModelFile.load(url)
        }
    }

    /// Writes `model` atomically in `layout`.
    public static func write(_ model: Model, to url: URL, layout: ModelLayout, options: WriteOptions = WriteOptions())
        throws
    {
        switch layout.format {
        case .onnx: try ONNXFile.write(model, to: url, options: options.onnx)
        case .safetensors:
            try SafetensorsFile.write(model, to: url, naming: layout.style == .keras3 ? .keras3 : .keras2)
        case .kerasH5, .keras, .kerasWeightsH5, .kerasWeights: try KerasModelFile.write(model, to: url, format: layout)
        }
    }

    /// Writes `model` atomically in the layout `url`'s name implies (`ModelLayout.forWriting`).
    /// - Throws: `KerasFormatError` when the name implies no format.
    public static func write(_ model: Model, to url: URL) throws {
        try write(model, to: url, layout: ModelLayout.forWriting(to: url))
    }
}
