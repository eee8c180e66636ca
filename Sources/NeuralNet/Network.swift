import Foundation
import Support
import Tensor

/// One layer as `Network.layers` lists it (the seed's `for layer in model.layers: print(layer, layer.trainable)`).
public struct LayerSummary: Sendable, Equatable {
    public var name: String
    /// Keras class name (`Conv2D`, `Dense`, …).
    public var className: String
    /// Output shape without the batch dimension.
    public var outputShape: [Int]
    public var parameterCount: Int
    public var trainable: Bool
}

/// A runnable, trainable network built from a `Model` (architecture + Keras-layout weights + optional
/// compile config and optimiser state). It knows nothing about files: load a `Model` with
/// KerasFormat, run it here, export it back with `exportModel()`.
///
/// Typical use (mirroring NeatMS's `NN_handler`):
/// ```swift
/// let net = try Network.neatms(matrixSize: 120, classes: 3, optimizer: .adam(learningRate: 1e-5), seed: 42)
/// // or: let net = try Network(model: loadedModel)
/// try net.freeze(layers: ["conv2d_1", "max_pooling2d_1", "conv2d_2"])   // or net.freeze(firstLayers: 4)
/// try net.compile(optimizer: .adam(learningRate: 1e-5))
/// let history = try net.fit(x: x, y: y, options: FitOptions(epochs: 10, validation: (xv, yv)))
/// let probabilities = try net.predict(x, batchSize: 1024)
/// let trained = net.exportModel()   // write with KerasFormat
/// ```
/// Inputs are float32 tensors `(N, h, w, c)` (a trailing channel of 1 may be omitted); targets are
/// one-hot `(N, classes)`. A `Network` is not thread-safe: use it from one task at a time. Internally it
/// may run parts of a batch on `threads` cores (results do not depend on scheduling).
public final class Network {
    /// The architecture, with each layer's current `trainable` flag.
    public private(set) var architecture: Architecture
    /// How the network is compiled (optimiser, loss, metrics).
    public private(set) var compileConfig: CompileConfig
    /// Input shape without the batch dimension, e.g. `[2, 120, 1]`.
    public let inputShape: [Int]
    /// Output shape without the batch dimension, e.g. `[3]`.
    public let outputShape: [Int]
    /// Cores used for batch work: forward passes are split by sample, large backward GEMMs and the
    /// optimiser update by rows of their output, each part running single-threaded BLAS. No sum is
    /// split between parts (each output element's reduction runs in one part, in the same order), and
    /// the regulariser sums add fixed blocks in order, so training gives the same weights and logs for
    /// any value. Default: the active cores, at most 8; 1 for single-thread runs.
    public var threads: Int

    let layers: [EngineLayer]
    let weightShapes: [[[Int]]]
    let inputSize: Int
    let outputSize: Int
    var rng: SeededGenerator
    var optimizer: Optimizer
    var workspace = Workspace()
    /// Changes with every `setWeights` and training step, so that values computed from the weights
    /// (packed kernels, kept frozen outputs) can tell they are stale.
    var weightsVersion = 0
    /// Counts `setWeights` calls only (training steps leave frozen layers alone).
    var weightsReplaced = 0
    /// Whether `fit` keeps the outputs of a frozen start of the network per sample (see
    /// `frozenPrefixEnd`) instead of recomputing them every epoch; tests switch it off to compare.
    var cachesFrozenOutputs = true
    /// How many times `fit` computed kept frozen outputs (tests check that the kept path ran).
    var frozenOutputsComputed = 0
    /// The regulariser term for the current weights, when known (kept by the optimiser's update pass).
    var cachedRegularization: Double?
    /// Per layer: a pooling layer whose inference the convolution before it does (`Conv2DLayer.canPool`;
    /// both in the tiled part of `forward`, before the first Dense layer).
    let pooledIntoPrevious: [Bool]
    /// Inference folds those pooling layers into their convolutions; tests switch it off to compare.
    var fusesPooling = true {
        didSet {
            for (i, fused) in pooledIntoPrevious.enumerated() where fused {
                (layers[i - 1] as? Conv2DLayer)?.poolsInInference = fusesPooling
            }
        }
    }

