import Foundation
import Tensor

@testable import NeuralNet

/// A deliberately naive Float64 implementation of the layers, written from the Keras definitions
/// (direct loops over every output and every kernel tap, padding included), used as the independent
/// reference for the engine's forward pass and for finite-difference gradients.
struct ReferenceNetwork {
    let architecture: Architecture
    var weights: [[[Double]]]  // [layer][variable][flat]

    init(architecture: Architecture, weights: [[Tensor]]) {
        self.architecture = architecture
        self.weights = weights.map { $0.map { $0.scalars.map(Double.init) } }
    }

    /// Probabilities (or whatever the last layer outputs) and, for a softmax last layer, the logits.
    func forward(_ x: [Double], samples: Int) throws -> (output: [Double], logits: [Double]?) {
        var shape = try architecture.inputShape()
        var a = x
        var logits: [Double]? = nil
        for (li, layer) in architecture.layers.enumerated() {
            let out = try layer.outputShape(for: shape)
            logits = nil
            switch layer.kind {
            case .input, .flatten:
                break
            case .conv2D(let o):
                let (h, w, c) = (shape[0], shape[1], shape[2])
                let (ho, wo, f) = (out[0], out[1], out[2])
                let (kh, kw) = (o.kernelSize[0], o.kernelSize[1])
                let (sh, sw) = (o.strides[0], o.strides[1])
                let padTop = o.padding == .same ? max((ho - 1) * sh + kh - h, 0) / 2 : 0
                let padLeft = o.padding == .same ? max((wo - 1) * sw + kw - w, 0) / 2 : 0
                let k = weights[li][0]
                let b = o.useBias ? weights[li][1] : [Double](repeating: 0, count: f)
                var y = [Double](repeating: 0, count: samples * ho * wo * f)
                for n in 0..<samples {
                    for oh in 0..<ho {
                        for ow in 0..<wo {
                            for fo in 0..<f {
                                var s = b[fo]
                                for i in 0..<kh {
                                    for j in 0..<kw {
                                        let ih = oh * sh + i - padTop
                                        let iw = ow * sw + j - padLeft
                                        if ih < 0 || ih >= h || iw < 0 || iw >= w { continue }
                                        for ci in 0..<c {
                                            s +=
                                                a[((n * h + ih) * w + iw) * c + ci]
                                                * k[((i * kw + j) * c + ci) * f + fo]
                                        }
                                    }
                                }
                                y[((n * ho + oh) * wo + ow) * f + fo] = s
                            }
                        }
                    }
                }
                if o.activation == .softmax { logits = y }
                a = Self.activate(y, o.activation, cols: f)
            case .maxPooling2D(let o):
                let (h, w, c) = (shape[0], shape[1], shape[2])
                let (ho, wo) = (out[0], out[1])
                let (ph, pw) = (o.poolSize[0], o.poolSize[1])
                let (sh, sw) = (o.strides[0], o.strides[1])
                let padTop = o.padding == .same ? max((ho - 1) * sh + ph - h, 0) / 2 : 0
                let padLeft = o.padding == .same ? max((wo - 1) * sw + pw - w, 0) / 2 : 0
                var y = [Double](repeating: -.infinity, count: samples * ho * wo * c)
                for n in 0..<samples {
                    for oh in 0..<ho {
                        for ow in 0..<wo {
                            for ci in 0..<c {
                                for i in 0..<ph {
                                    for j in 0..<pw {
                                        let ih = oh * sh + i - padTop
                                        let iw = ow * sw + j - padLeft
                                        if ih < 0 || ih >= h || iw < 0 || iw >= w { continue }
                                        let idx = ((n * ho + oh) * wo + ow) * c + ci
                                        y[idx] = max(y[idx], a[((n * h + ih) * w + iw) * c + ci])
                                    }
                                }
                            }
                        }
                    }
                }
                a = y
            case .dense(let o):
                let inCount = shape[0]
                let u = o.units
                let k = weights[li][0]
                let b = o.useBias ? weights[li][1] : [Double](repeating: 0, count: u)
                var y = [Double](repeating: 0, count: samples * u)
                for n in 0..<samples {
                    for j in 0..<u {
                        var s = b[j]
                        for i in 0..<inCount { s += a[n * inCount + i] * k[i * u + j] }
                        y[n * u + j] = s
                    }
                }
                if o.activation == .softmax { logits = y }
                a = Self.activate(y, o.activation, cols: u)
            case .dropout:
                break  // inference, or rate 0
            case .activation(let act):
                if act == .softmax { logits = a }
                a = Self.activate(a, act, cols: shape.last ?? 1)
            }
            shape = out
        }
        return (a, logits)
    }

