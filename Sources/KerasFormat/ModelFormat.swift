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

extension ModelFormat {
    /// What a file's first bytes say, where they say it unambiguously: the HDF5 signature (a Keras `.h5`
    /// of either kind, which the Keras reader tells apart), a ZIP local header (a `.keras` archive), or a
    /// safetensors header (an 8-byte little-endian length that fits the file, then `{`). nil for anything
    /// else, ONNX included: a protobuf has no signature. Reads at most 9 bytes; nil when unreadable.
    public static func recognised(byContent url: URL) -> ModelFormat? {
        guard let handle = FileHandle(forReadingAtPath: url.path) else { return nil }
        defer { try? handle.close() }
        let head = [UInt8]((try? handle.read(upToCount: 9)) ?? Data())
        if head.starts(with: [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]) { return .kerasH5 }
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return .keras }
        if head.count == 9, head[8] == UInt8(ascii: "{"),
            let size = try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int
        {
            let length = head[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            if length >= 2, length <= UInt64(size - 8) { return .safetensors }
        }
        return nil
    }

    /// The same file family: both Keras HDF5 kinds are one family (the content decides which it is).
    public func sharesContainer(with other: ModelFormat) -> Bool {
        func family(_ format: ModelFormat) -> Int {
            switch format {
            case .kerasH5, .kerasWeightsH5, .kerasWeights: return 0
            case .keras: return 1
            case .onnx: return 2
            case .safetensors: return 3
            }
        }
        return family(self) == family(other)
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