    /// Builds the network for `model`, taking its weights, compile config and optimiser state.
    /// Without a compile config it is compiled with Adam (lr 1e-5, NeatMS's default).
    /// `seed` drives shuffling and dropout.
    public init(model: Model, seed: UInt64 = 0) throws {
        let arch = model.architecture
        let outputs: [[Int]]
        let shapes: [[[Int]]]
        do {
            outputs = try arch.outputShapes()
            shapes = try arch.weightShapes()
        } catch let e as ArchitectureError {
            throw NetworkError.architecture(e)
        }
        guard let first = outputs.first, let last = outputs.last else {
            throw NetworkError.invalidArgument("model '\(arch.name)' has no layers")
        }
        architecture = arch
        inputShape = first
        outputShape = last
        weightShapes = shapes
        inputSize = first.reduce(1, *)
        outputSize = last.reduce(1, *)
        var built: [EngineLayer] = []
        for (i, spec) in arch.layers.enumerated() {
            let inShape = i == 0 ? first : outputs[i - 1]
            let outShape = outputs[i]
            switch spec.kind {
            case .input, .flatten:
                built.append(PassThroughLayer(spec: spec, inputSize: inShape.reduce(1, *)))
            case .conv2D(let o):
                built.append(Conv2DLayer(spec: spec, options: o, inputShape: inShape, outputShape: outShape))
            case .maxPooling2D(let o):
                built.append(MaxPoolingLayer(spec: spec, options: o, inputShape: inShape, outputShape: outShape))
            case .dense(let o):
                built.append(DenseLayer(spec: spec, options: o, inputSize: inShape.reduce(1, *)))
            case .dropout(let rate):
                guard rate >= 0 && rate < 1 else {
                    throw NetworkError.architecture(
                        ArchitectureError(layer: spec.name, problem: "dropout rate \(rate) is not in [0, 1)"))
                }
                built.append(DropoutLayer(spec: spec, rate: rate, inputSize: inShape.reduce(1, *)))
            case .activation(let a):
                built.append(ActivationLayer(spec: spec, activation: a, inputShape: inShape))
            }
        }
        layers = built
        var pooled = Array(repeating: false, count: built.count)
        if let firstDense = built.firstIndex(where: { $0 is DenseLayer }) {
            for i in built.indices where i >= 1 && i + 1 < firstDense {
                guard let conv = built[i] as? Conv2DLayer, let pool = built[i + 1] as? MaxPoolingLayer,
                    conv.canPool(pool)
                else { continue }
                conv.poolsInInference = true
                pooled[i + 1] = true
            }
        }
        pooledIntoPrevious = pooled
        rng = SeededGenerator(seed: seed)
        compileConfig = model.compile ?? CompileConfig(optimizer: .adam(learningRate: 1e-5))
        optimizer = Optimizer(config: compileConfig.optimizer)
        threads = min(max(Cores.available, 1), 8)
        // The loss and metrics matter only for training: inference runs whatever the model was
        // compiled with, and `fit`/`evaluate` check them (`validateTraining()`).
        try setWeights(model.weights)
        if let state = model.optimizerState { try optimizer.load(state, shapes: shapes, layers: arch.layers) }
    }

    /// A network with fresh Keras-default weights (Glorot-uniform kernels, zero biases) drawn from
    /// `seed`, compiled with `compile` (default Adam, lr 1e-5).
    public convenience init(architecture: Architecture, compile: CompileConfig? = nil, seed: UInt64 = 0) throws {
        var init_rng = SeededGenerator(seed: seed)
        let weights = try architecture.initialWeights(rng: &init_rng)
        try self.init(
            model: Model(architecture: architecture, weights: weights, compile: compile), seed: seed &+ 1)
    }