    static func activate(_ x: [Double], _ act: Activation, cols: Int) -> [Double] {
        switch act {
        case .linear: return x
        case .relu: return x.map { max($0, 0) }
        case .sigmoid: return x.map { 1 / (1 + exp(-$0)) }
        case .tanh: return x.map { Foundation.tanh($0) }
        case .softmax:
            var y = x
            for r in 0..<(x.count / cols) {
                let row = x[(r * cols)..<((r + 1) * cols)]
                let m = row.max()!
                let e = row.map { exp($0 - m) }
                let s = e.reduce(0, +)
                for j in 0..<cols { y[r * cols + j] = e[j] / s }
            }
            return y
        }
    }

    /// Keras's loss: mean categorical cross-entropy (from logits after a softmax Dense/Conv, else the
    /// normalised, clipped probability form) plus every regulariser term.
    func loss(_ x: [Double], targets y: [Double], samples: Int) throws -> Double {
        let (p, logits) = try forward(x, samples: samples)
        let k = p.count / samples
        var total = 0.0
        for n in 0..<samples {
            if let z = logits {
                let row = Array(z[(n * k)..<((n + 1) * k)])
                let m = row.max()!
                let lse = m + log(row.map { exp($0 - m) }.reduce(0, +))
                for c in 0..<k { total += y[n * k + c] * (lse - row[c]) }
            } else {
                let row = Array(p[(n * k)..<((n + 1) * k)])
                let s = row.reduce(0, +)
                for c in 0..<k {
                    let q = min(max(row[c] / s, 1e-7), 1 - 1e-7)
                    total -= y[n * k + c] * log(q)
                }
            }
        }
        var reg = 0.0
        for (li, layer) in architecture.layers.enumerated() {
            var pairs: [(Int, Regularizer)] = []
            switch layer.kind {
            case .dense(let o):
                if let r = o.kernelRegularizer { pairs.append((0, r)) }
                if o.useBias, let r = o.biasRegularizer { pairs.append((1, r)) }
            case .conv2D(let o):
                if let r = o.kernelRegularizer { pairs.append((0, r)) }
                if o.useBias, let r = o.biasRegularizer { pairs.append((1, r)) }
            default: break
            }
            for (v, r) in pairs {
                for wv in weights[li][v] { reg += Double(r.l1) * abs(wv) + Double(r.l2) * wv * wv }
            }
        }
        return total / Double(samples) + reg
    }

    /// Central-difference gradient of `loss` w.r.t. every variable (step `h`).
    func numericGradients(_ x: [Double], targets y: [Double], samples: Int, h: Double = 1e-6) throws -> [[[Double]]] {
        var copy = self
        var result: [[[Double]]] = []
        for li in weights.indices {
            var layerGrads: [[Double]] = []
            for vi in weights[li].indices {
                var g = [Double](repeating: 0, count: weights[li][vi].count)
                for i in g.indices {
                    let w0 = weights[li][vi][i]
                    copy.weights[li][vi][i] = w0 + h
                    let up = try copy.loss(x, targets: y, samples: samples)
                    copy.weights[li][vi][i] = w0 - h
                    let down = try copy.loss(x, targets: y, samples: samples)
                    copy.weights[li][vi][i] = w0
                    g[i] = (up - down) / (2 * h)
                }
                layerGrads.append(g)
            }
            result.append(layerGrads)
        }
        return result
    }
}
