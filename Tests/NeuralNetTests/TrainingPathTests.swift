import Tensor
import Testing

@testable import NeuralNet

/// Training paths that must give exactly the numbers of the ordinary one: the kept outputs of a frozen
/// convolutional base, and any thread count.
@Suite struct TrainingPaths {
    /// NeatMS-like matrices (an intensity row and a 0/1 window row) and random one-hot labels.
    static func data(samples n: Int, width: Int, seed: UInt64) throws -> (x: Tensor, y: Tensor) {
        var rng = SeededGenerator(seed: seed)
        var scalars = [Float](repeating: 0, count: n * 2 * width)
        for i in 0..<n {
            for j in 0..<width { scalars[i * 2 * width + j] = rng.nextUnitFloat() }
            for j in (width / 3)..<(2 * width / 3) { scalars[i * 2 * width + width + j] = 1 }
        }
        let y = try Tensor.oneHot((0..<n).map { _ in rng.nextIndex(below: 3) }, classes: 3)
        return (Tensor(shape: [n, 2, width], scalars: scalars), y)
    }

    /// Trains a fresh NeatMS network (seed 7) and returns it with its history.
    static func train(
        width: Int, samples: Int, batchSize: Int, epochs: Int, freezeFirst: Int, threads: Int, keepFrozen: Bool
    ) throws -> (net: Network, history: History) {
        let net = try Network.neatms(matrixSize: width, classes: 3, optimizer: .adam(learningRate: 1e-3), seed: 7)
        try net.freeze(firstLayers: freezeFirst)
        net.threads = threads
        net.cachesFrozenOutputs = keepFrozen
        let (x, y) = try data(samples: samples, width: width, seed: 11)
        let history = try net.fit(x: x, y: y, options: FitOptions(epochs: epochs, batchSize: batchSize, shuffle: true))
        return (net, history)
    }

    static func bits(_ net: Network) -> [[[UInt32]]] {
        net.weights.map { $0.map { $0.scalars.map(\.bitPattern) } }
    }

    /// Frozen input + convolutional base (NeatMS's fine-tuning, `model.layers[:4]`), dropout after it:
    /// the kept base outputs give bit for bit the weights and logs of recomputing them every epoch,
    /// over several shuffled epochs, with a last batch smaller than the others.
    @Test func keptFrozenOutputsGiveTheOrdinaryNumbers() throws {
        let kept = try Self.train(
            width: 40, samples: 30, batchSize: 8, epochs: 4, freezeFirst: 4, threads: 1, keepFrozen: true)
        let ordinary = try Self.train(
            width: 40, samples: 30, batchSize: 8, epochs: 4, freezeFirst: 4, threads: 1, keepFrozen: false)
        #expect(kept.net.frozenOutputsComputed == 1)
        #expect(ordinary.net.frozenOutputsComputed == 0)
        let sameWeights = Self.bits(kept.net) == Self.bits(ordinary.net)
        #expect(sameWeights)
        #expect(kept.history.epochs.map(\.values) == ordinary.history.epochs.map(\.values))
        // Training did change the trainable layers.
        let start = try Network.neatms(matrixSize: 40, classes: 3, optimizer: .adam(learningRate: 1e-3), seed: 7)
        #expect(Self.bits(kept.net)[5] != Self.bits(start)[5])
        #expect(Self.bits(kept.net)[1] == Self.bits(start)[1])
    }

    /// Frozen layers get no gradient: their gradient buffers are never written (they start as zeros).
    @Test func frozenLayersComputeNoGradients() throws {
        let run = try Self.train(
            width: 40, samples: 16, batchSize: 8, epochs: 1, freezeFirst: 4, threads: 1, keepFrozen: false)
        let layers = run.net.layers
        for i in [1, 3] {
            #expect(layers[i].gradients.allSatisfy { g in g.array.allSatisfy { $0 == 0 } }, "layer \(i)")
        }
        #expect(layers[5].gradients[1].array.contains { $0 != 0 })
    }

    /// The whole network trained on one thread and on two gives bit-identical weights and logs (batches
    /// split differently between the parts, and a last batch too small to split).
    /// Width 120 is NeatMS's; at width 42 the halves of dense_1's kernel do not fall on the boundaries
    /// of its update blocks.
    @Test(arguments: [120, 42]) func threadCountDoesNotChangeResults(width: Int) throws {
        let one = try Self.train(
            width: width, samples: 56, batchSize: 24, epochs: 2, freezeFirst: 0, threads: 1, keepFrozen: true)
        let two = try Self.train(
            width: width, samples: 56, batchSize: 24, epochs: 2, freezeFirst: 0, threads: 2, keepFrozen: true)
        let sameWeights = Self.bits(one.net) == Self.bits(two.net)
        #expect(sameWeights)
        #expect(one.history.epochs.map(\.values) == two.history.epochs.map(\.values))
    }
}
