import Tensor

/// Inference of a `Conv2D` layer with a kernel 3 wide and stride 1 along the width by Winograd's minimal
/// filtering F(2, 3) along the width (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks",
/// 2016): each pair of neighbouring outputs of a row group takes 4 products per input row and channel
/// instead of 6, so the layer's multiply-adds fall by a third. The NeatMS network's second convolution,
/// more than half of its arithmetic, has this shape.
///
/// Per pair t (outputs 2t and 2t + 1, inputs d0…d3 from column 2t − pad) and kernel taps g0…g2:
/// V = (d0 − d2, d1 + d2, d2 − d1, d1 − d3), U = (g0, (g0 + g1 + g2)/2, (g0 − g1 + g2)/2, g2), four GEMMs
/// M_ξ = V_ξ·U_ξ over (input rows, channels), then y(2t) = M0 + M1 + M2 and y(2t + 1) = M1 − M2 − M3.
/// The results equal the direct convolution up to float rounding (the sums are grouped differently);
/// training keeps the direct im2col form, so gradients are unchanged.
final class WinogradWidth3 {
    let groups: [Conv2DLayer.RowGroup]
    let rows: WindowAxis
    let cols: WindowAxis
    let channels: Int
    let filters: Int
    /// Output pairs per row.
    let pairs: Int
    /// Per group, per ξ: U_ξ as [(row, channel), (member, filter)].
    private var transformed: [[FloatBuffer]]
    /// Per worker, per ξ: V_ξ and M_ξ for one tile of samples.
    private var inputs: [[FloatBuffer]] = []
    private var products: [[FloatBuffer]] = []
    /// A row of zero channels standing in for padded columns.
    private let zeros: FloatBuffer

    /// nil when the layer does not have the shape (kernel 3 wide, stride 1 along the width).
    init?(groups: [Conv2DLayer.RowGroup], rows: WindowAxis, cols: WindowAxis, channels: Int, filters: Int) {
        guard cols.window == 3, cols.stride == 1, cols.output >= 2, !groups.isEmpty else { return nil }
        self.groups = groups
        self.rows = rows
        self.cols = cols
        self.channels = channels
        self.filters = filters
        pairs = (cols.output + 1) / 2
        transformed = groups.map { group in
            (0..<4).map { _ in FloatBuffer(count: group.rowCount * channels * group.members.count * filters) }
        }
        zeros = FloatBuffer(count: channels)
    }

    private func depth(_ g: Conv2DLayer.RowGroup) -> Int { g.rowCount * channels }
    private func width(_ g: Conv2DLayer.RowGroup) -> Int { g.members.count * filters }

    func reserve(workers: Int, tileSamples: Int) {
        guard inputs.count < workers else { return }
        let maxDepth = groups.map(depth).max() ?? 0
        let maxWidth = groups.map(width).max() ?? 0
        inputs = (0..<workers).map { _ in (0..<4).map { _ in FloatBuffer(count: tileSamples * pairs * maxDepth) } }
        products = (0..<workers).map { _ in (0..<4).map { _ in FloatBuffer(count: tileSamples * pairs * maxWidth) } }
    }

    /// U_ξ from the kernel (HWIO, [kh][3][C][F]); call whenever the weights may have changed.
    func transformKernel(_ kernel: UnsafePointer<Float>) {
        let c = channels, f = filters
        for (g, group) in groups.enumerated() {
            let w = width(group)
            let u = transformed[g].map(\.pointer)
            for (m, member) in group.members.enumerated() {
                for r in 0..<group.rowCount {
                    let tap = kernel + (member.kernelRow + r) * 3 * c * f  // [3][C][F] of this kernel row
                    for q in 0..<c {
                        let g0 = tap + q * f, g1 = tap + (c + q) * f, g2 = tap + (2 * c + q) * f
                        let row = (r * c + q) * w + m * f
                        for j in 0..<f {
                            u[0][row + j] = g0[j]
                            u[1][row + j] = (g0[j] + g1[j] + g2[j]) * 0.5
                            u[2][row + j] = (g0[j] - g1[j] + g2[j]) * 0.5
                            u[3][row + j] = g2[j]
                        }
                    }
                }
            }
        }
    }

