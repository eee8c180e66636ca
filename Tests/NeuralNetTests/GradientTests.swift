import Tensor
import Testing

@testable import NeuralNet

/// Finite-difference gradient checks: the engine's analytic gradients (float32) against central
/// differences of the independent Float64 `ReferenceNetwork` loss, for every layer type.
@Suite struct GradientChecks {
    /// Small networks that together exercise every layer kind and option.
    static let cases: [(String, Architecture)] = [
        (
            "conv same tanh, conv valid strided relu, max-pool same, dense sigmoid L1+L2, softmax",
            Architecture(
                name: "a",
                layers: [
                    LayerSpec(name: "in", kind: .input(shape: [5, 7, 2])),
                    LayerSpec(
                        name: "c1",
                        kind: .conv2D(Conv2DOptions(filters: 3, kernelSize: [3, 3], padding: .same, activation: .tanh))),
                    LayerSpec(
                        name: "c2",
                        kind: .conv2D(
                            Conv2DOptions(
                                filters: 4, kernelSize: [2, 3], strides: [2, 1], padding: .valid, activation: .relu))),
                    LayerSpec(name: "p", kind: .maxPooling2D(Pool2DOptions(poolSize: [2, 2], padding: .same))),
                    LayerSpec(name: "f", kind: .flatten),
                    LayerSpec(
                        name: "d1",
                        kind: .dense(
                            DenseOptions(
                                units: 6, activation: .sigmoid, kernelRegularizer: Regularizer(l1: 0.001, l2: 0.01)))),
                    LayerSpec(name: "d2", kind: .dense(DenseOptions(units: 3, activation: .softmax))),
                ])
        ),
        (
            "NeatMS-shaped: conv 5x5 same relu, pool (1,2), conv 3x3 same stride (1,2) no bias, dense tanh L2, dropout 0",
            Architecture(
                name: "b",
                layers: [
                    LayerSpec(name: "in", kind: .input(shape: [2, 9, 1])),
                    LayerSpec(
                        name: "c1",
                        kind: .conv2D(Conv2DOptions(filters: 4, kernelSize: [5, 5], padding: .same, activation: .relu))),
                    LayerSpec(name: "p", kind: .maxPooling2D(Pool2DOptions(poolSize: [1, 2]))),
                    LayerSpec(
                        name: "c2",
                        kind: .conv2D(
                            Conv2DOptions(
                                filters: 3, kernelSize: [3, 3], strides: [1, 2], padding: .same, useBias: false))),
                    LayerSpec(name: "f", kind: .flatten),
                    LayerSpec(
                        name: "d1",
                        kind: .dense(
                            DenseOptions(
                                units: 5, activation: .tanh, kernelRegularizer: Regularizer(l2: 0.001),
                                biasRegularizer: Regularizer(l2: 0.01)))),
                    LayerSpec(name: "drop", kind: .dropout(rate: 0)),
                    LayerSpec(name: "d2", kind: .dense(DenseOptions(units: 3, activation: .softmax))),
                ])
        ),
        (
            "Activation layers (sigmoid, softmax: clipped probability cross-entropy), dense linear/tanh",
            Architecture(
                name: "c",
                layers: [
                    LayerSpec(name: "in", kind: .input(shape: [6])),
                    LayerSpec(name: "d1", kind: .dense(DenseOptions(units: 5))),
                    LayerSpec(name: "a1", kind: .activation(.sigmoid)),
                    LayerSpec(name: "d2", kind: .dense(DenseOptions(units: 4, activation: .tanh))),
                    LayerSpec(name: "d3", kind: .dense(DenseOptions(units: 3))),
                    LayerSpec(name: "a2", kind: .activation(.softmax)),
                ])
        ),
        (
            "sigmoid output (normalised cross-entropy), relu hidden",
            Architecture(
                name: "d",
                layers: [
                    LayerSpec(name: "in", kind: .input(shape: [4])),
                    LayerSpec(name: "d1", kind: .dense(DenseOptions(units: 5, activation: .relu))),
                    LayerSpec(name: "d2", kind: .dense(DenseOptions(units: 3, activation: .sigmoid))),
                ])
        ),
        (
            "conv with softmax over channels, valid 2x2, then dense softmax",
            Architecture(
                name: "e",
                layers: [
                    LayerSpec(name: "in", kind: .input(shape: [3, 4, 2])),
                    LayerSpec(
                        name: "c1", kind: .conv2D(Conv2DOptions(filters: 3, kernelSize: [2, 2], activation: .softmax))),
                    LayerSpec(name: "f", kind: .flatten),
                    LayerSpec(name: "d", kind: .dense(DenseOptions(units: 3, activation: .softmax))),
                ])
        ),
    ]

