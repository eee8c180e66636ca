import Foundation

/// The metrics NeatMSKit computes, by their Keras names.
enum Metric {
    case accuracy, meanAbsoluteError

    static let supported: Set<String> = ["accuracy", "acc", "categorical_accuracy", "mae", "mean_absolute_error"]

    init?(name: String) {
        switch name {
        case "accuracy", "acc", "categorical_accuracy": self = .accuracy
        case "mae", "mean_absolute_error": self = .meanAbsoluteError
        default: return nil
        }
    }
}

/// Sums over a batch of the per-sample loss and metric values.
struct BatchTotals {
    var crossEntropy: Double = 0
    var correct: Double = 0
    var absoluteError: Double = 0
    var count: Int = 0
}

/// Keras's categorical cross-entropy, accuracy (argmax match) and mae for `count` samples of `classes`
/// probabilities `p` and targets `y`.
///
/// With `logits` (the output layer ends in a softmax and kept its input), the loss is computed from the
/// logits as tf.keras does (`softmax_cross_entropy_with_logits`: `Σ y·(logsumexp(z) − z)`), and the
/// gradient written to `gradient` is w.r.t. the logits: `(p·Σy − y)·scale`.
/// Otherwise it is Keras's probability form: `p` is normalised to sum 1, clipped to `[1e-7, 1 − 1e-7]`,
/// and the loss is `−Σ y·log(p)`; the gradient is w.r.t. `p`, zero where clipping was active (as
/// TensorFlow's `clip_by_value` gradient). Keras 2.2 (NeatMS) always used the probability form; the two
/// agree unless a true-class probability is below 1e-7.
func crossEntropy(
    probabilities p: UnsafePointer<Float>, logits: UnsafePointer<Float>?, targets y: UnsafePointer<Float>,
    count: Int, classes: Int, gradient: UnsafeMutablePointer<Float>?, scale: Float
) -> BatchTotals {
    var totals = BatchTotals()
    totals.count = count
    let eps: Float = 1e-7
    for n in 0..<count {
        let pr = p + n * classes
        let yr = y + n * classes
        var ySum: Float = 0
        for c in 0..<classes { ySum += yr[c] }
        if let logits {
            let z = logits + n * classes
            var m = -Float.infinity
            for c in 0..<classes { m = max(m, z[c]) }
            var s: Float = 0
            for c in 0..<classes { s += expf(z[c] - m) }
            let lse = logf(s)
            var loss: Float = 0
            for c in 0..<classes where yr[c] != 0 { loss += yr[c] * (lse - (z[c] - m)) }
            totals.crossEntropy += Double(loss)
            if let gradient {
                let g = gradient + n * classes
                for c in 0..<classes { g[c] = (pr[c] * ySum - yr[c]) * scale }
            }
        } else {
            var s: Float = 0
            for c in 0..<classes { s += pr[c] }
            var loss: Float = 0
            var gq = [Float](repeating: 0, count: gradient == nil ? 0 : classes)
            var dot: Float = 0
            for c in 0..<classes {
                let q = pr[c] / s
                let qc = min(max(q, eps), 1 - eps)
                if yr[c] != 0 { loss -= yr[c] * logf(qc) }
                if gradient != nil {
                    let gc: Float = (q >= eps && q <= 1 - eps) ? -yr[c] / qc : 0
                    gq[c] = gc
                    dot += gc * q
                }
            }
            totals.crossEntropy += Double(loss)
            if let gradient {
                let g = gradient + n * classes
                for c in 0..<classes { g[c] = (gq[c] - dot) / s * scale }
            }
        }
        var best = 0, target = 0
        var mae: Float = 0
        for c in 0..<classes {
            if pr[c] > pr[best] { best = c }
            if yr[c] > yr[target] { target = c }
            mae += abs(yr[c] - pr[c])
        }
        if best == target { totals.correct += 1 }
        totals.absoluteError += Double(mae / Float(classes))
    }
    return totals
}

extension Network {
    /// The regularisation loss Keras adds to the batch loss: `Σ l1·Σ|w| + l2·Σw²` over every kernel
    /// and bias regulariser (frozen layers included, as Keras's `model.losses`).
    func regularizationLoss() -> Double {
        var total: Double = 0
        for (layer, pairs) in regularizedVariables() {
            for (buffer, r) in pairs {
                let w = layer.variables[buffer].pointer
                let n = layer.variables[buffer].count
                var l1: Double = 0, l2: Double = 0
                if r.l1 != 0 { for i in 0..<n { l1 += Double(abs(w[i])) } }
                if r.l2 != 0 { for i in 0..<n { l2 += Double(w[i]) * Double(w[i]) } }
                total += Double(r.l1) * l1 + Double(r.l2) * l2
            }
        }
        return total
    }

    /// Adds the regularisers' gradients (`2·l2·w + l1·sign(w)`) to trainable layers' gradients.
    func addRegularizationGradients() {
        for (layer, pairs) in regularizedVariables() where isTrainable(layer) {
            for (buffer, r) in pairs {
                let w = layer.variables[buffer].pointer
                let g = layer.gradients[buffer].pointer
                let n = layer.variables[buffer].count
                let twoL2 = 2 * r.l2
                for i in 0..<n {
                    let wi = w[i]
                    g[i] += twoL2 * wi + (wi > 0 ? r.l1 : (wi < 0 ? -r.l1 : 0))
                }
            }
        }
    }

    /// Whether a layer is currently trainable (the architecture's flag, which may change after build).
    func isTrainable(_ layer: EngineLayer) -> Bool {
        guard let i = layers.firstIndex(where: { $0 === layer }) else { return false }
        return architecture.layers[i].trainable
    }

    /// (layer, [(variable index, regulariser)]) for layers with a kernel or bias regulariser.
    func regularizedVariables() -> [(EngineLayer, [(Int, Regularizer)])] {
        var result: [(EngineLayer, [(Int, Regularizer)])] = []
        for layer in layers {
            var kernel: Regularizer?, bias: Regularizer?
            switch layer.spec.kind {
            case .dense(let o): kernel = o.kernelRegularizer; bias = o.useBias ? o.biasRegularizer : nil
            case .conv2D(let o): kernel = o.kernelRegularizer; bias = o.useBias ? o.biasRegularizer : nil
            default: continue
            }
            var pairs: [(Int, Regularizer)] = []
            if let kernel { pairs.append((0, kernel)) }
            if let bias { pairs.append((1, bias)) }
            if !pairs.isEmpty { result.append((layer, pairs)) }
        }
        return result
    }
}
