import FileSupport
import Foundation
import HDF5
import NeuralNet

/// A model with weights loaded from a weights-only file, and the mismatches that were skipped.
public struct WeightLoadResult: Sendable {
    public var model: Model
    /// One line per skipped layer or weight (only with `skipMismatch`).
    public var warnings: [String]
}

/// Weights-only files: Keras 2 `save_weights` `.h5` (layer groups at the root, or the `model_weights`
/// of a full-model file) and Keras 3 `.weights.h5`.
public enum KerasWeightsFile {
    /// Loads the weights in `url` into `model` with Keras's rules: weightless layers are skipped on both
    /// sides; layers match by order or by name; a layer-count, weight-count or shape mismatch is an error
    /// naming the layer and both shapes, or — with `skipMismatch` — a warning that leaves that layer as it
    /// was. Keras 3 files map layers by class-based path (by order) or by their `name` attribute.
    public static func load(
        _ url: URL, into model: Model, matching: WeightMatching = .byOrder, skipMismatch: Bool = false
    ) throws -> WeightLoadResult {
        try attributing(url) {
            try LegacyH5.checkShapes(model)
            let file = try HDF5File.open(url)
            defer { try? file.close() }
            let root = file.root
            var result = model
            let warnings: [String]
            let weightsAtRoot = try LegacyWeights.hasLayerNames(root)
            if try weightsAtRoot || root.kind(of: "model_weights") == .group {
                let group = try weightsAtRoot ? root : root.group("model_weights")
                let stored = try LegacyWeights.read(group)
                (result.weights, warnings) = try LegacyWeights.assign(
                    stored, to: model, matching: matching, skipMismatch: skipMismatch)
            } else if try root.kind(of: "layers") == .group {
                let loaded = try Keras3Weights.load(root, into: model, matching: matching, skipMismatch: skipMismatch)
                (result.weights, warnings) = (loaded.weights, loaded.warnings)
            } else {
                throw KerasFormatError("neither layer_names nor a layers group: not a Keras weights file")
            }
            try KerasModelFile.checkFinite(result, file: url.relativePath)
            return WeightLoadResult(model: result, warnings: warnings)
        }
    }

    /// Writes a Keras 2 `save_weights` `.h5` (tf-keras 2.x layout b) atomically.
    public static func writeKeras2(_ model: Model, to url: URL) throws {
        try write(model, to: url) { root in
            try LegacyWeights.write(model, to: root, style: .tfKeras2)
        }
    }

    /// Writes a Keras 3 `.weights.h5` (with the optimizer variables when the model is compiled) atomically.
    public static func writeKeras3(_ model: Model, to url: URL) throws {
        try write(model, to: url) { root in try Keras3Weights.write(model, to: root) }
    }

    private static func write(_ model: Model, to url: URL, _ body: (HDF5Group) throws -> Void) throws {
        try attributing(url) {
            try LegacyH5.checkShapes(model)
            try AtomicFile.write(to: url) { temporary in
                let file = try HDF5File.create(temporary)
                do {
                    try body(file.root)
                    try file.close()
                } catch {
                    try? file.close()
                    throw error
                }
            }
        }
    }
}
