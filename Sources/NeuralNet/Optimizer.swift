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

    /// Applies one update to the trainable layers' variables from their gradients, then counts the step.
    func step(layers: [EngineLayer], trainable: [Bool]) {
        let lr = currentLearningRate
        let t = Float(iterations + 1)
        switch config.kind {
        case .adam:
            let b1 = config.beta1, b2 = config.beta2, eps = config.epsilon
            let alpha = lr * (1 - powf(b2, t)).squareRoot() / (1 - powf(b1, t))
            let c1 = 1 - b1, c2 = 1 - b2
            for (li, layer) in layers.enumerated() where trainable[li] {
                for (vi, (w, g)) in zip(layer.variables, layer.gradients).enumerated() {
                    let n = w.count
                    let m = slot("m", layer: li, variable: vi, count: n, layers: layers.count).pointer
                    let v = slot("v", layer: li, variable: vi, count: n, layers: layers.count).pointer
                    let wp = w.pointer, gp = g.pointer
                    if config.amsgrad {
                        let vh = slot("vhat", layer: li, variable: vi, count: n, layers: layers.count).pointer
                        for i in 0..<n {
                            let gi = gp[i]
                            let mi = m[i] + (gi - m[i]) * c1
                            let vi = v[i] + (gi * gi - v[i]) * c2
                            let hi = max(vh[i], vi)
                            m[i] = mi
                            v[i] = vi
                            vh[i] = hi
                            wp[i] -= (mi * alpha) / (hi.squareRoot() + eps)
                        }
                    } else {
                        for i in 0..<n {
                            let gi = gp[i]
                            let mi = m[i] + (gi - m[i]) * c1
                            let vi = v[i] + (gi * gi - v[i]) * c2
                            m[i] = mi
                            v[i] = vi
                            wp[i] -= (mi * alpha) / (vi.squareRoot() + eps)
                        }
                    }
                }
            }
        case .sgd:
            let mu = config.momentum
            for (li, layer) in layers.enumerated() where trainable[li] {
                for (vi, (w, g)) in zip(layer.variables, layer.gradients).enumerated() {
                    let n = w.count
                    let wp = w.pointer, gp = g.pointer
                    if mu == 0 {
                        for i in 0..<n { wp[i] -= lr * gp[i] }
                    } else {
                        let u = slot("momentum", layer: li, variable: vi, count: n, layers: layers.count).pointer
                        if config.nesterov {
                            for i in 0..<n {
                                let ui = mu * u[i] - lr * gp[i]
                                u[i] = ui
                                wp[i] += mu * ui - lr * gp[i]
                            }
                        } else {
                            for i in 0..<n {
                                let ui = mu * u[i] - lr * gp[i]
                                u[i] = ui
                                wp[i] += ui
                            }
                        }
                    }
                }
            }
        }
        iterations += 1
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
                        "layer '\(layers[li].name)': optimizer slot '\(name)' has \(tensors.count) arrays, expected \(shapes[li].count)")
                }
                for (vi, t) in tensors.enumerated() {
                    guard t.shape == shapes[li][vi] else {
                        throw NetworkError.optimizerSlot(slot: name, layer: layers[li].name, expected: shapes[li][vi], got: t.shape)
                    }
                    slot(name, layer: li, variable: vi, count: t.count, layers: shapes.count)
                        .pointer.update(from: t.scalars, count: t.count)
                }
            }
        }
    }
}
