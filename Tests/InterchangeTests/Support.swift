import Foundation
import HDF5
import KerasFormat
import NeuralNet
import Tensor
import TestSupport

/// `Fixtures/onnx/<name>`.
func onnxFixture(_ name: String) -> URL { TestPaths.fixture("onnx/\(name)") }

/// A `<model>.expected.json` of Fixtures/onnx (Scripts/fixtures/make_onnx_fixtures.py): inputs, Keras's outputs
/// and onnxruntime's for each tf2onnx file.
struct ExpectedOutputs: Decodable {
    var source: String
    var xShape: [Int]
    var x: [Float]
    var pShape: [Int]
    var keras: [Float]
    var onnxruntime: [String: [Float]]

    static func load(_ model: String) throws -> ExpectedOutputs {
        try TestPaths.loadJSON(ExpectedOutputs.self, from: onnxFixture("\(model).expected.json"), snakeCaseKeys: true)
    }

    var input: Tensor { Tensor(shape: xShape, scalars: x) }

    /// The Keras source model (repository-relative path in `source`).
    func sourceModel() throws -> Model {
        try KerasModelFile.read(TestPaths.packageRoot.appendingPathComponent(source))
    }
}

/// The models the round-trip tests export: NeatMS's bundled model, the reduced NeatMS-shaped one, and the small
/// models of Fixtures/onnx (channels > 1, strides, same/valid padding, stand-alone activations, no bias, Dense only).
let roundTripSources = [
    "neatms_default_model.h5", "keras/reduced_tfkeras2_full.h5", "onnx/multichannel.h5", "onnx/activations.h5",
    "onnx/dense_only.h5",
]

/// The largest absolute difference between two equally long value lists.
func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "\(a.count) vs \(b.count) values")
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

/// Weights by layer name, for the layers that have any.
func weightsByLayer(_ model: Model) -> [String: [Tensor]] {
    var result: [String: [Tensor]] = [:]
    for (layer, weights) in zip(model.architecture.layers, model.weights) where !weights.isEmpty {
        result[layer.name] = weights
    }
    return result
}

/// Writes the HDF5 predictions file the interop check reads: float32 `X` and `P`.
func writePredictions(_ x: Tensor, _ p: Tensor, to url: URL) throws {
    let file = try HDF5File.create(url)
    try file.root.writeDataset("X", shape: x.shape, values: x.scalars)
    try file.root.writeDataset("P", shape: p.shape, values: p.scalars)
    try file.close()
}

/// A fixed input of `count` samples for `model` (values in [-1, 1), deterministic).
func fixedInput(for model: Model, count: Int) throws -> Tensor {
    let shape = try model.architecture.inputShape()
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    let values = (0..<(count * shape.reduce(1, *))).map { _ -> Float in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Float(state >> 40) / Float(1 << 24) * 2 - 1
    }
    return Tensor(shape: [count] + shape, scalars: values)
}

/// NeatMSKit's predictions for `x` (inference needs no compile config; it is left out).
func predict(_ model: Model, _ x: Tensor) throws -> Tensor {
    var inference = model
    inference.compile = nil
    inference.optimizerState = nil
    return try Network(model: inference).predict(x)
}
