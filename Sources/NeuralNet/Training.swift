import CKernels
import Dispatch
import Foundation
import Tensor

/// The logs of one finished epoch: `loss` (cross-entropy + regularisation, batch-size-weighted mean
/// over the epoch, as Keras reports it), the compiled metrics (`accuracy`, `mae`, …), and with
/// validation data the same names prefixed `val_` (computed after the epoch, dropout off).
public struct EpochLogs: Sendable, Equatable {
    /// 0-based epoch index within this `fit` call.
    public var epoch: Int
    /// Metric values by Keras name, e.g. `loss`, `accuracy`, `mae`, `val_loss`.
    public var values: [String: Double]
    /// Wall-clock seconds the epoch took (training and validation).
    public var seconds: Double
    /// The metric names in Keras's display order (loss, metrics, then val_ counterparts).
    public var orderedNames: [String]

    public init(epoch: Int, values: [String: Double], seconds: Double, orderedNames: [String]) {
        self.epoch = epoch
        self.values = values
        self.seconds = seconds
        self.orderedNames = orderedNames
    }

    public subscript(name: String) -> Double? { values[name] }
}

/// Progress within an epoch, reported after every batch.
public struct BatchProgress: Sendable, Equatable {
    public var epoch: Int
    /// Batches done in this epoch (1-based) and the epoch's batch count.
    public var batch: Int
    public var batches: Int
    /// Running epoch means of the training metrics so far (same names as `EpochLogs`).
    public var values: [String: Double]
}

/// What a callback asks the training loop to do next.
public enum TrainingDecision: Sendable, Equatable {
    case proceed, stop
}

/// Keras's `EarlyStopping`: stop when `monitor` has not improved by more than `minDelta` for
/// `patience` epochs (checked from the second epoch on) and, with `restoreBestWeights`, put back the
/// weights of the best epoch when stopping.
public struct EarlyStopping: Sendable, Equatable {
    public enum Mode: Sendable, Equatable {
        /// `max` for names containing "acc", else `min` (Keras's `auto`).
        case auto, min, max
    }
    public var monitor: String
    public var patience: Int
    public var minDelta: Double
    public var mode: Mode
    public var restoreBestWeights: Bool

    public init(
        monitor: String = "val_loss", patience: Int = 0, minDelta: Double = 0, mode: Mode = .auto,
        restoreBestWeights: Bool = true
    ) {
        self.monitor = monitor
        self.patience = patience
        self.minDelta = minDelta
        self.mode = mode
        self.restoreBestWeights = restoreBestWeights
    }

    var maximises: Bool {
        switch mode {
        case .auto: return monitor.contains("acc")
        case .min: return false
        case .max: return true
        }
    }
}

/// Options of `Network.fit` (Keras `model.fit` arguments plus callbacks).
public struct FitOptions {
    public var epochs: Int
    /// Samples per step; the last batch of an epoch may be smaller (Keras's default 32).
    public var batchSize: Int
    /// Reshuffle the training samples every epoch (seeded); false keeps their order.
    public var shuffle: Bool
    /// Validation inputs and one-hot targets, evaluated after each epoch (`val_*` logs).
    public var validation: (x: Tensor, y: Tensor)?
    public var earlyStopping: EarlyStopping?
    /// Called after every epoch with its logs (print a Keras-style line here); return `.stop` to end
    /// training after this epoch.
    public var onEpochEnd: ((EpochLogs) throws -> TrainingDecision)?
    /// Called after every epoch (after early stopping's bookkeeping) with everything needed to continue
    /// exactly (write a checkpoint file here; `TrainingState.model` is the network's current state).
    public var checkpoint: ((TrainingState) throws -> Void)?
    /// Continue a run from a checkpoint's state instead of starting at epoch 0. The network must already
    /// hold `resume.model`'s weights and optimiser state (`Network(model:)`); `fit` takes the epoch,
    /// history, early-stopping state and random generator from here, so the run ends bit-identical to one
    /// that was never interrupted.
    public var resume: TrainingState?
    /// Called after every batch (progress bars within long epochs).
    public var onBatchEnd: ((BatchProgress) -> Void)?

