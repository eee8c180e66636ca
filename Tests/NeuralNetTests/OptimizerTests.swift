import Foundation
import Tensor
import Testing

@testable import NeuralNet

/// Optimiser updates on a one-layer softmax model, against the update rules evaluated by hand in
/// Float64 (Keras/tf-keras formulas as documented in `Optimizer`).
@Suite struct OptimizerMath {
    static let x: [Double] = [1, -2]
    static let target: [Double] = [0, 1]
    static let l2 = 0.01

    static func architecture(l2: Float) -> Architecture {
        Architecture(
            name: "tiny",
            layers: [
                LayerSpec(name: "in", kind: .input(shape: [2])),
                LayerSpec(
                    name: "d",
                    kind: .dense(DenseOptions(units: 2, activation: .softmax, kernelRegularizer: Regularizer(l2: l2)))),
            ])
    }
    static let kernel: [Float] = [0.5, -0.25, 0.125, 0.75]
    static let bias: [Float] = [0.1, -0.2]

    /// Gradient of mean CE + l2·ΣW² for the single sample, by hand: dz = p − y, dW = x ⊗ dz + 2·l2·W.
    static func gradient(_ w: [Double], _ b: [Double]) -> [Double] {
        let z = (0..<2).map { j in x[0] * w[j] + x[1] * w[2 + j] + b[j] }
        let m = z.max()!
        let e = z.map { exp($0 - m) }
        let p = e.map { $0 / e.reduce(0, +) }
        let dz = (0..<2).map { p[$0] - target[$0] }
        let dw = (0..<4).map { k in x[k / 2] * dz[k % 2] + 2 * l2 * w[k] }
        return dw + dz
    }

    func run(_ config: OptimizerConfig, steps: Int) throws -> [Float] {
        let model = Model(
            architecture: Self.architecture(l2: Float(Self.l2)),
            weights: [[], [Tensor(shape: [2, 2], scalars: Self.kernel), Tensor(shape: [2], scalars: Self.bias)]],
            compile: CompileConfig(optimizer: config))
        let net = try Network(model: model)
        let x = Tensor(shape: [1, 2], scalars: Self.x.map(Float.init))
        let y = Tensor(shape: [1, 2], scalars: Self.target.map(Float.init))
        _ = try net.fit(x: x, y: y, options: FitOptions(epochs: steps, shuffle: false))
        #expect(net.exportModel().optimizerState?.iterations == steps)
        return net.weights[1][0].scalars + net.weights[1][1].scalars
    }

    var start: [Double] { (Self.kernel + Self.bias).map(Double.init) }

    func expectClose(_ a: [Float], _ b: [Double], _ label: String) {
        let diff = zip(a, b).map { abs(Double($0) - $1) }.max()!
        #expect(diff < 2e-6, "\(label): engine \(a) vs hand \(b) (max diff \(diff))")
    }

    @Test func adamTwoStepsWithDecay() throws {
        let (lr, b1, b2, eps, decay) = (0.1, 0.9, 0.999, 1e-7, 0.5)
        var p = start
        var m = [Double](repeating: 0, count: 6)
        var v = m
        for t in 1...2 {
            let g = Self.gradient(Array(p[0..<4]), Array(p[4..<6]))
            let lrT = lr / (1 + decay * Double(t - 1))
            let alpha = lrT * (1 - pow(b2, Double(t))).squareRoot() / (1 - pow(b1, Double(t)))
            for i in 0..<6 {
                m[i] = b1 * m[i] + (1 - b1) * g[i]
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                p[i] -= alpha * m[i] / (v[i].squareRoot() + eps)
            }
        }
        var config = OptimizerConfig.adam(learningRate: 0.1)
        config.decay = 0.5
        expectClose(try run(config, steps: 2), p, "Adam")
    }