    /// NeatMS's `create_model(lr, optimizer)` without a file: the network of docs/NEATMS-BEHAVIOUR.md#network for
    /// `(2, matrixSize)` inputs and `classes` outputs, freshly initialised and compiled.
    public static func neatms(
        matrixSize: Int = 120, classes: Int = 3, optimizer: OptimizerConfig = .adam(learningRate: 1e-5),
        seed: UInt64 = 0
    ) throws -> Network {
        try Network(
            architecture: .neatms(matrixSize: matrixSize, classes: classes),
            compile: CompileConfig(optimizer: optimizer), seed: seed)
    }

    // MARK: Layers and freezing

    /// The layers in order with their class, output shape, parameter count and trainable flag.
    public var layerSummaries: [LayerSummary] {
        architecture.layers.enumerated().map { i, spec in
            LayerSummary(
                name: spec.name, className: spec.kind.kerasClassName, outputShape: layerOutputShape(i),
                parameterCount: weightShapes[i].reduce(0) { $0 + $1.reduce(1, *) }, trainable: spec.trainable)
        }
    }

    private func layerOutputShape(_ i: Int) -> [Int] {
        (try? architecture.outputShapes()[i]) ?? []
    }

    /// Sets the `trainable` flag of the named layers (Keras `model.get_layer(name).trainable = flag`).
    /// Takes effect for the next training step. Throws for an unknown name (nothing is changed then).
    public func setTrainable(_ trainable: Bool, layers names: [String]) throws {
        var indices: [Int] = []
        for name in names {
            guard let i = architecture.layers.firstIndex(where: { $0.name == name }) else {
                throw NetworkError.unknownLayer(name)
            }
            indices.append(i)
        }
        for i in indices { architecture.layers[i].trainable = trainable }
    }

    /// Freezes the named layers (their weights stay bit-identical while training).
    public func freeze(layers names: [String]) throws { try setTrainable(false, layers: names) }

    /// Freezes the first `count` layers, the input layer included (Keras `model.layers[:count]`).
    public func freeze(firstLayers count: Int) throws {
        guard count >= 0 else { throw NetworkError.invalidArgument("cannot freeze the first \(count) layers") }
        for i in 0..<min(count, architecture.layers.count) { architecture.layers[i].trainable = false }
    }

    /// Makes every layer trainable.
    public func unfreezeAll() {
        for i in architecture.layers.indices { architecture.layers[i].trainable = true }
    }

    /// Total, trainable and non-trainable parameter counts (as in Keras's summary).
    public var parameterCounts: (total: Int, trainable: Int, nonTrainable: Int) {
        let s = layerSummaries
        let total = s.reduce(0) { $0 + $1.parameterCount }
        let trainable = s.filter(\.trainable).reduce(0) { $0 + $1.parameterCount }
        return (total, trainable, total - trainable)
    }

    // MARK: Compiling

    /// Compiles with a new optimiser (Keras `model.compile(optimizer=…)`): the optimiser state
    /// (iterations, moments) starts afresh. Loss and metrics stay as compiled.
    public func compile(optimizer config: OptimizerConfig) throws {
        let cc = CompileConfig(optimizer: config, loss: compileConfig.loss, metrics: compileConfig.metrics)
        try validate(compile: cc)
        compileConfig = cc
        optimizer = Optimizer(config: config)
    }

    /// Refuses a compile config that `fit` and `evaluate` cannot honour (unsupported loss or
    /// metric, bad learning rate); inference needs none of it.
    public func validateTraining() throws {
        try validate(compile: compileConfig)
    }

    private func validate(compile: CompileConfig) throws {
        let o = compile.optimizer
        guard o.learningRate.isFinite && o.learningRate >= 0 else {
            throw NetworkError.invalidArgument("learning rate \(o.learningRate) must be a non-negative number")
        }
        guard Loss(name: compile.loss) != nil else {
            throw NetworkError.invalidArgument("loss '\(compile.loss)' is not supported (\(Loss.supportedNames))")
        }
        for m in compile.metrics where !Metric.supported.contains(m) {
            throw NetworkError.invalidArgument("metric '\(m)' is not supported (accuracy, mae, mse)")
        }
    }