    /// Writes the output rows of every row group for samples `n0..<n1` into `y` (NHWC), bias added and,
    /// with `relu`, ReLU applied; other activations are left to the caller.
    func forward(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, n0: Int, n1: Int, worker: Int,
        inputSize: Int, outputSize: Int, bias: UnsafePointer<Float>, relu: Bool
    ) {
        let c = channels, f = filters, wo = cols.output, wi = cols.input
        let v = inputs[worker].map(\.pointer)
        let mm = products[worker].map(\.pointer)
        for (g, group) in groups.enumerated() {
            let k = depth(group), w = width(group)
            // Input transform: V_ξ[(n, t), (r, q)].
            for n in n0..<n1 {
                let xs = x + n * inputSize
                for t in 0..<pairs {
                    let rowOffset = ((n - n0) * pairs + t) * k
                    let start = 2 * t - cols.padBefore
                    for r in 0..<group.rowCount {
                        let line = xs + (group.firstInputRow + r) * wi * c
                        func column(_ i: Int) -> UnsafePointer<Float> {
                            i >= 0 && i < wi ? line + i * c : UnsafePointer(zeros.pointer)
                        }
                        let d0 = column(start), d1 = column(start + 1), d2 = column(start + 2), d3 = column(start + 3)
                        let o = rowOffset + r * c
                        let v0 = v[0] + o, v1 = v[1] + o, v2 = v[2] + o, v3 = v[3] + o
                        var q = 0
                        while q + 8 <= c {
                            let a0 = load8(d0 + q), a1 = load8(d1 + q), a2 = load8(d2 + q), a3 = load8(d3 + q)
                            store8(a0 - a2, v0 + q)
                            store8(a1 + a2, v1 + q)
                            store8(a2 - a1, v2 + q)
                            store8(a1 - a3, v3 + q)
                            q += 8
                        }
                        while q < c {
                            v0[q] = d0[q] - d2[q]
                            v1[q] = d1[q] + d2[q]
                            v2[q] = d2[q] - d1[q]
                            v3[q] = d1[q] - d3[q]
                            q += 1
                        }
                    }
                }
            }
            let m = (n1 - n0) * pairs
            for xi in 0..<4 {
                BLAS.sgemm(
                    m: m, n: w, k: k, a: v[xi], lda: k, b: transformed[g][xi].pointer, ldb: w, beta: 0, c: mm[xi],
                    ldc: w)
            }
            // Output transform, bias and (fused) ReLU, into NHWC.
            for n in n0..<n1 {
                for (mi, member) in group.members.enumerated() {
                    let out = y + n * outputSize + member.outputRow * wo * f
                    for t in 0..<pairs {
                        let o = ((n - n0) * pairs + t) * w + mi * f
                        let m0 = mm[0] + o, m1 = mm[1] + o, m2 = mm[2] + o, m3 = mm[3] + o
                        let first = out + 2 * t * f
                        if 2 * t + 1 < wo {
                            let second = first + f
                            var j = 0
                            let zero = SIMD8<Float>(repeating: 0)
                            while j + 8 <= f {
                                let b1 = load8(m1 + j), b2 = load8(m2 + j), b = load8(bias + j)
                                var y0 = load8(m0 + j) + b1 + b2 + b
                                var y1 = b1 - b2 - load8(m3 + j) + b
                                if relu {
                                    y0 = y0.replacing(with: zero, where: y0 .< zero)
                                    y1 = y1.replacing(with: zero, where: y1 .< zero)
                                }
                                store8(y0, first + j)
                                store8(y1, second + j)
                                j += 8
                            }
                            if j == f { continue }
                            if relu {
                                for j in j..<f {
                                    first[j] = max(m0[j] + m1[j] + m2[j] + bias[j], 0)
                                    second[j] = max(m1[j] - m2[j] - m3[j] + bias[j], 0)
                                }
                            } else {
                                for j in j..<f {
                                    first[j] = m0[j] + m1[j] + m2[j] + bias[j]
                                    second[j] = m1[j] - m2[j] - m3[j] + bias[j]
                                }
                            }
                        } else {
                            for j in 0..<f {
                                let value = m0[j] + m1[j] + m2[j] + bias[j]
                                first[j] = relu ? max(value, 0) : value
                            }
                        }
                    }
                }
            }
        }
    }
}

@inline(__always) private func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always) private func store8(_ value: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: value, as: SIMD8<Float>.self)
}