    @Test(arguments: [false, true]) func sgdMomentumTwoSteps(nesterov: Bool) throws {
        let (lr, mu) = (0.2, 0.9)
        var p = start
        var u = [Double](repeating: 0, count: 6)
        for _ in 1...2 {
            let g = Self.gradient(Array(p[0..<4]), Array(p[4..<6]))
            for i in 0..<6 {
                u[i] = mu * u[i] - lr * g[i]
                p[i] += nesterov ? mu * u[i] - lr * g[i] : u[i]
            }
        }
        var config = OptimizerConfig.sgd(learningRate: 0.2, momentum: 0.9)
        config.nesterov = nesterov
        expectClose(try run(config, steps: 2), p, "SGD nesterov=\(nesterov)")
    }

    @Test func plainSGDStep() throws {
        let g = Self.gradient(Array(start[0..<4]), Array(start[4..<6]))
        let p = zip(start, g).map { $0 - 0.5 * $1 }
        expectClose(try run(.sgd(learningRate: 0.5), steps: 1), p, "SGD")
    }
}

@Suite struct TrainingBehaviour {
    static func data(n: Int, matrixSize: Int, seed: UInt64) throws -> (Tensor, Tensor) {
        var rng = SeededGenerator(seed: seed)
        let labels = (0..<n).map { _ in rng.nextIndex(below: 3) }
        var x = [Float](repeating: 0, count: n * 2 * matrixSize)
        for i in 0..<n {
            for w in 0..<matrixSize {
                let peak = Float(labels[i] + 1) * expf(-Float((w - matrixSize / 2) * (w - matrixSize / 2)) / 8)
                x[i * 2 * matrixSize + w] = peak + 0.1 * rng.nextUnitFloat()
                x[i * 2 * matrixSize + matrixSize + w] = abs(w - matrixSize / 2) < matrixSize / 6 ? 1 : 0
            }
        }
        return (Tensor(shape: [n, 2, matrixSize, 1], scalars: x), try Tensor.oneHot(labels, classes: 3))
    }

    @Test func frozenLayersStayBitIdenticalAndGetNoSlots() throws {
        let net = try Network.neatms(matrixSize: 16, optimizer: .adam(learningRate: 1e-3), seed: 5)
        try net.freeze(layers: ["conv2d_1", "max_pooling2d_1", "conv2d_2"])
        let before = net.weights
        let (x, y) = try Self.data(n: 70, matrixSize: 16, seed: 1)
        _ = try net.fit(x: x, y: y, options: FitOptions(epochs: 2))
        let after = net.weights
        #expect(after[1] == before[1])
        #expect(after[3] == before[3])
        #expect(after[5] != before[5])
        #expect(after[7] != before[7])
        let state = try #require(net.exportModel().optimizerState)
        #expect(state.iterations == 6)  // 3 batches (32, 32, 6) × 2 epochs
        for name in ["m", "v"] {
            let slots = try #require(state.slots[name])
            #expect(slots[1].isEmpty && slots[3].isEmpty)
            #expect(slots[5].map(\.shape) == after[5].map(\.shape))
            #expect(slots[5].contains { t in t.scalars.contains { $0 != 0 } })
        }
    }

    @Test func sameSeedSameRun() throws {
        let (x, y) = try Self.data(n: 50, matrixSize: 16, seed: 2)
        func train() throws -> ([[Tensor]], History) {
            let net = try Network.neatms(matrixSize: 16, optimizer: .adam(learningRate: 1e-3), seed: 11)
            let h = try net.fit(x: x, y: y, options: FitOptions(epochs: 3, validation: (x, y)))
            return (net.weights, h)
        }
        let (w1, h1) = try train()
        let (w2, h2) = try train()
        #expect(w1 == w2)
        #expect(h1.loss == h2.loss && h1.valAccuracy == h2.valAccuracy)
        #expect(h1.loss.count == 3 && h1.valMae.count == 3)
    }