    // MARK: Weights

    /// The current weights, `[layer][variable]` in Keras order and layout.
    public var weights: [[Tensor]] {
        layers.enumerated().map { i, layer in
            zip(layer.variables, weightShapes[i]).map { Tensor(shape: $1, scalars: $0.array) }
        }
    }

    /// Replaces all weights; shapes must match the architecture (the error names the layer).
    public func setWeights(_ weights: [[Tensor]]) throws {
        guard weights.count == layers.count else {
            throw NetworkError.invalidArgument("expected weights for \(layers.count) layers, got \(weights.count)")
        }
        for (i, layer) in layers.enumerated() {
            let expected = weightShapes[i]
            guard weights[i].count == expected.count else {
                throw NetworkError.weightCount(layer: layer.spec.name, expected: expected.count, got: weights[i].count)
            }
            for (j, t) in weights[i].enumerated() where t.shape != expected[j] {
                throw NetworkError.weightShape(layer: layer.spec.name, index: j, expected: expected[j], got: t.shape)
            }
        }
        cachedRegularization = nil
        weightsVersion += 1
        weightsReplaced += 1
        for (i, layer) in layers.enumerated() {
            for (buffer, t) in zip(layer.variables, weights[i]) {
                t.scalars.withUnsafeBufferPointer { src in
                    if let base = src.baseAddress { buffer.pointer.update(from: base, count: t.count) }
                }
            }
        }
    }

    /// The network as a `Model`: architecture with trainable flags, current weights, the compile
    /// config actually used, and the optimiser state (iterations; Adam `m`/`v` or SGD `momentum`
    /// slots shaped like the weights, empty for non-trainable and weightless layers).
    public func exportModel() -> Model {
        Model(
            architecture: architecture, weights: weights, compile: compileConfig,
            optimizerState: optimizer.export(shapes: weightShapes, layers: architecture.layers))
    }

    // MARK: Inference

    /// Output probabilities `(N, classes)` for inputs `(N, …inputShape)`, computed `batchSize` samples
    /// at a time (Keras `model.predict(x, batch_size)`).
    public func predict(_ x: Tensor, batchSize: Int = 32) throws -> Tensor {
        let n = try sampleCount(of: x)
        guard batchSize >= 1 else {
            throw NetworkError.invalidArgument("batch size must be at least 1, got \(batchSize)")
        }
        var result = [Float](repeating: 0, count: n * outputSize)
        let batch = min(batchSize, max(n, 1))
        workspace.reserve(network: self, batch: batch, training: false)
        x.scalars.withUnsafeBufferPointer { xs in
            result.withUnsafeMutableBufferPointer { out in
                guard let xBase = xs.baseAddress, let outBase = out.baseAddress else { return }
                var start = 0
                while start < n {
                    let count = min(batch, n - start)
                    let y = forward(input: xBase + start * inputSize, count: count, training: false)
                    (outBase + start * outputSize).update(from: y, count: count * outputSize)
                    start += count
                }
            }
        }
        return Tensor(shape: [n] + outputShape, scalars: result)
    }

    /// Number of samples in `x`, checking its shape against `inputShape` (a trailing channel of 1 may
    /// be omitted, as in NeatMS's `(N, 2, n)` matrices).
    func sampleCount(of x: Tensor) throws -> Int {
        guard let n = x.shape.first else { throw NetworkError.inputShape(expected: inputShape, got: x.shape) }
        let rest = Array(x.shape.dropFirst())
        guard rest == inputShape || (inputShape.last == 1 && rest == Array(inputShape.dropLast())) else {
            throw NetworkError.inputShape(expected: inputShape, got: x.shape)
        }
        return n
    }