    public init(
        epochs: Int, batchSize: Int = 32, shuffle: Bool = true, validation: (x: Tensor, y: Tensor)? = nil,
        earlyStopping: EarlyStopping? = nil, onEpochEnd: ((EpochLogs) throws -> TrainingDecision)? = nil,
        checkpoint: ((TrainingState) throws -> Void)? = nil, onBatchEnd: ((BatchProgress) -> Void)? = nil
    ) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.validation = validation
        self.earlyStopping = earlyStopping
        self.onEpochEnd = onEpochEnd
        self.checkpoint = checkpoint
        self.onBatchEnd = onBatchEnd
    }
}

/// What `fit` returns (Keras's `History.history`): one value per epoch for each metric name.
public struct History: Sendable, Equatable {
    public var epochs: [EpochLogs] = []
    /// The epoch (0-based) after which early stopping ended training, if it did.
    public var stoppedEpoch: Int?
    /// With early stopping, the best epoch (0-based) of the monitored value.
    public var bestEpoch: Int?

    public init(epochs: [EpochLogs] = [], stoppedEpoch: Int? = nil, bestEpoch: Int? = nil) {
        self.epochs = epochs
        self.stoppedEpoch = stoppedEpoch
        self.bestEpoch = bestEpoch
    }

    /// Values of one metric, in epoch order (empty if never logged).
    public func values(_ name: String) -> [Double] { epochs.compactMap { $0.values[name] } }
    public var loss: [Double] { values("loss") }
    public var accuracy: [Double] { values("accuracy") }
    public var mae: [Double] { values("mae") }
    public var valLoss: [Double] { values("val_loss") }
    public var valAccuracy: [Double] { values("val_accuracy") }
    public var valMae: [Double] { values("val_mae") }
}

/// The kept training-mode outputs of layer `end` per sample (`fit`), valid while no `setWeights` call
/// (`version` counts them) replaced the weights and `end` is still the frozen start's last layer.
struct FrozenOutputs {
    let end: Int
    let version: Int
    let values: FloatBuffer
}

/// Everything a training run needs to continue exactly where it stood after an epoch: the network
/// (weights and optimiser state, in `model`), the epochs done and their logs, early stopping's state,
/// the random generator's state, the thread count (results depend on how work is split) and the
/// cached regulariser term the next epoch's first loss uses.
public struct TrainingState: Sendable {
    public var model: Model
    /// Epochs finished (the next epoch's 0-based index).
    public var completedEpochs: Int
    public var history: History
    /// True when early stopping (or a callback) ended the run: nothing is left to train.
    public var finished: Bool
    /// `SeededGenerator.state` after the last finished epoch.
    public var random: [UInt64]
    public var threads: Int
    /// The regulariser term of the current weights as the last update step computed it.
    public var regularization: Double?
    /// Early stopping: the best monitored value so far, epochs without improvement, and the best
    /// epoch's weights when they are to be restored.
    public var best: Double?
    public var wait: Int
    public var bestWeights: [[Tensor]]?

    public init(
        model: Model, completedEpochs: Int, history: History, finished: Bool, random: [UInt64], threads: Int,
        regularization: Double?, best: Double?, wait: Int, bestWeights: [[Tensor]]?
    ) {
        self.model = model
        self.completedEpochs = completedEpochs
        self.history = history
        self.finished = finished
        self.random = random
        self.threads = threads
        self.regularization = regularization
        self.best = best
        self.wait = wait
        self.bestWeights = bestWeights
    }
}

