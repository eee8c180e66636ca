import Foundation

/// A model file format NeatMSKit reads or writes, named as `neatms convert --to` names it, and the one
/// place that tells a format from a file name. The Keras formats are read and written here (KerasFormat);
/// ONNX and safetensors by the Interchange module, whose `ModelFile` reads and writes every format.
public enum ModelFormat: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Keras 2 legacy full-model `.h5` (`model.save("x.h5")`), in any generation's dialect.
    case kerasH5 = "keras-h5"
    /// Keras 3 `.keras` archive.
    case keras
    /// Keras 2 `save_weights` `.h5` (weights only, layer groups at the root).
    case kerasWeightsH5 = "keras-weights-h5"
    /// Keras 3 `.weights.h5` (weights and optimizer variables, no architecture).
    case kerasWeights = "keras-weights"
    /// ONNX (`.onnx`): the graph and its weights.
    case onnx
    /// safetensors (`.safetensors`): the weights, and the Keras model config in its metadata when
    /// NeatMSKit writes it.
    case safetensors

    public var description: String { rawValue }

    /// Whether a file of this format holds the architecture (else it needs one from another file).
    public var holdsArchitecture: Bool { self != .kerasWeightsH5 && self != .kerasWeights }

    /// Whether KerasFormat itself reads and writes the format.
    public var isKeras: Bool { self != .onnx && self != .safetensors }

    /// The format a file name implies, or nil when its extension implies none: `.keras` → archive,
    /// `.weights.h5` → Keras 3 weights, `.h5`/`.hdf5` → full-model `.h5`, `.onnx`, `.safetensors`.
    public static func implied(byName url: URL) -> ModelFormat? {
        let name = url.lastPathComponent.lowercased()
        if name.hasSuffix(".onnx") { return .onnx }
        if name.hasSuffix(".safetensors") { return .safetensors }
        if name.hasSuffix(".keras") { return .keras }
        if name.hasSuffix(".weights.h5") { return .kerasWeights }
        if name.hasSuffix(".h5") || name.hasSuffix(".hdf5") { return .kerasH5 }
        return nil
    }
}

/// A model file's format together with the Keras dialect of its config (for formats that hold one):
/// what a reader found in a file, and what a writer writes.
public struct ModelLayout: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var format: ModelFormat
    /// The config's dialect, for formats that hold the architecture.
    /// The config's dialect, for formats that hold the architecture; for safetensors, the tensor names
    /// (`.tfKeras2`: `<layer>/<weight>`, `.keras3`: Keras 3's `layers/<class>/vars/<i>`).
    public var style: KerasConfigStyle?

    public init(_ format: ModelFormat, style: KerasConfigStyle? = nil) {
        self.format = format
        switch format {
        case .kerasH5, .safetensors: self.style = style ?? .tfKeras2
        case .keras, .onnx: self.style = .keras3
        case .kerasWeightsH5, .kerasWeights: self.style = nil
        }
    }

    /// Keras 2.2/2.3-era full-model `.h5` (class `Model`, `lr`; NeatMS's bundled model).
    public static let keras22H5 = ModelLayout(.kerasH5, style: .keras22)
    /// tf.keras / tf-keras 2.x full-model `.h5` (class `Functional`).
    public static let tfKerasH5 = ModelLayout(.kerasH5, style: .tfKeras2)
    /// Keras 3's legacy full-model `.h5`.
    public static let keras3LegacyH5 = ModelLayout(.kerasH5, style: .keras3)
    /// Keras 3 `.keras` archive.
    public static let kerasArchive = ModelLayout(.keras, style: .keras3)
    /// Keras 2 `save_weights` `.h5`.
    public static let keras2WeightsH5 = ModelLayout(.kerasWeightsH5)
    /// Keras 3 `.weights.h5`.
    public static let keras3WeightsH5 = ModelLayout(.kerasWeights)

    /// A full-model `.h5` in `style`'s dialect.
    public static func h5(_ style: KerasConfigStyle) -> ModelLayout { ModelLayout(.kerasH5, style: style) }

    /// What to write to `url`: `format`, else the format its name implies, in `style`'s dialect for a
    /// full-model `.h5` (default tf-keras 2) or `style`'s tensor names for safetensors.
    /// - Throws: `KerasFormatError` naming the file when neither `format` nor its name says a format: a
    ///   file is never written in one format under another's name.
    public static func forWriting(to url: URL, format: ModelFormat? = nil, style: KerasConfigStyle? = nil) throws
        -> ModelLayout
    {
        guard let chosen = format ?? ModelFormat.implied(byName: url) else {
            throw KerasFormatError(
                "the name says no model format: end it in .h5, .keras, .weights.h5, .onnx or .safetensors",
                file: url.relativePath)
        }
        return ModelLayout(chosen, style: style)
    }

    public var description: String {
        switch (format, style) {
        case (.kerasH5, .keras22?): return "Keras 2.2 full-model .h5"
        case (.kerasH5, .keras3?): return "Keras 3 legacy full-model .h5"
        case (.kerasH5, _): return "tf-keras 2 full-model .h5"
        case (.keras, _): return "Keras 3 .keras archive"
        case (.kerasWeightsH5, _): return "Keras 2 weights-only .h5"
        case (.kerasWeights, _): return "Keras 3 .weights.h5"
        case (.onnx, _): return "ONNX"
        case (.safetensors, .keras3?): return "safetensors, Keras 3 names"
        case (.safetensors, _): return "safetensors, Keras 2 names"
        }
    }
}
