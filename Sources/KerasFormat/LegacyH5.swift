import FileSupport
import Foundation
import HDF5
import NeuralNet

/// A model read from a file, with what the reader had to say about it.
public struct LoadedModel: Sendable {
    /// Architecture, weights, and (when the file has them) compile settings and optimizer state.
    public var model: Model
    /// Which layout the file had.
    public var format: ModelLayout
    /// Things that were read but not used (e.g. optimizer state that does not fit), one line each.
    public var warnings: [String]
    /// What was read, for people: the layout's description, or more where the layout says less (an ONNX
    /// file's opset and producer).
    public var source: String

    public init(model: Model, format: ModelLayout, warnings: [String], source: String? = nil) {
        self.model = model
        self.format = format
        self.warnings = warnings
        self.source = source ?? format.description
    }
}

/// Keras 2 legacy full-model `.h5` (`model.save("x.h5")`): Keras 2.2-era, tf.keras / tf-keras 2.x and
/// Keras 3's legacy writer.
public enum LegacyH5 {
    /// Reads architecture, weights, training config and optimizer state.
    public static func read(_ url: URL) throws -> LoadedModel {
        try attributing(url) {
            let file = try HDF5File.open(url)
            defer { try? file.close() }
            return try read(file)
        }
    }

    static func read(_ file: HDF5File) throws -> LoadedModel {
        let root = file.root
        guard let configText = try root.stringAttribute("model_config") else {
            if try LegacyWeights.hasLayerNames(root) {
                throw KerasFormatError(
                    "no model_config: this is a weights-only file (save_weights); load it into a model instead")
            }
            if root.contains("layers") || root.contains("vars") {
                throw KerasFormatError(
                    "no model_config: this is a Keras 3 weights file (.weights.h5); load it into a model instead")
            }
            throw KerasFormatError("no model_config attribute: not a Keras full-model file")
        }
        let architecture = try ModelConfigReader.architecture(json: configText)
        guard try root.kind(of: "model_weights") == .group else {
            throw KerasFormatError("no model_weights group: the file holds a model config but no weights")
        }
        let stored = try LegacyWeights.read(try root.group("model_weights"))
        // By order without skipping, every layer with weights is assigned from the file (or this throws),
        // so the container starts with empty lists instead of zeros that would be thrown away.
        let (weights, _) = try LegacyWeights.assign(
            stored, to: try Model.unfilled(architecture), matching: .byOrder, skipMismatch: false)
        var model = Model(architecture: architecture, weights: weights)
        var warnings: [String] = []
        if let trainingText = try root.stringAttribute("training_config") {
            do {
                model.compile = try CompileConfigJSON.compileConfig(json: trainingText)
            } catch let error as KerasFormatError {
                warnings.append("training_config ignored: \(error.problem)")
            }
        }
        if try root.kind(of: "optimizer_weights") == .group {
            let (state, notes) = try LegacyOptimizerWeights.read(
                try root.group("optimizer_weights"), model: model, storedLayers: stored,
                optimizer: model.compile?.optimizer)
            model.optimizerState = state
            warnings += notes
        }
        // Keras 3 wrote "3.x"; standalone Keras 2.0–2.3 "2.<4"; tf.keras "2.4-tf"… and tf-keras "2.<tf minor>".
        let version = (try root.stringAttribute("keras_version") ?? "").split(separator: ".").compactMap {
            Int($0.prefix(while: \.isNumber))
        }
        let format: ModelLayout
        if version.first == 3 {
            format = .keras3LegacyH5
        } else if version.count >= 2, version[0] == 2, version[1] < 4 {
            format = .keras22H5
        } else {
            format = .tfKerasH5
        }
        return LoadedModel(model: model, format: format, warnings: warnings)
    }

    /// Writes a full-model `.h5` atomically.
    ///
    /// `.tfKeras2` (default) imitates tf-keras 2.21: tf-keras and Keras 3 both load it with identical
    /// weights, and tf-keras restores the optimizer state. `.keras22` imitates Keras 2.2.4 + h5py 2
    /// (the layout of NeatMS's bundled model): tf-keras loads it fully, Keras 3 with `compile=False`.
    /// `extra` may add groups or attributes Keras does not read (a training checkpoint's state).
    public static func write(
        _ model: Model, to url: URL, style: KerasConfigStyle = .tfKeras2, extra: ((HDF5Group) throws -> Void)? = nil
    ) throws {
        guard style != .keras3 else {
            throw KerasFormatError(
                "the legacy .h5 writer supports the keras22 and tfKeras2 styles", file: url.relativePath)
        }
        try attributing(url) {
            try checkShapes(model)
            let modelConfig = try ModelConfigWriter.modelConfig(model.architecture, style: style).serialized()
            let trainingConfig = try model.compile.map {
                try CompileConfigJSON.trainingConfig($0, style: style).serialized()
            }
            try AtomicFile.write(to: url) { temporary in
                let file = try HDF5File.create(temporary)
                do {
                    try fill(
                        file.root, model: model, style: style, modelConfig: modelConfig, trainingConfig: trainingConfig)
                    try extra?(file.root)
                    try file.close()
                } catch {
                    try? file.close()
                    throw error
                }
            }
        }
    }

    private static func fill(
        _ root: HDF5Group, model: Model, style: KerasConfigStyle, modelConfig: String, trainingConfig: String?
    ) throws {
        // tf-keras writes the root version strings as Python str (vlen UTF-8), Keras 2.2.4 as bytes.
        let versionKind: HDF5StringKind = style == .keras22 ? .vlenASCII : .vlenUTF8
        try root.setAttribute(
            "keras_version",
            .string(style == .keras22 ? KerasFileInfo.keras22Version : KerasFileInfo.tfKerasVersion, versionKind))
        try root.setAttribute("backend", .string("tensorflow", versionKind))
        try root.setAttribute("model_config", .string(modelConfig, .vlenASCII))
        try LegacyWeights.write(model, to: try root.createGroup("model_weights"), style: style)
        if let trainingConfig {
            try root.setAttribute("training_config", .string(trainingConfig, .vlenASCII))
        }
        if let state = model.optimizerState, let optimizer = model.compile?.optimizer {
            try LegacyOptimizerWeights.write(
                state, model: model, optimizer: optimizer, to: try root.createGroup("optimizer_weights"), style: style)
        }
    }

    /// The weights must have the shapes the architecture implies (never write a file Keras rejects).
    static func checkShapes(_ model: Model) throws {
        let expected = try model.architecture.weightShapes()
        for (i, layer) in model.architecture.layers.enumerated() {
            let actual = model.weights[i].map(\.shape)
            guard actual == expected[i] else {
                throw KerasFormatError(
                    "layer '\(layer.name)' has weights of shapes \(actual.map(shapeText)) but its config implies \(expected[i].map(shapeText))"
                )
            }
        }
    }
}
