import Foundation
import HDF5
import Interchange
import KerasFormat
import NeuralNet
import Tensor
import TestSupport
import Testing

/// One model of Fixtures/random/manifest.json (Scripts/fixtures/make_random_models.py): small chains made at
/// random in tf-keras and Keras 3, compiled with Adam or SGD and one of five losses.
struct RandomModel: Decodable, Sendable, CustomTestStringConvertible {
    var name: String
    var file: String
    var flavour: String
    var sequential: Bool
    var inputShape: [Int]
    var outputs: Int
    var loss: String
    var metrics: [String]
    /// Keras's `model.evaluate(x, t)` values by name (`loss`, metrics).
    var evaluate: [String: Double]
    /// The model has a Dropout layer (its training step draws Keras's own mask: not comparable).
    var dropout: Bool
    /// Keras's own `model.summary()` lines.
    var summary: [String]

    var testDescription: String { file }

    static let all: [RandomModel] = {
        (try? TestPaths.loadJSON(
            [RandomModel].self, from: TestPaths.fixture("random/manifest.json"), snakeCaseKeys: true))
            ?? []
    }()

    var url: URL { TestPaths.fixture("random/\(file)") }

    /// The fixed inputs `x` (N, H, W, C) and Keras's `model.predict(x)`.
    func inputsAndKerasPredictions() throws -> (x: Tensor, y: Tensor) {
        let io = try HDF5File.open(TestPaths.fixture("random/\(name).io.h5"))
        defer { try? io.close() }
        let x = try io.root.dataset("x")
        let y = try io.root.dataset("y")
        return (Tensor(shape: x.shape, scalars: try x.read()), Tensor(shape: y.shape, scalars: try y.read()))
    }

    /// The one-hot targets `t` (N, outputs).
    func targets() throws -> Tensor {
        let io = try HDF5File.open(TestPaths.fixture("random/\(name).io.h5"))
        defer { try? io.close() }
        let t = try io.root.dataset("t")
        return Tensor(shape: t.shape, scalars: try t.read())
    }

    /// Keras's weights after one `train_on_batch(x, t)` step, `[layer][variable]` by layer name.
    func kerasTrainedWeights(_ layers: [String]) throws -> [String: [[Float]]] {
        let io = try HDF5File.open(TestPaths.fixture("random/\(name).io.h5"))
        defer { try? io.close() }
        var result: [String: [[Float]]] = [:]
        for layer in layers where io.root.contains("trained/\(layer)") {
            var weights: [[Float]] = []
            var j = 0
            while io.root.contains("trained/\(layer)/\(j)") {
                weights.append(try io.root.dataset("trained/\(layer)/\(j)").read())
                j += 1
            }
            result[layer] = weights
        }
        return result
    }

    /// Keras's summary rows: the layer names, in order.
    var kerasSummaryLayerNames: [String] {
        // Keras 3 hands the whole table to print_fn at once.
        summary.flatMap { $0.split(separator: "\n") }.compactMap(summaryRowLayerName)
    }
}

