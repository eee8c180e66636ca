import CKernels
import Foundation
import Tensor

/// Keras's Adam and SGD update rules, with per-variable slots.
///
/// Adam follows tf-keras (both `optimizers/adam.py` and the legacy `optimizer_v2` Adam, which runs
/// TensorFlow's `ResourceApplyAdam`; they compute the same thing), with the legacy inverse-time
/// `decay` of Keras 2 (NeatMS-era files): at step `t = iterations + 1`,
/// `lr = learning_rate / (1 + decay·iterations)`, `α = lr·√(1−β₂ᵗ)/(1−β₁ᵗ)`,
/// `m += (g − m)(1 − β₁)`, `v += (g² − v)(1 − β₂)`, `w −= α·m / (√v + ε)`
/// (amsgrad: `v̂ = max(v̂, v)` replaces `v` in the step).
/// SGD: `w −= lr·g`; with momentum `μ`: `u = μ·u − lr·g`, `w += u` (nesterov: `w += μ·u − lr·g`).
/// Non-trainable variables are skipped entirely (no slot update, weights untouched).
final class Optimizer {
    let config: OptimizerConfig
    private(set) var iterations: Int = 0
    /// slot name → [layer][variable] buffers (nil until the variable is first updated or loaded).
    private var slots: [String: [[FloatBuffer?]]] = [:]

    init(config: OptimizerConfig) { self.config = config }

    var slotNames: [String] {
        switch config.kind {
        case .adam: return config.amsgrad ? ["m", "v", "vhat"] : ["m", "v"]
        case .sgd: return config.momentum != 0 ? ["momentum"] : []
        }
    }

    private func slot(_ name: String, layer: Int, variable: Int, count: Int, layers: Int) -> FloatBuffer {
        if slots[name] == nil { slots[name] = Array(repeating: [], count: layers) }
        if slots[name]![layer].count <= variable {
            slots[name]![layer] += Array(repeating: nil, count: variable + 1 - slots[name]![layer].count)
        }
        if let b = slots[name]![layer][variable] { return b }
        let b = FloatBuffer(count: count)
        slots[name]![layer][variable] = b
        return b
    }

    /// The learning rate of the coming step (legacy `decay` applied).
    var currentLearningRate: Float {
        config.decay > 0 ? config.learningRate / (1 + config.decay * Float(iterations)) : config.learningRate
    }

    /// Prepares one update step: the step's coefficients and every trainable variable's slot pointers
    /// (slots are created here, serially, so the update itself can run in parallel parts).
    func plan(layers: [EngineLayer], trainable: [Bool], regularizers: [[Regularizer?]]) -> StepPlan {
        let lr = currentLearningRate
        let t = Float(iterations + 1)
        let kernel: UpdateKernel
        switch config.kind {
        case .adam:
            let b1 = config.beta1
            let b2 = config.beta2
            kernel = .adam(
                alpha: lr * (1 - powf(b2, t)).squareRoot() / (1 - powf(b1, t)), c1: 1 - b1, c2: 1 - b2,
                epsilon: config.epsilon, amsgrad: config.amsgrad)
        case .sgd:
            kernel =
                config.momentum == 0
                ? .sgd(lr: lr) : .momentum(lr: lr, mu: config.momentum, nesterov: config.nesterov)
        }
        let names = slotNames
        let slotPointers = layers.enumerated().map { li, layer in
            layer.variables.enumerated().map { vi, w in
                trainable[li]
                    ? names.map {
                        SharedPointer(slot($0, layer: li, variable: vi, count: w.count, layers: layers.count).pointer)
                    }
                    : []
            }
        }
        return StepPlan(kernel: kernel, slots: slotPointers, regularizers: regularizers)
    }

    /// Counts a finished step.
    func finishStep() { iterations += 1 }

    /// Elements per block of a variable's update: the unit of parallel work and of the regulariser sum,
    /// so that the sum (added block by block, in order) does not depend on the number of parts.
    static let updateBlock = 65_536

    /// Applies one whole update to the trainable layers not in `skip` (already updated during backward)
    /// from their gradients, blocks of `updateBlock` elements shared among `parts` concurrent parts, then
    /// counts the step. Returns the regulariser loss of the updated variables (the same for any `parts`).
    @discardableResult
    func step(plan: StepPlan, layers: [EngineLayer], trainable: [Bool], skip: Set<Int> = [], parts: Int) -> Double {
        var regularization = 0.0
        for (li, layer) in layers.enumerated() where trainable[li] && !skip.contains(li) {
            for (vi, (w, g)) in zip(layer.variables, layer.gradients).enumerated() {
                let n = w.count
                let block = Self.updateBlock
                let blocks = (n + block - 1) / block
                let p = max(1, min(parts, blocks))
                var blockSums = [Double](repeating: 0, count: blocks)
                let gp = SharedPointer(g.pointer)
                blockSums.withUnsafeMutableBufferPointer { sums in
                    let out = SharedPointer64(sums.baseAddress!)
                    parallelParts(p) { part in
                        for b in partRange(part, of: p, count: blocks) {
                            let lo = b * block
                            out.base[b] = plan.apply(
                                layer: li, variable: vi, weights: w, offset: lo, gradient: gp.base + lo,
                                count: min(block, n - lo))
                        }
                    }
                }
                for s in blockSums { regularization += s }
            }
        }
        finishStep()
        return regularization
    }