    static func randomModel(_ arch: Architecture, seed: UInt64) throws -> (Model, Tensor, Tensor) {
        var rng = SeededGenerator(seed: seed)
        var weights = try arch.initialWeights(rng: &rng)
        for i in weights.indices {
            for j in weights[i].indices where weights[i][j].rank == 1 {
                weights[i][j].scalars = weights[i][j].scalars.map { _ in 0.2 * (2 * rng.nextUnitFloat() - 1) }
            }
        }
        let inShape = try arch.inputShape()
        let samples = 5
        let x = Tensor(
            shape: [samples] + inShape,
            scalars: (0..<(samples * inShape.reduce(1, *))).map { _ in 2 * rng.nextUnitFloat() - 1 })
        let classes = try arch.outputShapes().last!.reduce(1, *)
        let y = try Tensor.oneHot((0..<samples).map { _ in rng.nextIndex(below: classes) }, classes: classes)
        return (Model(architecture: arch, weights: weights), x, y)
    }

    @Test(arguments: 0..<cases.count)
    func analyticMatchesFiniteDifferences(caseIndex: Int) throws {
        let (name, arch) = Self.cases[caseIndex]
        let (model, x, y) = try Self.randomModel(arch, seed: UInt64(100 + caseIndex))
        let net = try Network(model: model)
        let reference = ReferenceNetwork(architecture: arch, weights: model.weights)
        let samples = x.shape[0]
        let xd = x.scalars.map(Double.init)
        let yd = y.scalars.map(Double.init)

        // Forward agrees with the naive reference.
        let probabilities = try net.predict(x, batchSize: 2)
        let refOut = try reference.forward(xd, samples: samples).output
        let forwardDiff = zip(probabilities.scalars, refOut).map { abs(Double($0) - $1) }.max()!
        #expect(forwardDiff < 1e-5, "\(name): forward differs by \(forwardDiff)")

        let (loss, grads) = try net.lossAndGradients(x: x, y: y)
        let refLoss = try reference.loss(xd, targets: yd, samples: samples)
        #expect(abs(loss - refLoss) < 1e-5 * max(1, abs(refLoss)), "\(name): loss \(loss) vs \(refLoss)")

        let numeric = try reference.numericGradients(xd, targets: yd, samples: samples)
        for (li, layer) in arch.layers.enumerated() {
            #expect(grads[li].count == numeric[li].count, "\(name): layer \(layer.name) gradient count")
            for (vi, g) in grads[li].enumerated() {
                let n = numeric[li][vi]
                let scale = n.map(abs).max() ?? 0
                #expect(scale > 1e-6, "\(name): layer \(layer.name) variable \(vi) has a vanishing numeric gradient")
                let diff = zip(g.scalars, n).map { abs(Double($0) - $1) }.max() ?? 0
                #expect(
                    diff <= 1e-3 * scale + 1e-6,
                    "\(name): layer \(layer.name) variable \(vi): max |analytic − numeric| = \(diff), scale \(scale)")
            }
        }
    }

    @Test func dropoutKeepsScaledUnitsInTrainingOnly() throws {
        let arch = Architecture(
            name: "drop",
            layers: [
                LayerSpec(name: "in", kind: .input(shape: [1000])),
                LayerSpec(name: "drop", kind: .dropout(rate: 0.25)),
            ])
        let layer = DropoutLayer(spec: arch.layers[1], rate: 0.25, inputSize: 1000)
        layer.reserve(batch: 2, workers: 1, training: true)
        var rng = SeededGenerator(seed: 9)
        layer.sampleNoise(batch: 2, rng: &rng)
        let x = (0..<2000).map { Float($0 % 7) + 1 }
        var y = [Float](repeating: 0, count: 2000)
        x.withUnsafeBufferPointer { xs in
            y.withUnsafeMutableBufferPointer { ys in
                layer.forward(xs.baseAddress!, ys.baseAddress!, samples: 0..<2, worker: 0, training: true)
            }
        }
        let kept = zip(x, y).filter { $1 != 0 }
        #expect(kept.allSatisfy { $1 == $0 * (1 / Float(0.75)) })
        #expect(abs(Double(kept.count) / 2000 - 0.75) < 0.04)
        // Backward routes the gradient through the same mask.
        var dx = [Float](repeating: 0, count: 2000)
        var dy = [Float](repeating: 1, count: 2000)
        x.withUnsafeBufferPointer { xs in
            y.withUnsafeBufferPointer { ys in
                dy.withUnsafeMutableBufferPointer { d in
                    dx.withUnsafeMutableBufferPointer { g in
                        layer.backward(
                            x: xs.baseAddress!, y: ys.baseAddress!, dy: d.baseAddress!, dx: g.baseAddress!, batch: 2,
                            weightGradients: false, dyIsPreActivation: false, parts: 1, update: nil)
                    }
                }
            }
        }
        #expect(zip(dx, y).allSatisfy { ($0 == 0) == ($1 == 0) })
        // Inference is the identity.
        let net = try Network(model: Model(architecture: arch, weights: [[], []]))
        let out = try net.predict(Tensor(shape: [2, 1000], scalars: x))
        #expect(out.scalars == x)
    }

    /// `lossAndGradients` draws the batch's dropout masks as a training step does (NeatMS's `dropout_1`,
    /// rate 0.5): from the same generator state, its loss is the loss `fit` reports for that batch, and
    /// one plain SGD step of `fit` moves every weight by −lr × its gradient. (It used to run with the
    /// masks left in the layer, all zeros before any training: no unit kept.)
    @Test func lossAndGradientsUseATrainingStepsDropoutMasks() throws {
        let lr: Float = 0.5
        let (x, y) = try TrainingPaths.data(samples: 6, width: 40, seed: 4)
        let probe = try Network.neatms(matrixSize: 40, classes: 3, optimizer: .sgd(learningRate: lr), seed: 3)
        let stepped = try Network.neatms(matrixSize: 40, classes: 3, optimizer: .sgd(learningRate: lr), seed: 3)
        let before = stepped.weights
        let (loss, gradients) = try probe.lossAndGradients(x: x, y: y)
        let history = try stepped.fit(x: x, y: y, options: FitOptions(epochs: 1, batchSize: 6, shuffle: false))
        #expect(abs(loss - history.loss[0]) <= 1e-9 * abs(loss), "loss \(loss), fit's \(history.loss[0])")
        for (layer, variables) in gradients.enumerated() {
            for (v, g) in variables.enumerated() {
                let w0 = before[layer][v].scalars
                let w1 = stepped.weights[layer][v].scalars
                let scale = w0.map { abs(Double($0)) }.max() ?? 0
                let worst =
                    zip(zip(w0, w1), g.scalars).map { pair, gradient in
                        abs(Double(pair.1) - Double(pair.0 - lr * gradient))
                    }.max() ?? 0
                #expect(worst <= 1e-6 * max(scale, 1e-3), "layer \(layer) variable \(v): \(worst)")
            }
        }
        // The gradient reaching dense_1's bias is zero for dropped units and not for all of them.
        let bias = gradients[5][1].scalars
        #expect(bias.contains(0) && bias.contains { $0 != 0 })
    }
}
