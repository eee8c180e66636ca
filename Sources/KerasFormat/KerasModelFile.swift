import Foundation
import HDF5
import NeuralNet

/// One entry point for every Keras model file: detects the layout and reads or writes it.
public enum KerasModelFile {
    /// Reads a full model (legacy `.h5` of any generation, or a `.keras` archive).
    public static func read(_ url: URL) throws -> Model {
        try load(url).model
    }

    /// Reads a full model with its detected format and any warnings.
    /// - Throws: `KerasFormatError` naming the file, also when a weight is NaN or infinite.
    public static func load(_ url: URL) throws -> LoadedModel {
        let loaded: LoadedModel
        switch try sniff(url) {
        case .zip: loaded = try KerasArchive.read(url)
        case .hdf5: loaded = try LegacyH5.read(url)
        }
        try checkFinite(loaded.model, file: url.relativePath)
        return loaded
    }

    /// Refuses weights that are NaN or infinite (a diverged training, a corrupt file): such a network only
    /// ever predicts NaN, or hides the fault behind a ReLU.
    /// - Throws: `KerasFormatError` naming `file`, the layer, the weight and the value.
    public static func checkFinite(_ model: Model, file: String) throws {
        guard let bad = model.firstNonFiniteWeight() else { return }
        throw KerasFormatError(
            "layer '\(bad.layer)': \(bad.weight) holds \(bad.value) at flat index \(bad.index) (weights must be finite)",
            file: file)
    }

    /// Writes `model` atomically in `format`.
    /// - Throws: `KerasFormatError` for a format KerasFormat does not write (ONNX, safetensors: the
    ///   Interchange module's `ModelFile` writes every format).
    public static func write(_ model: Model, to url: URL, format: ModelLayout) throws {
        switch format.format {
        case .kerasH5: try LegacyH5.write(model, to: url, style: format.style ?? .tfKeras2)
        case .keras: try KerasArchive.write(model, to: url)
        case .kerasWeightsH5: try KerasWeightsFile.writeKeras2(model, to: url)
        case .kerasWeights: try KerasWeightsFile.writeKeras3(model, to: url)
        case .onnx, .safetensors:
            throw KerasFormatError("\(format.format) is not a Keras format", file: url.relativePath)
        }
    }

    enum Container { case hdf5, zip }

    /// Tells a ZIP (`.keras`) from anything else by its first bytes; non-ZIP files go to HDF5, whose
    /// open reports "not an HDF5 file" / "truncated" precisely. Missing or empty files are errors here.
    static func sniff(_ url: URL) throws -> Container {
        let path = url.relativePath
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw KerasFormatError("no such file", file: path)
        }
        guard !isDirectory.boolValue else { throw KerasFormatError("is a directory, not a model file", file: path) }
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw KerasFormatError("cannot open the file for reading", file: path)
        }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 4)) ?? Data()
        if head.isEmpty { throw KerasFormatError("empty file (0 bytes): not a Keras model file", file: path) }
        if head == Data([0x50, 0x4B, 0x03, 0x04]) { return .zip }
        return .hdf5
    }
}
