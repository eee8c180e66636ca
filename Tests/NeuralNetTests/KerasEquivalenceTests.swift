import Foundation
import HDF5
import KerasFormat
import Tensor
import TestSupport
import Testing

@testable import NeuralNet

/// The engine against real tf-keras outputs committed in Fixtures/keras by Scripts/fixtures/make_keras_fixtures.py
/// (see Fixtures/keras/README.md): forward probabilities and per-layer outputs, one Adam step (with and
/// without frozen conv layers) and two SGD-with-momentum steps, L2 term included.
@Suite struct KerasEquivalence {
    static func open(_ name: String) throws -> HDF5File { try HDF5File.open(TestPaths.fixture("keras/\(name)")) }

    static func maxAbs(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
    }

    @Test(arguments: [
        ("neatms_tfkeras2_full.h5", "reference_forward_full.h5"),
        ("reduced_tfkeras2_full.h5", "reference_forward_reduced.h5"),
    ])
    func forwardProbabilitiesMatchKeras(model: String, reference: String) throws {
        let net = try Network(model: KerasModelFile.read(TestPaths.fixture("keras/\(model)")))
        let file = try Self.open(reference)
        defer { try? file.close() }
        let xs = try file.root.dataset("X")
        let x = Tensor(shape: xs.shape, scalars: try xs.read())
        let expected: [Float] = try file.root.dataset("P").read()
        for batchSize in [1, 3, 32] {
            let p = try net.predict(x, batchSize: batchSize)
            #expect(p.shape == [xs.shape[0], 3])
            let diff = Self.maxAbs(p.scalars, expected)
            #expect(diff <= 1e-5, "\(model), batch \(batchSize): max |p − Keras| = \(diff)")
        }
    }

    /// Every layer's output of the reduced model equals Keras's (catches compensating errors).
    @Test func layerOutputsMatchKeras() throws {
        let model = try KerasModelFile.read(TestPaths.fixture("keras/reduced_tfkeras2_full.h5"))
        let file = try Self.open("reference_forward_reduced.h5")
        defer { try? file.close() }
        let xs = try file.root.dataset("X")
        let x = Tensor(shape: xs.shape, scalars: try xs.read())
        for depth in 2...model.architecture.layers.count {
            let name = model.architecture.layers[depth - 1].name
            let sub = Model(
                architecture: Architecture(name: "prefix", layers: Array(model.architecture.layers[0..<depth])),
                weights: Array(model.weights[0..<depth]))
            let out = try Network(model: sub).predict(x, batchSize: 8)
            let expected: [Float] = try file.root.dataset("layers/\(name)").read()
            #expect(out.count == expected.count, "\(name)")
            let scale = expected.map(abs).max() ?? 1
            let diff = Self.maxAbs(out.scalars, expected)
            #expect(diff <= 1e-5 * max(1, scale), "\(name): max |out − Keras| = \(diff) (scale \(scale))")
        }
    }

    /// Runs `steps` training steps on the fixture's batch (no shuffle, dropout 0) and compares losses and
    /// weights with tf-keras's `train_on_batch`.
    func checkSteps(reference: String, group: String, optimizer: OptimizerConfig, freeze: [String]) throws {
        let file = try Self.open(reference)
        defer { try? file.close() }
        let before = try KerasModelFile.read(TestPaths.fixture("keras/reduced_dropout0.h5"))
        let net = try Network(model: before)
        try net.compile(optimizer: optimizer)
        try net.freeze(layers: freeze)
        let xs = try file.root.dataset("X")
        let x = Tensor(shape: xs.shape, scalars: try xs.read())
        let ys = try file.root.dataset("y")
        let y = Tensor(shape: ys.shape, scalars: try ys.read())
        let prefix = group.isEmpty ? "" : group + "/"
        let kerasLoss: [Double] = try file.root.dataset(prefix + "loss").read()
        let kerasAccuracy: [Double] = try file.root.dataset(prefix + "accuracy").read()
        let kerasMae: [Double] = try file.root.dataset(prefix + "mae").read()
        let history = try net.fit(
            x: x, y: y, options: FitOptions(epochs: kerasLoss.count, batchSize: x.shape[0], shuffle: false))
        for (step, logs) in history.epochs.enumerated() {
            #expect(
                isClose(logs["loss"]!, kerasLoss[step], relative: 1e-5),
                "step \(step) loss \(logs["loss"]!) vs \(kerasLoss[step])")
            #expect(isClose(logs["accuracy"]!, kerasAccuracy[step], absolute: 1e-6))
            #expect(isClose(logs["mae"]!, kerasMae[step], relative: 1e-5))
        }
        let after = net.weights
        for (li, layer) in before.architecture.layers.enumerated() where !before.weights[li].isEmpty {
            for (vi, variable) in ["kernel", "bias"].enumerated() {
                let expected: [Float] = try file.root.dataset("\(prefix)after/\(layer.name)/\(variable)").read()
                let mine = after[li][vi].scalars
                if freeze.contains(layer.name) {
                    #expect(mine == before.weights[li][vi].scalars, "\(layer.name)/\(variable) changed while frozen")
                    #expect(expected == before.weights[li][vi].scalars)
                    continue
                }
                // Per weight: 1e-5 relative, plus a floor of 2.5e-4·lr. Adam's first step is
                // lr·g/(|g| + ε); where |g| ≈ ε a relative rounding difference ρ in the gradient (float32
                // sums in another order) moves the step by up to ρ·lr/4, so ρ = 1e-3 gives that floor.
                // Over the whole tensor the update must agree to 1e-5 (L2-norm relative).
                let lr = Float(optimizer.learningRate)
                let old = before.weights[li][vi].scalars
                var worst: Float = 0
                var diff2: Double = 0
                var norm2: Double = 0
                for (i, (m, k)) in zip(mine, expected).enumerated() {
                    worst = max(worst, abs(m - k) / (1e-5 * abs(k) + 2.5e-4 * lr))
                    diff2 += Double(m - k) * Double(m - k)
                    norm2 += Double(k - old[i]) * Double(k - old[i])
                }
                let updateError = (diff2 / max(norm2, 1e-300)).squareRoot()
                #expect(
                    updateError <= 1e-5, "\(layer.name)/\(variable): update differs by \(updateError) (norm-relative)")
                #expect(worst <= 1, "\(layer.name)/\(variable): a weight is \(worst)× outside its tolerance")
            }
        }
    }

    @Test func oneAdamStepMatchesKeras() throws {
        try checkSteps(reference: "reference_adam_step.h5", group: "", optimizer: .adam(learningRate: 1e-3), freeze: [])
    }

    @Test func oneAdamStepWithFrozenConvolutionsMatchesKeras() throws {
        try checkSteps(
            reference: "reference_adam_step.h5", group: "frozen", optimizer: .adam(learningRate: 1e-3),
            freeze: ["conv2d_1", "conv2d_2"])
    }

    @Test func twoSGDMomentumStepsMatchKeras() throws {
        try checkSteps(
            reference: "reference_sgd_steps.h5", group: "", optimizer: .sgd(learningRate: 1e-2, momentum: 0.9),
            freeze: [])
    }
}
