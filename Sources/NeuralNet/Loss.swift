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
    /// and bias regulariser (frozen layers included, as Keras's `model.losses`), optionally only for
    /// the layers whose index passes `include`.
    func regularizationLoss(only include: (Int) -> Bool = { _ in true }) -> Double {
        var total: Double = 0
        for (li, regs) in variableRegularizers.enumerated() where include(li) {
            for (vi, reg) in regs.enumerated() {
                guard let r = reg else { continue }
                let w = layers[li].variables[vi].pointer
                let n = layers[li].variables[vi].count
                var l1: Double = 0, l2: Double = 0
                for i in 0..<n {
                    l1 += Double(abs(w[i]))
                    l2 += Double(w[i]) * Double(w[i])
                }
                total += Double(r.l1) * l1 + Double(r.l2) * l2
            }
        }
        return total
    }

    /// The regularisation loss of the layers that are not trainable (constant while training).
    func frozenRegularizationLoss() -> Double {
        regularizationLoss(only: { !architecture.layers[$0].trainable })
    }

    /// Each layer's regularisers by variable (`[kernel, bias]`), nil where there is none.
    var variableRegularizers: [[Regularizer?]] {
        layers.map { layer in
            switch layer.spec.kind {
            case .dense(let o): return o.useBias ? [o.kernelRegularizer, o.biasRegularizer] : [o.kernelRegularizer]
            case .conv2D(let o): return o.useBias ? [o.kernelRegularizer, o.biasRegularizer] : [o.kernelRegularizer]
            default: return []
            }
        }
    }
}
