import Tensor
import Testing

@testable import NeuralNet

/// Inference of convolutions 3 wide with stride 1 along the width runs Winograd's F(4, 3), or F(2, 3)
/// where the output is under 4 wide (`WinogradWidth3`); with either tile width its outputs must equal the
/// naive Float64 `ReferenceNetwork` for every shape the transform has to get right: widths that end in a
/// full tile or a tile with 1, 2 or 3 outputs, `same` and `valid`
/// padding, one to three input rows, kernel heights 1 to 5, channel and filter counts that are and are not
/// multiples of the vector width, ReLU, linear and other activations, and batches that end mid-tile.
@Suite struct WinogradTests {
    static let cases:
        [(
            height: Int, width: Int, channels: Int, filters: Int, kernelHeight: Int, padding: Padding,
            activation: Activation
        )] = [
            (2, 60, 32, 64, 3, .same, .relu),  // NeatMS's second convolution
            (2, 9, 3, 5, 3, .same, .relu),
            (2, 8, 8, 16, 5, .same, .linear),
            (1, 7, 4, 9, 1, .valid, .tanh),
            (3, 5, 2, 3, 3, .valid, .relu),
            (3, 2, 1, 2, 3, .same, .sigmoid),
            (2, 4, 9, 8, 2, .valid, .linear),
            (2, 6, 16, 8, 3, .same, .relu),
            (2, 7, 8, 24, 3, .same, .relu),
        ]

    /// The layer `conv` of case `caseIndex`.
    static func convolution(_ caseIndex: Int) -> LayerSpec {
        let c = cases[caseIndex]
        return LayerSpec(
            name: "conv",
            kind: .conv2D(
                Conv2DOptions(
                    filters: c.filters, kernelSize: [c.kernelHeight, 3], padding: c.padding, activation: c.activation)))
    }

    @Test(arguments: 0..<cases.count, [nil, 2, 4])
    func winogradInferenceEqualsTheReference(caseIndex: Int, tileWidth: Int?) throws {
        let c = Self.cases[caseIndex]
        let arch = Architecture(
            name: "w",
            layers: [
                LayerSpec(name: "in", kind: .input(shape: [c.height, c.width, c.channels])),
                Self.convolution(caseIndex),
                LayerSpec(name: "f", kind: .flatten),
            ])
        var rng = SeededGenerator(seed: UInt64(40 + caseIndex))
        var weights = try arch.initialWeights(rng: &rng)
        weights[1][1].scalars = weights[1][1].scalars.map { _ in 0.3 * (2 * rng.nextUnitFloat() - 1) }
        let network = try Network(model: Model(architecture: arch, weights: weights))
        let conv = try #require(network.layers[1] as? Conv2DLayer)
        #expect(conv.winograd != nil, "the Winograd path applies")
        #expect(
            conv.winograd?.tileWidth == (c.width - (c.padding == .valid ? 2 : 0) >= 4 ? 4 : 2),
            "F(4, 3) where the output is ≥ 4 wide")
        if let tileWidth { conv.useWinograd(tileWidth: tileWidth) }
        let samples = 37  // several tiles, the last one partial
        let count = samples * c.height * c.width * c.channels
        let x = Tensor(
            shape: [samples, c.height, c.width, c.channels],
            scalars: (0..<count).map { _ in 2 * rng.nextUnitFloat() - 1 })
        let reference = try ReferenceNetwork(architecture: arch, weights: weights)
            .forward(x.scalars.map(Double.init), samples: samples).output
        for batch in [samples, 5] {
            let output = try network.predict(x, batchSize: batch).scalars
            #expect(output.count == reference.count)
            let difference = zip(output, reference).map { abs(Double($0) - $1) / max(1, abs($1)) }.max() ?? .infinity
            // F(4, 3)'s transforms scale terms by up to 8 and 1/24, which costs about two bits more than
            // F(2, 3) (Lavin & Gray 2016 measure the error growing with the tile); a wrong term anywhere gives
            // differences of order 0.1.
            let tolerance = conv.winograd?.tileWidth == 4 ? 8e-6 : 2e-6
            #expect(
                difference < tolerance,
                "case \(caseIndex), tiles \(conv.winograd?.tileWidth ?? 0), batch \(batch): max relative difference \(difference)"
            )
        }
    }

    /// Kernels not 3 wide, or strided along the width, keep the direct form.
    @Test func otherShapesKeepTheDirectForm() throws {
        for (kernel, strides) in [([3, 5], [1, 1]), ([3, 3], [1, 2]), ([1, 1], [1, 1])] {
            let arch = Architecture(
                name: "d",
                layers: [
                    LayerSpec(name: "in", kind: .input(shape: [2, 8, 2])),
                    LayerSpec(
                        name: "conv",
                        kind: .conv2D(Conv2DOptions(filters: 2, kernelSize: kernel, strides: strides, padding: .same))),
                ])
            var rng = SeededGenerator(seed: 1)
            let network = try Network(model: Model(architecture: arch, weights: try arch.initialWeights(rng: &rng)))
            let conv = try #require(network.layers[1] as? Conv2DLayer)
            #expect(conv.winograd == nil, "kernel \(kernel), strides \(strides)")
        }
    }

    /// Inference after the weights changed (a training step, then `setWeights`) uses kernels made from the
    /// new weights: the NeatMS network's outputs equal, bit for bit, those of a network built from its
    /// exported model. conv2d_2 has the shared-row form.
    @Test func sharedRowKernelsFollowTheWeights() throws {
        let net = try Network.neatms(matrixSize: 40, classes: 3, optimizer: .adam(learningRate: 1e-2), seed: 2)
        let conv = try #require(net.layers[3] as? Conv2DLayer)
        #expect(conv.winograd?.sharedRows.first??.shared == [0, 1])
        let (x, y) = try TrainingPaths.data(samples: 12, width: 40, seed: 6)
        func same(_ message: Comment) throws {
            let fresh = try Network(model: net.exportModel())
            let a = try net.predict(x, batchSize: 5).scalars.map(\.bitPattern)
            let b = try fresh.predict(x, batchSize: 5).scalars.map(\.bitPattern)
            #expect(a == b, message)
        }
        try same("initial weights")
        _ = try net.fit(x: x, y: y, options: FitOptions(epochs: 1, batchSize: 6))
        try same("after training")
        var weights = net.weights
        weights[3][0].scalars = weights[3][0].scalars.map { -$0 }
        try net.setWeights(weights)
        try same("after setWeights")
    }
}
