import Foundation

/// The losses NeatMSKit trains with, by their Keras names (`compile(loss=…)` strings, or the snake-cased
/// class names of loss objects).
public enum Loss: Sendable, Equatable {
    case categoricalCrossEntropy, sparseCategoricalCrossEntropy, binaryCrossEntropy, meanSquaredError
    case meanAbsoluteError

    /// The names, for messages.
    public static let supportedNames =
        "categorical_crossentropy, sparse_categorical_crossentropy, binary_crossentropy, mse, mae"

    public init?(name: String) {
        switch name {
        case "categorical_crossentropy": self = .categoricalCrossEntropy
        case "sparse_categorical_crossentropy": self = .sparseCategoricalCrossEntropy
        case "binary_crossentropy": self = .binaryCrossEntropy
        case "mse", "mean_squared_error": self = .meanSquaredError
        case "mae", "mean_absolute_error": self = .meanAbsoluteError
        default: return nil
        }
    }

    /// Cross-entropy over classes (computed from the softmax's logits when the output keeps them).
    /// The sparse form takes class indices in Keras; `fit`'s targets are one-hot rows, on which both
    /// forms are the same loss.
    var isCategorical: Bool { self == .categoricalCrossEntropy || self == .sparseCategoricalCrossEntropy }
}

/// The metrics NeatMSKit computes, by their Keras names.
enum Metric {
    case accuracy, meanAbsoluteError, meanSquaredError

    static let supported: Set<String> = [
        "accuracy", "acc", "categorical_accuracy", "mae", "mean_absolute_error", "mse", "mean_squared_error",
    ]

    init?(name: String) {
        switch name {
        case "accuracy", "acc", "categorical_accuracy": self = .accuracy
        case "mae", "mean_absolute_error": self = .meanAbsoluteError
        case "mse", "mean_squared_error": self = .meanSquaredError
        default: return nil
        }
    }
}

/// Sums over a batch of the per-sample loss and metric values (`crossEntropy` holds the loss, whichever
/// it is).
struct BatchTotals {
    var crossEntropy: Double = 0
    var correct: Double = 0
    var absoluteError: Double = 0
    var squaredError: Double = 0
    var count: Int = 0
}

/// The batch totals of `loss` for `count` samples of `classes` outputs `p` and targets `y`, with the
/// gradient (times `scale`) written to `gradient`: w.r.t. the logits when `logits` is given and the loss
/// is categorical (see `crossEntropy`), else w.r.t. `p`.
func lossTotals(
    _ loss: Loss, probabilities p: UnsafePointer<Float>, logits: UnsafePointer<Float>?, targets y: UnsafePointer<Float>,
    count: Int, classes: Int, gradient: UnsafeMutablePointer<Float>?, scale: Float
) -> BatchTotals {
    if loss.isCategorical {
        return crossEntropy(
            probabilities: p, logits: logits, targets: y, count: count, classes: classes, gradient: gradient,
            scale: scale)
    }
    var totals = BatchTotals()
    totals.count = count
    let eps: Float = 1e-7
    let k = Float(classes)
    for n in 0..<count {
        let pr = p + n * classes
        let yr = y + n * classes
        var sum: Float = 0
        for c in 0..<classes {
            let d = pr[c] - yr[c]
            var g: Float
            switch loss {
            case .meanSquaredError:
                sum += d * d
                g = 2 * d
            case .meanAbsoluteError:
                sum += abs(d)
                g = d > 0 ? 1 : (d < 0 ? -1 : 0)
            default:
                // Keras's probability form: clip to [eps, 1 − eps], then −(y·log(p + eps) + (1 − y)·log(1 − p + eps)).
                let q = min(max(pr[c], eps), 1 - eps)
                sum -= yr[c] * logf(q + eps) + (1 - yr[c]) * logf(1 - q + eps)
                g = (pr[c] >= eps && pr[c] <= 1 - eps) ? -yr[c] / (q + eps) + (1 - yr[c]) / (1 - q + eps) : 0
            }
            if let gradient { gradient[n * classes + c] = g / k * scale }
        }
        totals.crossEntropy += Double(sum / k)
        addMetrics(&totals, p: pr, y: yr, classes: classes)
    }
    return totals
}

/// Accuracy (argmax match), mae and mse of one sample, added to `totals`.
private func addMetrics(
    _ totals: inout BatchTotals, p pr: UnsafePointer<Float>, y yr: UnsafePointer<Float>, classes: Int
) {
    var best = 0
    var target = 0
    var mae: Float = 0
    var mse: Float = 0
    for c in 0..<classes {
        if pr[c] > pr[best] { best = c }
        if yr[c] > yr[target] { target = c }
        mae += abs(yr[c] - pr[c])
        mse += (yr[c] - pr[c]) * (yr[c] - pr[c])
    }
    if best == target { totals.correct += 1 }
    totals.absoluteError += Double(mae / Float(classes))
    totals.squaredError += Double(mse / Float(classes))
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
        addMetrics(&totals, p: pr, y: yr, classes: classes)
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
                var l1: Double = 0
                var l2: Double = 0
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