    /// Runs the layers on `count` samples at `input`; returns the output of the last layer run (valid
    /// until the next pass). The workspace must be reserved for at least `count` samples. In training,
    /// `layers` may name a part of the network: layer `layers.lowerBound − 1`'s output must then already
    /// be in its workspace buffer (or be `input` when that is layer 0).
    func forward(
        input: UnsafePointer<Float>, count: Int, training: Bool, layers run: Range<Int>? = nil
    ) -> UnsafePointer<Float> {
        let run = run ?? 1..<self.layers.count
        precondition(training || run == 1..<self.layers.count, "only a training pass runs part of the network")
        for layer in self.layers[run] { layer.prepareForward(training: training, weightsVersion: weightsVersion) }
        let pointers = workspace.outputPointers(input: UnsafeMutablePointer(mutating: input))
        let parts = forwardParts(count)
        BLAS.setThreadCount(1)
        let layers = self.layers
        // In inference, the layers before the first Dense run tile by tile, so that each tile's
        // activations stay in cache from layer to layer; Dense layers (whose weights are the large
        // operand) run once over the whole part. Within a tile, every layer but the last writes to the
        // worker's two small scratch buffers in turn (never to the batch-sized buffers, which are then
        // not even paged in); the last writes where the Dense layer reads. Every sample's arithmetic is
        // the same either way.
        let tiled = training ? 1 : (layers.firstIndex { $0 is DenseLayer } ?? 1)
        let lastTiled = (1..<max(tiled, 1)).last { !layers[$0].aliasesInput }
        let tile = Self.inferenceTile
        let scratch = workspace.scratchPointers
        // A convolution that also pools (`pooledIntoPrevious`) writes the pooling layer's output.
        let pooled = fusesPooling ? pooledIntoPrevious : Array(repeating: false, count: layers.count)
        // With tiles, a part runs the whole network on `inferenceChunk` samples at a time, and the last
        // tiled layer writes to the worker's chunk buffer, where the first Dense layer reads it: the
        // Dense layer's input (30 KB per sample for NeatMS) then stays in cache instead of going through
        // a batch-sized buffer in memory. Rows of a Dense product do not depend on each other, so every
        // sample's numbers are the same for any chunk.
        let chunked = lastTiled != nil
        let chunk = chunked ? Self.inferenceChunk : max(count, 1)
        let chunks = workspace.chunkPointers
        parallelParts(parts) { part in
            let whole = partRange(part, of: parts, count: count)
            var chunkStart = whole.lowerBound
            repeat {
                let range = chunkStart..<min(chunkStart + chunk, whole.upperBound)
                chunkStart = range.upperBound
                var start = range.lowerBound
                while start < range.upperBound {
                    let end = min(start + tile, range.upperBound)
                    var source: UnsafePointer<Float>?
                    var slot = 0
                    for i in 1..<tiled where !layers[i].aliasesInput && !pooled[i] {
                        let x = source ?? UnsafePointer(pointers[i - 1].base + start * layers[i].inputSize)
                        let target = i + 1 < tiled && pooled[i + 1] ? i + 1 : i
                        let y: UnsafeMutablePointer<Float>
                        if target == lastTiled {
                            y = chunks[part].base + (start - range.lowerBound) * layers[target].outputSize
                        } else {
                            y = scratch[2 * part + slot].base
                            slot = 1 - slot
                        }
                        layers[i].forward(x, y, samples: 0..<(end - start), worker: part, training: false)
                        source = UnsafePointer(y)
                    }
                    start = end
                }
                for i in max(1, tiled, run.lowerBound)..<run.upperBound where !layers[i].aliasesInput {
                    if chunked && i == tiled, let dense = layers[i] as? DenseLayer {
                        dense.forward(rows: chunks[part].base, pointers[i].base, samples: range, training: false)
                    } else {
                        layers[i].forward(
                            pointers[i - 1].base, pointers[i].base, samples: range, worker: part, training: training)
                    }
                }
            } while chunkStart < whole.upperBound
        }
        return UnsafePointer(pointers[run.upperBound - 1].base)
    }