extension Network {
    /// Trains for `options.epochs` epochs (Keras `model.fit`). Continues from the current weights and
    /// optimiser state, so calling it again resumes training. `y` holds one-hot targets `(N, classes)`.
    public func fit(x: Tensor, y: Tensor, options: FitOptions) throws -> History {
        try validateTraining()
        let n = try sampleCount(of: x)
        try checkTargets(y, samples: n)
        guard options.epochs >= 0 else {
            throw NetworkError.invalidArgument("epochs must be ≥ 0, got \(options.epochs)")
        }
        guard options.batchSize >= 1 else {
            throw NetworkError.invalidArgument("batch size must be at least 1, got \(options.batchSize)")
        }
        guard n > 0 else { throw NetworkError.invalidArgument("no training samples") }
        if let v = options.validation {
            let nv = try sampleCount(of: v.x)
            try checkTargets(v.y, samples: nv)
        }
        if let es = options.earlyStopping {
            let names = logNames(validation: options.validation != nil)
            guard names.contains(es.monitor) else {
                throw NetworkError.invalidArgument(
                    "early stopping monitors '\(es.monitor)', which is not logged (logged: \(names.joined(separator: ", ")))"
                )
            }
            guard es.patience >= 0 else { throw NetworkError.invalidArgument("early stopping patience must be ≥ 0") }
        }
        let batchSize = min(options.batchSize, n)
        workspace.reserve(network: self, batch: batchSize, training: true)
        let metrics = compileConfig.metrics
        var history = History()
        var best: Double? = nil
        var bestWeights: [[Tensor]]? = nil
        var wait = 0
        var firstEpoch = 0
        if let state = options.resume {
            guard let generator = SeededGenerator(state: state.random) else {
                throw NetworkError.invalidArgument("the training state's random generator state is not valid")
            }
            guard state.completedEpochs >= 0, state.completedEpochs <= options.epochs,
                state.history.epochs.count == state.completedEpochs
            else {
                throw NetworkError.invalidArgument(
                    "the training state holds \(state.completedEpochs) epochs (\(state.history.epochs.count) logged) for a run of \(options.epochs)"
                )
            }
            if let bw = state.bestWeights, bw.map({ $0.map(\.shape) }) != weightShapes {
                throw NetworkError.invalidArgument("the training state's best weights do not fit the network")
            }
            rng = generator
            threads = state.threads
            history = state.history
            best = state.best
            bestWeights = state.bestWeights
            wait = state.wait
            firstEpoch = state.completedEpochs
            if state.finished { return history }
            cachedRegularization = state.regularization
        }
        var labels = [Float](repeating: 0, count: batchSize * outputSize)
        let batches = (n + batchSize - 1) / batchSize
        let frozenRegularization = frozenRegularizationLoss()
        // The training-mode outputs of the frozen start of the network, per sample (see `frozenPrefixEnd`).
        var frozen: FrozenOutputs? = nil

        for epoch in firstEpoch..<options.epochs {
            let started = DispatchTime.now().uptimeNanoseconds
            let order = options.shuffle ? rng.permutation(n) : Array(0..<n)
            // Where the network starts with frozen layers whose outputs do not change between epochs,
            // compute those outputs once (when at least two epochs are left to use them): the same
            // arithmetic per sample as in every epoch's forward pass, so the numbers are the same.
            if cachesFrozenOutputs, options.epochs - epoch >= 2,
                let end = frozenPrefixEnd(trainable: trainableLayers()),
                n * layers[end].outputSize <= Self.frozenOutputLimit / MemoryLayout<Float>.stride
            {
                if frozen?.end != end || frozen?.version != weightsReplaced {
                    frozen = nil
                    frozen = frozenOutputs(x: x, samples: n, through: end, batchSize: batchSize)
                }
            }
            var sums = (loss: 0.0, correct: 0.0, absolute: 0.0, squared: 0.0, count: 0)
            for b in 0..<batches {
                let lo = b * batchSize
                let hi = min(lo + batchSize, n)
                let count = hi - lo
                // Gather the batch: the kept outputs of the frozen start of the network when they are
                // still valid, else the input.
                var first = 1
                if let f = frozen, f.version == weightsReplaced, frozenPrefixEnd(trainable: trainableLayers()) == f.end
                {
                    let size = layers[f.end].outputSize
                    let dst = workspace.outputPointers(input: workspace.input.pointer)[f.end].base
                    for (r, idx) in order[lo..<hi].enumerated() {
                        (dst + r * size).update(from: f.values.pointer + idx * size, count: size)
                    }
                    first = f.end + 1
                } else {
                    let input = workspace.input.pointer
                    x.scalars.withUnsafeBufferPointer { xs in
                        for (r, idx) in order[lo..<hi].enumerated() {
                            (input + r * inputSize).update(from: xs.baseAddress! + idx * inputSize, count: inputSize)
                        }
                    }
                }
                y.scalars.withUnsafeBufferPointer { ys in
                    labels.withUnsafeMutableBufferPointer { lb in
                        for (r, idx) in order[lo..<hi].enumerated() {
                            (lb.baseAddress! + r * outputSize).update(
                                from: ys.baseAddress! + idx * outputSize, count: outputSize)
                        }
                    }
                }
                let totals = labels.withUnsafeBufferPointer {
                    trainStep(
                        targets: $0.baseAddress!, count: count, frozenRegularization: frozenRegularization,
                        firstLayer: first)
                }
                sums.loss += totals.loss * Double(count)
                sums.correct += totals.batch.correct
                sums.absolute += totals.batch.absoluteError
                sums.squared += totals.batch.squaredError
                sums.count += count
                if let onBatchEnd = options.onBatchEnd {
                    onBatchEnd(
                        BatchProgress(
                            epoch: epoch, batch: b + 1, batches: batches,
                            values: metricValues(
                                loss: sums.loss, correct: sums.correct, absolute: sums.absolute, squared: sums.squared,
                                count: sums.count, metrics: metrics, prefix: "")))
                }
            }
            var values = metricValues(
                loss: sums.loss, correct: sums.correct, absolute: sums.absolute, squared: sums.squared,
                count: sums.count,
                metrics: metrics, prefix: "")
            if let v = options.validation {
                let ev = try evaluate(x: v.x, y: v.y, batchSize: options.batchSize)
                for (k, value) in ev { values["val_" + k] = value }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            let logs = EpochLogs(
                epoch: epoch, values: values, seconds: seconds,
                orderedNames: logNames(validation: options.validation != nil))
            history.epochs.append(logs)
            var stop = false
            if let onEpochEnd = options.onEpochEnd, try onEpochEnd(logs) == .stop { stop = true }
            if let es = options.earlyStopping, let current = values[es.monitor] {
                wait += 1
                let improved: Bool
                if let b = best {
                    improved = es.maximises ? current - es.minDelta > b : current + es.minDelta < b
                } else {
                    improved = true
                }
                if improved {
                    best = current
                    history.bestEpoch = epoch
                    if es.restoreBestWeights { bestWeights = weights }
                    wait = 0
                } else if wait >= es.patience && epoch > 0 {
                    history.stoppedEpoch = epoch
                    if let bw = bestWeights { try setWeights(bw) }
                    stop = true
                }
            }
            if let checkpoint = options.checkpoint {
                try checkpoint(
                    TrainingState(
                        model: exportModel(), completedEpochs: epoch + 1, history: history, finished: stop,
                        random: rng.state, threads: threads, regularization: cachedRegularization, best: best,
                        wait: wait, bestWeights: bestWeights))
            }
            if stop { break }
        }
        return history
    }

    /// Loss (cross-entropy + regularisation) and metrics on `x`, `y` without training (Keras
    /// `model.evaluate`), keyed by Keras names (`loss`, `accuracy`, `mae`).
    public func evaluate(x: Tensor, y: Tensor, batchSize: Int = 32) throws -> [String: Double] {
        try validateTraining()
        let n = try sampleCount(of: x)
        try checkTargets(y, samples: n)
        guard batchSize >= 1 else {
            throw NetworkError.invalidArgument("batch size must be at least 1, got \(batchSize)")
        }
        guard n > 0 else { throw NetworkError.invalidArgument("no samples to evaluate") }
        let batch = min(batchSize, n)
        workspace.reserve(network: self, batch: batch, training: false)
        var total = BatchTotals()
        let last = layers[layers.count - 1]
        x.scalars.withUnsafeBufferPointer { xs in
            y.scalars.withUnsafeBufferPointer { ys in
                var start = 0
                while start < n {
                    let count = min(batch, n - start)
                    let p = forward(input: xs.baseAddress! + start * inputSize, count: count, training: false)
                    let t = lossTotals(
                        lossKind, probabilities: p, logits: last.logits, targets: ys.baseAddress! + start * outputSize,
                        count: count, classes: outputSize, gradient: nil, scale: 0)
                    total.crossEntropy += t.crossEntropy
                    total.correct += t.correct
                    total.absoluteError += t.absoluteError
                    total.squaredError += t.squaredError
                    total.count += count
                    start += count
                }
            }
        }
        let reg = cachedRegularization ?? regularizationLoss()
        return metricValues(
            loss: total.crossEntropy + reg * Double(n), correct: total.correct, absolute: total.absoluteError,
            squared: total.squaredError, count: n, metrics: compileConfig.metrics, prefix: "")
    }

    /// One optimisation step on the batch already gathered into the workspace input.
    /// Returns the batch loss (mean cross-entropy + regularisation, before the update) and totals.
    /// `frozenRegularization` is the (constant) regulariser term of the non-trainable layers.
    /// With `firstLayer` > 1, layer `firstLayer − 1`'s output is already in its workspace buffer (the
    /// kept outputs of a frozen start) and the passes begin there.
    func trainStep(
        targets: UnsafePointer<Float>, count: Int, frozenRegularization: Double, firstLayer: Int = 1
    ) -> (loss: Double, batch: BatchTotals) {
        for layer in layers { layer.sampleNoise(batch: count, rng: &rng) }
        let trainable = trainableLayers()
        let plan = optimizer.plan(layers: layers, trainable: trainable, regularizers: variableRegularizers)
        let parts = max(1, threads)
        var fusedSums = [Double](repeating: 0, count: 1)
        let result = fusedSums.withUnsafeMutableBufferPointer { sums in
            computeGradients(
                targets: targets, count: count, fused: (plan, SharedPointer64(sums.baseAddress!)),
                firstLayer: firstLayer)
        }
        let fused = Set(layers.indices.filter { trainable[$0] && layers[$0].fusesUpdates })
        let otherRegularization = optimizer.step(
            plan: plan, layers: layers, trainable: trainable, skip: fused, parts: parts)
        cachedRegularization = otherRegularization + fusedSums[0] + frozenRegularization
        weightsVersion += 1
        return (result.loss, result.batch)
    }

    /// Forward and backward pass (training mode, current dropout masks) on the batch in the workspace
    /// input: fills the trainable layers' gradients of the data loss (the regularisers' gradients are
    /// added by the optimiser's update pass). Returns the loss including the regulariser term.
    /// With `fused`, layers that can (`fusesUpdates`) apply that step plan to their variables during
    /// backward, adding their regulariser sums to its slot. `firstLayer` as in `trainStep`: it must lie
    /// above every layer that computes gradients.
    func computeGradients(
        targets: UnsafePointer<Float>, count: Int, fused: (StepPlan, SharedPointer64)? = nil, firstLayer: Int = 1
    ) -> (loss: Double, batch: BatchTotals, trainable: [Bool]) {
        let input = workspace.input.pointer
        let p = forward(input: input, count: count, training: true, layers: firstLayer..<layers.count)
        let reg = cachedRegularization ?? regularizationLoss()
        let grads = workspace.gradientPointers()
        let outs = workspace.outputPointers(input: input)
        let lastIndex = layers.count - 1
        let last = layers[lastIndex]
        let loss = lossKind
        let logits = loss.isCategorical ? last.logits : nil
        let fusedLoss = logits != nil
        let totals = lossTotals(
            loss, probabilities: p, logits: logits, targets: targets, count: count, classes: outputSize,
            gradient: grads[lastIndex]?.base, scale: 1 / Float(count))
        // Backward down to the lowest layer with trainable variables.
        let trainable = trainableLayers()
        if let lowest = trainable.firstIndex(of: true), grads[lastIndex] != nil {
            BLAS.setThreadCount(1)
            var i = lastIndex
            while i >= max(lowest, 1) {
                let layer = layers[i]
                if !layer.aliasesInput, let dy = grads[i] {
                    let dx = i > lowest ? grads[i - 1]?.base : nil
                    layer.backward(
                        x: outs[i - 1].base, y: outs[i].base, dy: dy.base, dx: dx, batch: count,
                        weightGradients: trainable[i], dyIsPreActivation: fusedLoss && i == lastIndex,
                        parts: max(1, threads),
                        update: fused.flatMap {
                            layer.fusesUpdates && trainable[i] ? FusedUpdate(plan: $0.0, layer: i, sums: $0.1) : nil
                        })
                }
                i -= 1
            }
        }
        return (totals.crossEntropy / Double(count) + reg, totals, trainable)
    }

    /// Loss and gradients for one batch `x`, `y` in training mode, without updating anything (for
    /// gradient checks). Gradients are `[layer][variable]`, empty for frozen and weightless layers.
    /// Like a training step, it first draws the batch's dropout masks from the network's generator (the
    /// masks a `fit` step from the same generator state would use).
    func lossAndGradients(x: Tensor, y: Tensor) throws -> (loss: Double, gradients: [[Tensor]]) {
        try validateTraining()
        let n = try sampleCount(of: x)
        try checkTargets(y, samples: n)
        guard n > 0 else { throw NetworkError.invalidArgument("no samples") }
        workspace.reserve(network: self, batch: n, training: true)
        for layer in layers { layer.sampleNoise(batch: n, rng: &rng) }
        workspace.input.pointer.update(from: x.scalars, count: n * inputSize)
        let result = y.scalars.withUnsafeBufferPointer { computeGradients(targets: $0.baseAddress!, count: n) }
        let regularizers = variableRegularizers
        let grads = layers.enumerated().map { i, layer in
            guard result.trainable[i] else { return [Tensor]() }
            return zip(layer.gradients, weightShapes[i]).enumerated().map { vi, pair in
                var g = pair.0.array
                if let r = regularizers[i][vi] {
                    nmk_add_regularizer_gradient(layer.variables[vi].pointer, &g, g.count, r.l1, r.l2)
                }
                return Tensor(shape: pair.1, scalars: g)
            }
        }
        return (result.loss, grads)
    }

    /// Bytes of kept frozen outputs `fit` may hold; above that it recomputes them every epoch.
    static let frozenOutputLimit = 1 << 30

    /// The last layer of the start of the network whose training-mode outputs are the same in every
    /// epoch: layers below the lowest trainable one (so no gradient is computed there), drawing no
    /// randomness (a dropout layer ends it), before the output layer, at least one of them computing
    /// something. nil when there is no such start.
    func frozenPrefixEnd(trainable: [Bool]) -> Int? {
        let lowest = trainable.firstIndex(of: true) ?? layers.count
        let bound = min(lowest, layers.count - 1)
        guard bound > 1 else { return nil }
        var end: Int? = nil
        var computes = false
        for i in 1..<bound {
            if layers[i].drawsNoise { break }
            if !layers[i].aliasesInput { computes = true }
            if computes { end = i }
        }
        return end
    }

    /// Layer `end`'s training-mode output for every sample of `x`, computed `batchSize` samples at a
    /// time by the ordinary forward pass (the workspace must be reserved for `batchSize`).
    func frozenOutputs(x: Tensor, samples n: Int, through end: Int, batchSize: Int) -> FrozenOutputs {
        let size = layers[end].outputSize
        let values = FloatBuffer(count: n * size)
        let input = workspace.input.pointer
        x.scalars.withUnsafeBufferPointer { xs in
            var lo = 0
            while lo < n {
                let count = min(batchSize, n - lo)
                input.update(from: xs.baseAddress! + lo * inputSize, count: count * inputSize)
                let out = forward(input: input, count: count, training: true, layers: 1..<(end + 1))
                (values.pointer + lo * size).update(from: out, count: count * size)
                lo += count
            }
        }
        frozenOutputsComputed += 1
        return FrozenOutputs(end: end, version: weightsReplaced, values: values)
    }

    /// The compiled loss (`validateTraining()` has refused any other before training or evaluating).
    var lossKind: Loss { Loss(name: compileConfig.loss) ?? .categoricalCrossEntropy }

    /// Which layers have variables and are trainable now.
    func trainableLayers() -> [Bool] {
        layers.enumerated().map { i, l in architecture.layers[i].trainable && !l.variables.isEmpty }
    }

    func checkTargets(_ y: Tensor, samples n: Int) throws {
        guard y.shape == [n, outputSize] else {
            throw NetworkError.targetShape(expected: [n, outputSize], got: y.shape)
        }
    }

    /// Log names in Keras order: loss, metrics, then val_ counterparts.
    func logNames(validation: Bool) -> [String] {
        let train = ["loss"] + compileConfig.metrics
        return validation ? train + train.map { "val_" + $0 } : train
    }

    func metricValues(
        loss: Double, correct: Double, absolute: Double, squared: Double, count: Int, metrics: [String], prefix: String
    ) -> [String: Double] {
        let c = Double(max(count, 1))
        var values = [prefix + "loss": loss / c]
        for name in metrics {
            switch Metric(name: name) {
            case .accuracy: values[prefix + name] = correct / c
            case .meanAbsoluteError: values[prefix + name] = absolute / c
            case .meanSquaredError: values[prefix + name] = squared / c
            case nil: break
            }
        }
        return values
    }
}

extension Tensor {
    /// One-hot targets `(N, classes)` from class indices (each in `0..<classes`).
    public static func oneHot(_ labels: [Int], classes: Int) throws -> Tensor {
        var values = [Float](repeating: 0, count: labels.count * classes)
        for (i, label) in labels.enumerated() {
            guard label >= 0 && label < classes else {
                throw NetworkError.invalidArgument(
                    "label \(label) at index \(i) is not a class index in 0..<\(classes)")
            }
            values[i * classes + label] = 1
        }
        return Tensor(shape: [labels.count, classes], scalars: values)
    }
}
