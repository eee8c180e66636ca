import Tensor
import Testing

@testable import NeuralNet

/// Training passes of convolutions 3 wide with stride 1 along the width run Winograd's transforms in the
/// forward pass, the kernel gradient and the input gradient (`WinogradWidth3.forward`,
/// `addKernelGradient`, `addInputGradient`). For every shape of `WinogradTests.cases`, with tiles 2 and
/// 4 outputs wide (the kernel gradient's separately), the loss and
/// the gradients of every layer must equal those of the im2col form (`winogradTraining` off), up to the
/// rounding of sums grouped differently. A 1 × 1 convolution before the layer makes the network need
/// the layer's input gradient (the first layer computes none), so that one is checked through its kernel
/// gradient.
@Suite struct WinogradTrainingTests {
    static func network(caseIndex: Int) throws -> (Model, Tensor, Tensor) {
        let c = WinogradTests.cases[caseIndex]
        let arch = Architecture(
            name: "t",
            layers: [
                LayerSpec(name: "in", kind: .input(shape: [c.height, c.width, 2])),
                LayerSpec(name: "pre", kind: .conv2D(Conv2DOptions(filters: c.channels, kernelSize: [1, 1]))),
                WinogradTests.convolution(caseIndex),
                LayerSpec(name: "f", kind: .flatten),
                LayerSpec(name: "d", kind: .dense(DenseOptions(units: 3, activation: .softmax))),
            ])
        var rng = SeededGenerator(seed: UInt64(70 + caseIndex))
        var weights = try arch.initialWeights(rng: &rng)
        for i in weights.indices {
            for j in weights[i].indices where weights[i][j].rank == 1 {
                weights[i][j].scalars = weights[i][j].scalars.map { _ in 0.3 * (2 * rng.nextUnitFloat() - 1) }
            }
        }
        let samples = 11
        let count = samples * c.height * c.width * 2
        let x = Tensor(
            shape: [samples, c.height, c.width, 2], scalars: (0..<count).map { _ in 2 * rng.nextUnitFloat() - 1 })
        let y = try Tensor.oneHot((0..<samples).map { _ in rng.nextIndex(below: 3) }, classes: 3)
        return (Model(architecture: arch, weights: weights), x, y)
    }

    @Test(arguments: 0..<WinogradTests.cases.count, [(2, 2), (4, 2), (4, 4)])
    func trainingGradientsEqualTheIm2colForm(caseIndex: Int, tiles: (Int, Int)) throws {
        let (tileWidth, gradientTileWidth) = tiles
        let (model, x, y) = try Self.network(caseIndex: caseIndex)
        let direct = try Network(model: model)
        let directConv = try #require(direct.layers[2] as? Conv2DLayer)
        directConv.winogradTraining = false
        let fast = try Network(model: model)
        let fastConv = try #require(fast.layers[2] as? Conv2DLayer)
        #expect(fastConv.winograd != nil && fastConv.winogradTraining, "the Winograd path applies")
        #expect(fastConv.gradientWinograd?.tileWidth == 2, "the kernel gradient takes F(2, 3)")
        fastConv.useWinograd(tileWidth: tileWidth, gradientTileWidth: gradientTileWidth)
        let (expectedLoss, expected) = try direct.lossAndGradients(x: x, y: y)
        let (loss, gradients) = try fast.lossAndGradients(x: x, y: y)
        #expect(abs(loss - expectedLoss) <= 1e-6 * abs(expectedLoss), "case \(caseIndex): loss")
        for (li, layer) in model.architecture.layers.enumerated() {
            for (vi, (g, e)) in zip(gradients[li], expected[li]).enumerated() {
                let scale = e.scalars.map { abs(Double($0)) }.max() ?? 0
                #expect(scale > 0, "case \(caseIndex): \(layer.name)/\(vi) has a gradient")
                let difference = zip(g.scalars, e.scalars).map { abs(Double($0) - Double($1)) }.max() ?? .infinity
                // The transforms regroup sums of float32 terms (F(4, 3) scales them by up to 8 and 1/24);
                // a wrong term gives differences of the gradient's own order.
                let tolerance = max(tileWidth, gradientTileWidth) == 4 ? 2e-5 : 5e-6
                #expect(
                    difference <= tolerance * scale,
                    "case \(caseIndex), tiles \(tiles): \(layer.name)/\(vi) differs by \(difference) (scale \(scale))")
            }
        }
    }

    /// The direct one-channel forward pass in training (NeatMS's conv2d_1) gives the loss and gradients
    /// of the im2col form.
    @Test func directOneChannelTrainingEqualsTheIm2colForm() throws {
        // The NeatMS network without its dropout layer (so that every unit's gradient is compared).
        let neatms = Architecture.neatms(matrixSize: 40)
        let layers = neatms.layers.filter {
            if case .dropout = $0.kind { return false }
            return true
        }
        let (model, _, _) = try GradientChecks.randomModel(Architecture(name: "n", layers: layers), seed: 5)
        let (x, y) = try TrainingPaths.data(samples: 9, width: 40, seed: 3)
        var results: [(Double, [[Tensor]])] = []
        for direct in [true, false] {
            let net = try Network(model: model)
            let conv = try #require(net.layers[1] as? Conv2DLayer)
            #expect(conv.directOneChannel)
            conv.directOneChannel = direct
            results.append(try net.lossAndGradients(x: x, y: y))
        }
        #expect(abs(results[0].0 - results[1].0) <= 1e-6 * abs(results[1].0))
        for (li, (gs, es)) in zip(results[0].1, results[1].1).enumerated() {
            for (g, e) in zip(gs, es) {
                let scale = e.scalars.map { abs(Double($0)) }.max() ?? 0
                let difference = zip(g.scalars, e.scalars).map { abs(Double($0) - Double($1)) }.max() ?? .infinity
                #expect(
                    scale > 0 && difference <= 5e-6 * scale, "layer \(li): differs by \(difference) (scale \(scale))")
            }
        }
    }
}