    /// The state as `OptimizerState`: slots shaped like the weights for trainable layers (zeros for
    /// variables not yet updated), empty arrays for the others.
    func export(shapes: [[[Int]]], layers: [LayerSpec]) -> OptimizerState {
        var out: [String: [[Tensor]]] = [:]
        for name in slotNames {
            out[name] = shapes.enumerated().map { li, layerShapes in
                guard layers[li].trainable else { return [] }
                return layerShapes.enumerated().map { vi, shape in
                    let stored = slots[name].flatMap { li < $0.count && vi < $0[li].count ? $0[li][vi] : nil }
                    return stored.map { Tensor(shape: shape, scalars: $0.array) } ?? Tensor(zeros: shape)
                }
            }
        }
        return OptimizerState(iterations: iterations, slots: out)
    }

    /// Takes a stored state (e.g. from a Keras file). Slots this optimiser does not use are ignored;
    /// a layer's empty slot list means "no state yet"; any other shape mismatch is an error.
    func load(_ state: OptimizerState, shapes: [[[Int]]], layers: [LayerSpec]) throws {
        guard state.iterations >= 0 else {
            throw NetworkError.invalidArgument("optimizer iterations \(state.iterations) is negative")
        }
        iterations = state.iterations
        slots = [:]
        for name in slotNames {
            guard let stored = state.slots[name] else { continue }
            guard stored.count == shapes.count else {
                throw NetworkError.invalidArgument(
                    "optimizer slot '\(name)' covers \(stored.count) layers, the model has \(shapes.count)")
            }
            for (li, tensors) in stored.enumerated() where !tensors.isEmpty {
                guard tensors.count == shapes[li].count else {
                    throw NetworkError.invalidArgument(
                        "layer '\(layers[li].name)': optimizer slot '\(name)' has \(tensors.count) arrays, expected \(shapes[li].count)"
                    )
                }
                for (vi, t) in tensors.enumerated() {
                    guard t.shape == shapes[li][vi] else {
                        throw NetworkError.optimizerSlot(
                            slot: name, layer: layers[li].name, expected: shapes[li][vi], got: t.shape)
                    }
                    slot(name, layer: li, variable: vi, count: t.count, layers: shapes.count)
                        .pointer.update(from: t.scalars, count: t.count)
                }
            }
        }
    }
}

/// One step's update, ready to apply to any slice of any trainable variable (from any thread, each
/// slice once).
struct StepPlan: @unchecked Sendable {
    let kernel: UpdateKernel
    /// [layer][variable][slot] (empty for non-trainable layers).
    let slots: [[[SharedPointer]]]
    let regularizers: [[Regularizer?]]

    /// Updates elements `offset ..< offset + count` of variable `variable` of layer `layer` from the
    /// data-loss gradient at `gradient` (the slice's own gradient); returns the slice's regulariser loss.
    func apply(
        layer: Int, variable: Int, weights: FloatBuffer, offset: Int, gradient: UnsafeMutablePointer<Float>, count: Int
    ) -> Double {
        let reg = variable < regularizers[layer].count ? regularizers[layer][variable] : nil
        return kernel.apply(
            w: weights.pointer + offset, g: gradient, slots: slots[layer][variable].map { $0.base + offset },
            count: count, l1: reg?.l1 ?? 0, l2: reg?.l2 ?? 0)
    }
}

/// A `Double` buffer pointer for per-part results of parallel loops.
struct SharedPointer64: @unchecked Sendable {
    let base: UnsafeMutablePointer<Double>
    init(_ base: UnsafeMutablePointer<Double>) { self.base = base }
}

/// One optimiser's element-wise update, applied to a contiguous range (8 lanes at a time).
enum UpdateKernel {
    case adam(alpha: Float, c1: Float, c2: Float, epsilon: Float, amsgrad: Bool)
    case sgd(lr: Float)
    case momentum(lr: Float, mu: Float, nesterov: Bool)

    /// Updates `count` weights in place from their data-loss gradients `g` plus the regularisers'
    /// gradients; returns `Σ l1·|w'| + l2·w'²` of the updated weights (CKernels does the work).
    func apply(
        w: UnsafeMutablePointer<Float>, g: UnsafeMutablePointer<Float>, slots: [UnsafeMutablePointer<Float>],
        count: Int, l1: Float, l2: Float
    ) -> Double {
        switch self {
        case .adam(let alpha, let c1, let c2, let eps, let amsgrad):
            return nmk_adam_update(
                w, g, slots[0], slots[1], amsgrad ? slots[2] : nil, count, alpha, c1, c2, eps, l1, l2)
        case .sgd(let lr):
            return nmk_sgd_update(w, g, nil, count, lr, 0, 0, l1, l2)
        case .momentum(let lr, let mu, let nesterov):
            return nmk_sgd_update(w, g, slots[0], count, lr, mu, nesterov ? 1 : 0, l1, l2)
        }
    }
}
