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
            var i = 0
            while i + 8 <= count {
                let v = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(y + i).storeBytes(of: pointwiseMax(v, SIMD8()), as: SIMD8<Float>.self)
                i += 8
            }
            while i < count {
                y[i] = max(y[i], 0)
                i += 1
            }
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
            var i = 0
            while i + 8 <= count {
                let v = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
                let d = UnsafeRawPointer(dy + i).loadUnaligned(as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(dy + i).storeBytes(
                    of: d.replacing(with: 0, where: v .<= 0), as: SIMD8<Float>.self)
                i += 8
            }
            while i < count {
                if y[i] <= 0 { dy[i] = 0 }
                i += 1
            }
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
