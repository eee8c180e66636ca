import Foundation
import NeuralNet

// Public views of KerasFormat's naming, shape and error rules, for the other interchange formats (Interchange).

extension Architecture {
    /// The path Keras 3 gives each layer in its weights files (`layers/<path>/vars/<i>`), in layer order:
    /// the snake-cased class name (`conv2d`, `max_pooling2d`, `input_layer`), `_1`, `_2`, … for repeats.
    public var keras3LayerPaths: [String] { Keras3Weights.layerPaths(self) }
}

extension Model {
    /// A model of `architecture` whose weights are zeros of the shapes the architecture implies.
    /// - Throws: `ArchitectureError` when the architecture cannot be run.
    public static func zeroWeights(_ architecture: Architecture) throws -> Model {
        try zeros(architecture)
    }

    /// Checks that every layer's weights have the shapes its architecture implies.
    /// - Throws: `KerasFormatError` naming the layer and both shape lists.
    public func checkWeightShapes() throws {
        try LegacyH5.checkShapes(self)
    }
}

extension KerasFormatError {
    /// Runs `body`, turning any error into a `KerasFormatError` that names `url`'s file, as KerasFormat's own
    /// readers and writers do (one line; a `FileWriteError` keeps its path).
    public static func attributed<T>(to url: URL, _ body: () throws -> T) throws -> T {
        try attributing(url, body)
    }
}
