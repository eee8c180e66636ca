import Foundation

// Element-wise activations on a row-major [rows, cols] block, the activation axis being the last
// (softmax normalises each row, i.e. over channels/units, as Keras does with axis=-1).

extension Activation {
    /// Applies the activation in place to `rows × cols` floats.
    func apply(_ y: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
        let count = rows * cols
        switch self {
        case .linear:
            return
        case .relu:
            for i in 0..<count { y[i] = max(y[i], 0) }
        case .sigmoid:
            for i in 0..<count { y[i] = 1 / (1 + expf(-y[i])) }
        case .tanh:
            for i in 0..<count { y[i] = tanhf(y[i]) }
        case .softmax:
            for r in 0..<rows {
                let row = y + r * cols
                var m = -Float.infinity
                for j in 0..<cols { m = max(m, row[j]) }
                var s: Float = 0
                for j in 0..<cols {
                    let e = expf(row[j] - m)
                    row[j] = e
                    s += e
                }
                let inv = 1 / s
                for j in 0..<cols { row[j] *= inv }
            }
        }
    }

    /// Turns `dy` (gradient w.r.t. the activation's output `y`) into the gradient w.r.t. its input,
    /// in place, for `rows × cols` floats.
    func backward(y: UnsafePointer<Float>, dy: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
        let count = rows * cols
        switch self {
        case .linear:
            return
        case .relu:
            for i in 0..<count where y[i] <= 0 { dy[i] = 0 }
        case .sigmoid:
            for i in 0..<count { dy[i] *= y[i] * (1 - y[i]) }
        case .tanh:
            for i in 0..<count { dy[i] *= 1 - y[i] * y[i] }
        case .softmax:
            for r in 0..<rows {
                let yr = y + r * cols
                let dr = dy + r * cols
                var dot: Float = 0
                for j in 0..<cols { dot += dr[j] * yr[j] }
                for j in 0..<cols { dr[j] = yr[j] * (dr[j] - dot) }
            }
        }
    }
}