    @Test func fitAgainContinuesFromWeightsAndOptimizerState() throws {
        var arch = Architecture.neatms(matrixSize: 16)
        arch.layers[6].kind = .dropout(rate: 0)
        var rng = SeededGenerator(seed: 3)
        let model = Model(
            architecture: arch, weights: try arch.initialWeights(rng: &rng),
            compile: CompileConfig(optimizer: .adam(learningRate: 1e-3)))
        let (x, y) = try Self.data(n: 40, matrixSize: 16, seed: 3)
        let options = FitOptions(epochs: 1, shuffle: false)
        let twice = try Network(model: model)
        _ = try twice.fit(x: x, y: y, options: options)
        let resumed = try Network(model: twice.exportModel())
        _ = try twice.fit(x: x, y: y, options: options)
        _ = try resumed.fit(x: x, y: y, options: options)
        let once = try Network(model: model)
        _ = try once.fit(x: x, y: y, options: FitOptions(epochs: 2, shuffle: false))
        #expect(twice.weights == once.weights)
        #expect(resumed.weights == once.weights)
        #expect(resumed.exportModel().optimizerState == once.exportModel().optimizerState)
        // Recompiling starts a fresh optimiser.
        try once.compile(optimizer: .sgd(learningRate: 0.01))
        #expect(once.exportModel().optimizerState?.iterations == 0)
        #expect(once.exportModel().compile?.optimizer.kind == .sgd)
    }

    @Test func earlyStoppingRestoresBestWeightsAndCheckpointsEveryEpoch() throws {
        let net = try Network.neatms(matrixSize: 16, optimizer: .adam(learningRate: 0.05), seed: 8)
        let (x, y) = try Self.data(n: 40, matrixSize: 16, seed: 4)
        let (xv, yv) = try Self.data(n: 20, matrixSize: 16, seed: 5)
        var checkpoints: [[[Tensor]]] = []
        var printed = 0
        let h = try net.fit(
            x: x, y: y,
            options: FitOptions(
                epochs: 30, validation: (xv, yv), earlyStopping: EarlyStopping(monitor: "val_loss", patience: 2),
                onEpochEnd: { _ in
                    printed += 1
                    return .proceed
                },
                checkpoint: { checkpoints.append($0.model.weights) }))
        #expect(checkpoints.count == h.epochs.count && printed == h.epochs.count)
        let losses = h.valLoss
        let best = try #require(h.bestEpoch)
        #expect(losses[best] == losses.min())
        if let stopped = h.stoppedEpoch {
            #expect(stopped == best + 2)
            #expect(net.weights == checkpoints[best])
        }
    }

    @Test func callbackCanStopAndBadInputsAreErrors() throws {
        let net = try Network.neatms(matrixSize: 16, seed: 1)
        let (x, y) = try Self.data(n: 10, matrixSize: 16, seed: 6)
        let h = try net.fit(
            x: x, y: y, options: FitOptions(epochs: 5, onEpochEnd: { $0.epoch == 1 ? .stop : .proceed }))
        #expect(h.epochs.count == 2)
        #expect(throws: NetworkError.self) {
            try net.fit(x: x, y: Tensor(zeros: [10, 2]), options: FitOptions(epochs: 1))
        }
        #expect(throws: NetworkError.self) { try net.predict(Tensor(zeros: [3, 2, 15, 1])) }
        #expect(throws: NetworkError.self) {
            try net.fit(x: x, y: y, options: FitOptions(epochs: 1, earlyStopping: EarlyStopping(monitor: "val_loss")))
        }
        // (N, 2, n) without the channel axis is accepted.
        let p = try net.predict(Tensor(shape: [10, 2, 16], scalars: x.scalars))
        #expect(p.shape == [10, 3])
        let small = try net.predict(x, batchSize: 3)
        #expect(zip(p.scalars, small.scalars).allSatisfy { abs($0 - $1) < 1e-6 })
    }
}