/// The layer name of a summary row (`conv_0 (Conv2D)  …`, with or without Keras 3's box characters, the class
/// possibly cut where tf-keras wraps it); nil for other lines (title, header, rules, totals).
func summaryRowLayerName<S: StringProtocol>(_ line: S) -> String? {
    guard let match = String(line).firstMatch(of: /^[\s│┃]*(\S+) \(([A-Za-z0-9]+)/), match.output.2 != "type"
    else { return nil }
    return String(match.output.1)
}

@Suite struct RandomKerasModels {
    @Test func theFixturesArePresent() {
        #expect(RandomModel.all.count >= 8)
        #expect(Set(RandomModel.all.map(\.flavour)) == ["tf_keras", "keras3"])
        #expect(RandomModel.all.contains { $0.sequential } && RandomModel.all.contains { !$0.sequential })
    }

    /// The model as Keras saved it (compile config included, whatever its loss and metrics) predicts Keras's
    /// outputs within 1e-5: inference ignores the training config.
    @Test(arguments: RandomModel.all)
    func predictsAsKeras(model: RandomModel) throws {
        let loaded = try ModelFile.load(model.url).model
        #expect(loaded.compile?.loss == model.loss)
        #expect(try loaded.architecture.inputShape() == model.inputShape)
        let (x, y) = try model.inputsAndKerasPredictions()
        let p = try Network(model: loaded).predict(x)
        #expect(p.shape == [x.shape[0], model.outputs])
        #expect(maxAbsDifference(p.scalars, y.scalars) <= 1e-5)
    }

    /// `evaluate` gives Keras's loss (each of the five losses) and metrics within 1e-5 (relative to the
    /// loss's size); the sparse loss's Keras metrics compare class indices with probabilities, so only its
    /// loss is compared.
    @Test(arguments: RandomModel.all)
    func evaluatesAsKeras(model: RandomModel) throws {
        let network = try Network(model: try ModelFile.load(model.url).model)
        let (x, _) = try model.inputsAndKerasPredictions()
        let ours = try network.evaluate(x: x, y: try model.targets(), batchSize: x.shape[0])
        let names = model.loss == "sparse_categorical_crossentropy" ? ["loss"] : Array(model.evaluate.keys)
        for name in names {
            let keras = try #require(model.evaluate[name])
            let value = try #require(ours[name], "\(name) not computed")
            #expect(abs(value - keras) <= 1e-5 * max(1, abs(keras)), "\(name): \(value) vs Keras \(keras)")
        }
    }

    /// One training step on the whole batch (`fit`, one epoch, no shuffling) moves the weights as Keras's
    /// `train_on_batch` does (gradients of each loss, Adam and SGD with and without momentum).
    @Test(arguments: RandomModel.all.filter { !$0.dropout })
    func oneTrainingStepAsKeras(model: RandomModel) throws {
        let network = try Network(model: try ModelFile.load(model.url).model)
        let (x, _) = try model.inputsAndKerasPredictions()
        _ = try network.fit(
            x: x, y: try model.targets(), options: FitOptions(epochs: 1, batchSize: x.shape[0], shuffle: false))
        let keras = try model.kerasTrainedWeights(network.architecture.layers.map(\.name))
        for (layer, weights) in zip(network.architecture.layers, network.weights) where !weights.isEmpty {
            let expected = try #require(keras[layer.name], "\(layer.name) missing")
            #expect(expected.count == weights.count)
            for (w, k) in zip(weights, expected) {
                #expect(maxAbsDifference(w.scalars, k) <= 1e-5, "\(model.name) \(layer.name)")
            }
        }
    }

    /// Our summary has a row for exactly the layers Keras's has: a Sequential model's InputLayer has none.
    @Test(arguments: RandomModel.all)
    func summaryRowsAreKerasRows(model: RandomModel) throws {
        let loaded = try ModelFile.load(model.url).model
        #expect(loaded.architecture.sequential == model.sequential)
        let ours = try loaded.architecture.summary().split(separator: "\n").compactMap(summaryRowLayerName)
        #expect(ours == model.kerasSummaryLayerNames)
    }

    /// h5 → .keras → .onnx → .safetensors → .h5 (starting from the model in its own format): every step keeps
    /// the architecture, the weights bit for bit and the predictions within 1e-5 of Keras's; the files are
    /// registered for the interop check (real Keras, onnxruntime and safetensors load them).
    @Test(arguments: RandomModel.all)
    func roundTripThroughEveryFormat(model: RandomModel) throws {
        let original = try ModelFile.load(model.url).model
        let (x, y) = try model.inputsAndKerasPredictions()
        let dir = try TestPaths.temporaryDirectory("random-roundtrip")
        let source = "Fixtures/random/\(model.file)"
        var current = original
        for (step, ext) in ["h5", "keras", "onnx", "safetensors", "h5"].enumerated() {
            let name = "\(model.name)_step\(step).\(ext)"
            let url = InteropManifest.outputURL(name) ?? dir.appendingPathComponent(name)
            try ModelFile.write(current, to: url)
            let loaded = try ModelFile.load(url).model
            #expect(loaded.architecture == original.architecture, "\(name): architecture")
            #expect(loaded.weights == original.weights, "\(name): weights")
            if ext != "onnx" {
                #expect(loaded.compile == original.compile, "\(name): compile config")
            }
            let p = try Network(model: loaded).predict(x)
            #expect(maxAbsDifference(p.scalars, y.scalars) <= 1e-5, "\(name): predictions")
            if InteropManifest.outputURL(name) != nil {
                let predictions = "\(name).predictions.h5"
                if let pURL = InteropManifest.outputURL(predictions) { try writePredictions(x, p, to: pURL) }
                let kind: InteropManifest.Kind =
                    switch ext {
                    case "keras": .keras
                    case "onnx": .onnx
                    case "safetensors": .safetensors
                    default: .h5
                    }
                try InteropManifest.record(
                    file: url, source: source, kind: kind,
                    expect: InteropManifest.Expectation(predictionsFile: predictions, classes: model.outputs))
            }
            current = loaded
        }
    }
}
