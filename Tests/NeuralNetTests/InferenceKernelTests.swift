import Foundation
import Tensor
import Testing

@testable import NeuralNet

/// Inference runs two layers through C kernels (CKernels): `Conv2D` on one-channel input as a direct
/// convolution, and `MaxPooling2D`. Their outputs must equal the naive Float64 `ReferenceNetwork` for
/// the shapes the kernels handle separately: kernels taller and wider than the image, strides, `same`
/// and `valid` padding, widths that do and do not end in a block of four columns, filter and channel
/// counts that are and are not multiples of the vector width, with and without bias, ReLU, linear and
/// other activations, and pooling windows that hang over the border.
@Suite struct InferenceKernelTests {
    static let convolutions:
        [(
            height: Int, width: Int, filters: Int, kernel: [Int], strides: [Int], padding: Padding,
            activation: Activation, bias: Bool
        )] = [
            (2, 120, 32, [5, 5], [1, 1], .same, .relu, true),  // NeatMS's first convolution
            (2, 9, 5, [5, 5], [1, 1], .same, .relu, true),
            (3, 11, 12, [2, 3], [2, 2], .same, .linear, false),
            (4, 7, 8, [3, 1], [1, 3], .valid, .tanh, true),
            (1, 3, 9, [1, 3], [1, 1], .valid, .sigmoid, true),
            (5, 6, 17, [7, 4], [1, 2], .same, .relu, true),
        ]

    static let poolings: [(height: Int, width: Int, channels: Int, pool: [Int], strides: [Int]?, padding: Padding)] = [
        (2, 120, 32, [1, 2], nil, .valid),  // NeatMS's pooling
        (2, 9, 5, [1, 2], nil, .same),
        (5, 7, 12, [2, 3], [1, 2], .same),
        (4, 4, 9, [3, 3], [1, 1], .valid),
        (3, 5, 8, [2, 2], nil, .same),
    ]

    /// A network of one convolution or pooling layer, its random input and the reference's output.
    static func run(_ layer: LayerSpec, input: [Int], seed: UInt64) throws -> (Network, Tensor, [Double]) {
        let arch = Architecture(
            name: "k",
            layers: [
                LayerSpec(name: "in", kind: .input(shape: input)), layer, LayerSpec(name: "f", kind: .flatten),
            ])
        var rng = SeededGenerator(seed: seed)
        var weights = try arch.initialWeights(rng: &rng)
        for j in weights[1].indices where weights[1][j].rank == 1 {
            weights[1][j].scalars = weights[1][j].scalars.map { _ in 0.3 * (2 * rng.nextUnitFloat() - 1) }
        }
        let samples = 13
        let count = samples * input.reduce(1, *)
        let x = Tensor(shape: [samples] + input, scalars: (0..<count).map { _ in 2 * rng.nextUnitFloat() - 1 })
        let reference = try ReferenceNetwork(architecture: arch, weights: weights)
            .forward(x.scalars.map(Double.init), samples: samples).output
        return (try Network(model: Model(architecture: arch, weights: weights)), x, reference)
    }

    static func maxDifference(_ output: [Float], _ reference: [Double]) -> Double {
        guard output.count == reference.count else { return .infinity }
        return zip(output, reference).map { abs(Double($0) - $1) / max(1, abs($1)) }.max() ?? 0
    }

    @Test(arguments: 0..<convolutions.count)
    func oneChannelConvolutionEqualsTheReference(caseIndex: Int) throws {
        let c = Self.convolutions[caseIndex]
        let layer = LayerSpec(
            name: "conv",
            kind: .conv2D(
                Conv2DOptions(
                    filters: c.filters, kernelSize: c.kernel, strides: c.strides, padding: c.padding,
                    activation: c.activation, useBias: c.bias)))
        let (network, x, reference) = try Self.run(layer, input: [c.height, c.width, 1], seed: UInt64(70 + caseIndex))
        let conv = try #require(network.layers[1] as? Conv2DLayer)
        #expect(conv.directOneChannel, "one-channel input takes the direct form")
        for batch in [13, 4] {
            let difference = Self.maxDifference(try network.predict(x, batchSize: batch).scalars, reference)
            #expect(difference < 2e-6, "case \(caseIndex), batch \(batch): max relative difference \(difference)")
        }
        // The GEMM form gives the same outputs.
        conv.directOneChannel = false
        let gemm = Self.maxDifference(try network.predict(x, batchSize: 13).scalars, reference)
        #expect(gemm < 2e-6, "case \(caseIndex), GEMM form: max relative difference \(gemm)")
    }