    /// Samples per tile of the convolutional part of an inference pass (see `forward`).
    static let inferenceTile = 8

    /// Samples per chunk of an inference pass (see `forward`): NeatMS's dense_1 input of 32 samples
    /// (983 KB) stays in the core's L2 cache.
    static let inferenceChunk = 32

    /// How many concurrent parts a forward pass over `count` samples uses.
    func forwardParts(_ count: Int) -> Int {
        let parts = max(1, min(threads, count / 8))
        return parts
    }
}

/// Per-layer activation and gradient buffers for a batch capacity. Layers whose output aliases their
/// input (InputLayer, Flatten) share their input's buffers.
struct Workspace {
    private(set) var capacity = 0
    private(set) var workers = 0
    private(set) var training = false
    private var outputs: [FloatBuffer?] = []
    private var gradients: [FloatBuffer?] = []
    /// The gathered input batch during training.
    private(set) var input = FloatBuffer(count: 0)
    /// Two tile-sized scratch buffers per worker for the tiled layers of an inference pass.
    private var scratch: [FloatBuffer] = []
    /// One chunk buffer per worker for the last tiled layer's output (see `Network.forward`).
    private var chunks: [FloatBuffer] = []
    /// Index of the layer whose buffer layer `i`'s output lives in (0 = the network input).
    private var storage: [Int] = []

    mutating func reserve(network: Network, batch: Int, training needTraining: Bool) {
        let layers = network.layers
        let workersNeeded = max(1, network.threads)
        if storage.count != layers.count {
            storage = layers.indices.map { $0 }
            for i in layers.indices where i > 0 && layers[i].aliasesInput { storage[i] = storage[i - 1] }
            outputs = Array(repeating: nil, count: layers.count)
            gradients = Array(repeating: nil, count: layers.count)
        }
        let grow = batch > capacity
        let newCapacity = max(batch, capacity)
        if grow || (needTraining && !training) || workersNeeded > workers {
            for (i, layer) in layers.enumerated() where i > 0 && !layer.aliasesInput {
                if grow || outputs[i] == nil { outputs[i] = FloatBuffer(count: newCapacity * layer.outputSize) }
                if needTraining || training {
                    if grow || gradients[i] == nil { gradients[i] = FloatBuffer(count: newCapacity * layer.outputSize) }
                }
            }
            if needTraining || training {
                if grow || input.count == 0 { input = FloatBuffer(count: newCapacity * network.inputSize) }
            }
            training = training || needTraining
            capacity = newCapacity
            workers = max(workers, workersNeeded)
            let largest = layers.map(\.outputSize).max() ?? 0
            if scratch.count < 2 * workers {
                scratch = (0..<(2 * workers)).map { _ in FloatBuffer(count: Network.inferenceTile * largest) }
                chunks = (0..<workers).map { _ in FloatBuffer(count: Network.inferenceChunk * largest) }
            }
            for layer in layers { layer.reserve(batch: capacity, workers: workers, training: training) }
        }
    }

    /// Output pointer of each layer, given the network input.
    func outputPointers(input: UnsafeMutablePointer<Float>) -> [SharedPointer] {
        storage.map { s in SharedPointer(s == 0 ? input : outputs[s]!.pointer) }
    }

    /// The inference scratch buffers: worker `w` owns entries `2w` and `2w + 1`.
    var scratchPointers: [SharedPointer] { scratch.map { SharedPointer($0.pointer) } }

    /// The inference chunk buffers, one per worker.
    var chunkPointers: [SharedPointer] { chunks.map { SharedPointer($0.pointer) } }

    /// Gradient pointer (w.r.t. each layer's output); index 0 (the network input) has none.
    func gradientPointers() -> [SharedPointer?] {
        storage.map { s in s == 0 ? nil : gradients[s].map { SharedPointer($0.pointer) } }
    }
}
