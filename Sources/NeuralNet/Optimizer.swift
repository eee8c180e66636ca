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
    ///
    /// `regularizers[layer][variable]` are added to the gradient on the fly (`2·l2·w + l1·sign(w)`,
    /// fused into the update pass). Work is split into `parts` concurrent element ranges. Returns the
    /// regularisation loss of the *updated* trainable variables (the next batch's regulariser term).
    @discardableResult
    func step(layers: [EngineLayer], trainable: [Bool], regularizers: [[Regularizer?]], parts: Int) -> Double {
        let lr = currentLearningRate
        let t = Float(iterations + 1)
        var kernel: UpdateKernel
        switch config.kind {
        case .adam:
            let b1 = config.beta1, b2 = config.beta2
            kernel = .adam(
                alpha: lr * (1 - powf(b2, t)).squareRoot() / (1 - powf(b1, t)), c1: 1 - b1, c2: 1 - b2,
                epsilon: config.epsilon, amsgrad: config.amsgrad)
        case .sgd:
            kernel = config.momentum == 0
                ? .sgd(lr: lr) : .momentum(lr: lr, mu: config.momentum, nesterov: config.nesterov)
        }
        var regularization = 0.0
        for (li, layer) in layers.enumerated() where trainable[li] {
            for (vi, (w, g)) in zip(layer.variables, layer.gradients).enumerated() {
                let n = w.count
                var slotPointers: [SharedPointer] = []
                switch kernel {
                case .adam(_, _, _, _, let amsgrad):
                    for name in amsgrad ? ["m", "v", "vhat"] : ["m", "v"] {
                        slotPointers.append(SharedPointer(slot(name, layer: li, variable: vi, count: n, layers: layers.count).pointer))
                    }
                case .momentum:
                    slotPointers.append(SharedPointer(slot("momentum", layer: li, variable: vi, count: n, layers: layers.count).pointer))
                case .sgd:
                    break
                }
                let reg = vi < regularizers[li].count ? regularizers[li][vi] : nil
                let p = max(1, min(parts, n / 65_536))
                var partial = [Double](repeating: 0, count: p)
                let wp = SharedPointer(w.pointer), gp = SharedPointer(g.pointer)
                partial.withUnsafeMutableBufferPointer { sums in
                    let out = SharedPointer64(sums.baseAddress!)
                    parallelParts(p) { part in
                        let r = partRange(part, of: p, count: n)
                        out.base[part] = kernel.apply(
                            w: wp.base + r.lowerBound, g: gp.base + r.lowerBound,
                            slots: slotPointers.map { $0.base + r.lowerBound }, count: r.count,
                            l1: reg?.l1 ?? 0, l2: reg?.l2 ?? 0)
                    }
                }
                regularization += partial.reduce(0, +)
            }
        }
        iterations += 1
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
    /// gradients; returns `Σ l1·|w'| + l2·w'²` of the updated weights (0 without regularisers).
    /// Explicit 4-lane loops (SSE width, no closures in the hot loop) with a scalar tail.
    func apply(
        w: UnsafeMutablePointer<Float>, g: UnsafeMutablePointer<Float>, slots: [UnsafeMutablePointer<Float>],
        count: Int, l1: Float, l2: Float
    ) -> Double {
        let twoL2 = 2 * l2
        let vectorEnd = count - count % 4
        var acc = SIMD4<Float>()
        var total = 0.0
        var i = 0
        // Float partial sums over at most `block` elements; the total is a Double.
        let block = 4096
        func flush() {
            total += Double(acc.sum())
            acc = SIMD4()
        }
        switch self {
        case .adam(let alpha, let c1, let c2, let eps, let amsgrad):
            let m = slots[0], v = slots[1], vh = amsgrad ? slots[2] : slots[1]
            while i < vectorEnd {
                let blockEnd = min(i + block, vectorEnd)
                while i < blockEnd {
                    let wi = load4(w + i)
                    let gi = load4(g + i) + regularizerGradient(wi, l1: l1, twoL2: twoL2)
                    let mi = load4(m + i), vi = load4(v + i)
                    let mn = mi + (gi - mi) * c1
                    let vn = vi + (gi * gi - vi) * c2
                    store4(mn, m + i)
                    store4(vn, v + i)
                    var d = vn
                    if amsgrad {
                        d = pointwiseMax(load4(vh + i), vn)
                        store4(d, vh + i)
                    }
                    let nw = wi - (mn * alpha) / (d.squareRoot() + eps)
                    store4(nw, w + i)
                    acc += regularizerValue(nw, l1: l1, l2: l2)
                    i += 4
                }
                flush()
            }
            while i < count {
                let wi = w[i]
                let gi = g[i] + regularizerGradient(SIMD4(repeating: wi), l1: l1, twoL2: twoL2)[0]
                m[i] += (gi - m[i]) * c1
                v[i] += (gi * gi - v[i]) * c2
                var d = v[i]
                if amsgrad {
                    d = max(vh[i], v[i])
                    vh[i] = d
                }
                w[i] = wi - (m[i] * alpha) / (d.squareRoot() + eps)
                acc += regularizerValue(SIMD4(w[i], 0, 0, 0), l1: l1, l2: l2)
                i += 1
            }
        case .sgd(let lr):
            while i < vectorEnd {
                let blockEnd = min(i + block, vectorEnd)
                while i < blockEnd {
                    let wi = load4(w + i)
                    let nw = wi - lr * (load4(g + i) + regularizerGradient(wi, l1: l1, twoL2: twoL2))
                    store4(nw, w + i)
                    acc += regularizerValue(nw, l1: l1, l2: l2)
                    i += 4
                }
                flush()
            }
            while i < count {
                let wi = w[i]
                w[i] = wi - lr * (g[i] + regularizerGradient(SIMD4(repeating: wi), l1: l1, twoL2: twoL2)[0])
                acc += regularizerValue(SIMD4(w[i], 0, 0, 0), l1: l1, l2: l2)
                i += 1
            }
        case .momentum(let lr, let mu, let nesterov):
            let u = slots[0]
            while i < vectorEnd {
                let blockEnd = min(i + block, vectorEnd)
                while i < blockEnd {
                    let wi = load4(w + i)
                    let gi = load4(g + i) + regularizerGradient(wi, l1: l1, twoL2: twoL2)
                    let un = mu * load4(u + i) - lr * gi
                    store4(un, u + i)
                    let nw = nesterov ? wi + mu * un - lr * gi : wi + un
                    store4(nw, w + i)
                    acc += regularizerValue(nw, l1: l1, l2: l2)
                    i += 4
                }
                flush()
            }
            while i < count {
                let wi = w[i]
                let gi = g[i] + regularizerGradient(SIMD4(repeating: wi), l1: l1, twoL2: twoL2)[0]
                u[i] = mu * u[i] - lr * gi
                w[i] = nesterov ? wi + mu * u[i] - lr * gi : wi + u[i]
                acc += regularizerValue(SIMD4(w[i], 0, 0, 0), l1: l1, l2: l2)
                i += 1
            }
        }
        flush()
        return total
    }
}

@inline(__always)
private func load4(_ p: UnsafeMutablePointer<Float>) -> SIMD4<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
}

@inline(__always)
private func store4(_ v: SIMD4<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<Float>.self)
}

/// Gradient of `l1·|w| + l2·w²` at `w` (`twoL2` = 2·l2), lane-wise; TensorFlow's `sign(0) = 0`.
@inline(__always)
func regularizerGradient(_ w: SIMD4<Float>, l1: Float, twoL2: Float) -> SIMD4<Float> {
    let sign = SIMD4<Float>().replacing(with: 1, where: w .> 0).replacing(with: -1, where: w .< 0)
    return twoL2 * w + l1 * sign
}

/// `l1·|w| + l2·w²`, lane-wise.
@inline(__always)
func regularizerValue(_ w: SIMD4<Float>, l1: Float, l2: Float) -> SIMD4<Float> {
    l2 * w * w + l1 * w.replacing(with: -w, where: w .< 0)
}