    @Test(arguments: 0..<poolings.count)
    func maxPoolingEqualsTheReference(caseIndex: Int) throws {
        let p = Self.poolings[caseIndex]
        let layer = LayerSpec(
            name: "pool", kind: .maxPooling2D(Pool2DOptions(poolSize: p.pool, strides: p.strides, padding: p.padding)))
        let (network, x, reference) = try Self.run(
            layer, input: [p.height, p.width, p.channels], seed: UInt64(90 + caseIndex))
        for batch in [13, 4] {
            let output = try network.predict(x, batchSize: batch).scalars
            // Pooling only selects inputs: the float32 result is the reference exactly.
            let mismatches = zip(output, reference).filter { Double($0) != $1 }.count
            #expect(
                output.count == reference.count && mismatches == 0,
                "case \(caseIndex), batch \(batch): \(mismatches) outputs differ")
        }
    }

    /// A one-channel convolution followed by MaxPooling2D((1, 2)) before a Dense layer pools inside the
    /// convolution's kernel in inference; the outputs must be the separate layers' bit for bit, for widths
    /// that end in a block of four columns or not (the pairs then straddle the single-column loop) and
    /// filter counts that are and are not multiples of the vector width, with ReLU and linear.
    @Test(arguments: [(120, 32, Activation.relu), (14, 12, .relu), (10, 5, .linear), (6, 16, .linear)])
    func pooledConvolutionEqualsTheSeparateLayers(width: Int, filters: Int, activation: Activation) throws {
        let arch = Architecture(
            name: "p",
            layers: [
                LayerSpec(name: "in", kind: .input(shape: [2, width, 1])),
                LayerSpec(
                    name: "conv",
                    kind: .conv2D(
                        Conv2DOptions(filters: filters, kernelSize: [5, 5], padding: .same, activation: activation))),
                LayerSpec(name: "pool", kind: .maxPooling2D(Pool2DOptions(poolSize: [1, 2], strides: [1, 2]))),
                LayerSpec(name: "f", kind: .flatten),
                LayerSpec(name: "d", kind: .dense(DenseOptions(units: 3, activation: .linear))),
            ])
        var rng = SeededGenerator(seed: UInt64(width * 100 + filters))
        var weights = try arch.initialWeights(rng: &rng)
        weights[1][1].scalars = weights[1][1].scalars.map { _ in 0.3 * (2 * rng.nextUnitFloat() - 1) }
        let network = try Network(model: Model(architecture: arch, weights: weights))
        #expect(network.pooledIntoPrevious == [false, false, true, false, false])
        let samples = 11
        let x = Tensor(
            shape: [samples, 2, width, 1], scalars: (0..<(samples * 2 * width)).map { _ in 2 * rng.nextUnitFloat() - 1 }
        )
        let fused = try network.predict(x, batchSize: 4).scalars
        network.fusesPooling = false
        let separate = try network.predict(x, batchSize: 4).scalars
        #expect(fused.map(\.bitPattern) == separate.map(\.bitPattern))
        let reference = try ReferenceNetwork(architecture: arch, weights: weights)
            .forward(x.scalars.map(Double.init), samples: samples).output
        let difference = Self.maxDifference(fused, reference)
        #expect(difference < 2e-6, "width \(width): max relative difference \(difference)")
    }
    /// Inference runs a network with tiled layers in chunks of `Network.inferenceChunk` samples, the last
    /// tiled layer's output in a chunk buffer that the first Dense layer reads. For batches that span
    /// several chunks (with a partial last one) and with several parts, the outputs must equal the
    /// Float64 reference, be bit for bit those of one sample at a time, and `evaluate`'s loss (read from
    /// the last layer's logits, indexed by sample) must be the reference's cross-entropy.
    @Test(arguments: [1, 2])
    func chunkedInferenceEqualsTheReference(threads: Int) throws {
        let arch = Architecture(
            name: "c",
            layers: [
                LayerSpec(name: "in", kind: .input(shape: [2, 16, 1])),
                LayerSpec(
                    name: "conv",
                    kind: .conv2D(Conv2DOptions(filters: 4, kernelSize: [3, 3], padding: .same, activation: .relu))),
                LayerSpec(name: "f", kind: .flatten),
                LayerSpec(name: "d", kind: .dense(DenseOptions(units: 3, activation: .softmax))),
            ])
        var rng = SeededGenerator(seed: 123)
        let weights = try arch.initialWeights(rng: &rng)
        let network = try Network(
            model: Model(
                architecture: arch, weights: weights, compile: CompileConfig(optimizer: .sgd(learningRate: 0.1))))
        network.threads = threads
        let samples = 2 * Network.inferenceChunk + 13
        let x = Tensor(
            shape: [samples, 2, 16, 1], scalars: (0..<(samples * 32)).map { _ in 2 * rng.nextUnitFloat() - 1 })
        let labels = (0..<samples).map { _ in rng.nextIndex(below: 3) }
        let y = try Tensor.oneHot(labels, classes: 3)
        let reference = try ReferenceNetwork(architecture: arch, weights: weights)
            .forward(x.scalars.map(Double.init), samples: samples).output
        let whole = try network.predict(x, batchSize: samples).scalars
        let difference = Self.maxDifference(whole, reference)
        #expect(difference < 2e-6, "max relative difference \(difference)")
        for batch in [1, Network.inferenceChunk + 1] {
            let output = try network.predict(x, batchSize: batch).scalars
            #expect(output.map(\.bitPattern) == whole.map(\.bitPattern), "batch \(batch)")
        }
        let crossEntropy = labels.enumerated().map { n, label in -log(reference[n * 3 + label]) }.reduce(0, +)
        let loss = try #require(try network.evaluate(x: x, y: y, batchSize: samples)["loss"])
        #expect(abs(loss - crossEntropy / Double(samples)) < 1e-5, "loss \(loss)")
    }
}
