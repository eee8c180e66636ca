import CKernels
import Tensor

/// Inference of a `Conv2D` layer with a kernel 3 wide and stride 1 along the width by Winograd's minimal
/// filtering along the width (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016):
/// F(4, 3) where the output is at least 4 wide, else F(2, 3). Each tile of m neighbouring outputs of a
/// row group takes m + 2 products per input row and channel instead of 3m, so F(4, 3) removes half of
/// the layer's multiply-adds (F(2, 3) a third). The NeatMS network's second convolution, more than half
/// of its arithmetic, has this shape.
///
/// Per tile t (outputs m·t …, inputs d0 … d(m+1) from column m·t − pad) and kernel taps g0…g2, the
/// transforms Bᵀd and G·g give V_ξ and U_ξ for the m + 2 points ξ, one GEMM M_ξ = V_ξ·U_ξ over (input
/// rows, channels) per point, and Aᵀ·M gives the outputs:
/// - F(2, 3), points 0, ±1, ∞: V = (d0 − d2, d1 + d2, d2 − d1, d1 − d3), U = (g0, (g0 + g1 + g2)/2,
///   (g0 − g1 + g2)/2, g2), y0 = M0 + M1 + M2, y1 = M1 − M2 − M3.
/// - F(4, 3), points 0, ±1, ±2, ∞: V = (4d0 − 5d2 + d4, −4d1 − 4d2 + d3 + d4, 4d1 − 4d2 − d3 + d4,
///   −2d1 − d2 + 2d3 + d4, 2d1 − d2 − 2d3 + d4, 4d1 − 5d3 + d5), U = (g0/4, −(g0 + g1 + g2)/6,
///   −(g0 − g1 + g2)/6, g0/24 + g1/12 + g2/6, g0/24 − g1/12 + g2/6, g2), y0 = M0 + M1 + M2 + M3 + M4,
///   y1 = M1 − M2 + 2(M3 − M4), y2 = M1 + M2 + 4(M3 + M4), y3 = M1 − M2 + 8(M3 − M4) + M5.
/// The results equal the direct convolution up to float rounding (the sums are grouped differently);
/// training keeps the direct im2col form, so gradients are unchanged.
final class WinogradWidth3 {
    let groups: [Conv2DLayer.RowGroup]
    let cols: WindowAxis
    let channels: Int
    let filters: Int
    /// Outputs per tile along the width: 4 (F(4, 3)) or 2 (F(2, 3)).
    let tileWidth: Int
    /// Tiles per row.
    let tiles: Int
    /// Transform points per tile (tileWidth + 2).
    var points: Int { tileWidth + 2 }
    /// Per group, per ξ: U_ξ as [(row, channel), (member, filter)], and the same packed for
    /// `nmk_gemm_panels` (the GEMMs' right operands, packed once per weights version).
    private var transformed: [[FloatBuffer]]
    private var packedTransformed: [[FloatBuffer]]
    /// Per worker, per ξ: V_ξ and M_ξ for one tile of samples.
    private var inputs: [[FloatBuffer]] = []
    private var products: [[FloatBuffer]] = []
    /// The same as C pointer tables, and each group's output rows.
    private var inputTables: [[UnsafeMutablePointer<Float>?]] = []
    private var productTables: [[UnsafePointer<Float>?]] = []
    private let outputRows: [[Int32]]
    /// A row of zero channels standing in for padded columns.
    private let zeros: FloatBuffer

    /// nil when the layer does not have the shape (kernel 3 wide, stride 1 along the width).
    /// `tileWidth` forces F(2, 3) or F(4, 3) (tests); by default F(4, 3) where the output is ≥ 4 wide.
    init?(
        groups: [Conv2DLayer.RowGroup], cols: WindowAxis, channels: Int, filters: Int,
        tileWidth: Int? = nil
    ) {
        guard cols.window == 3, cols.stride == 1, cols.output >= 2, !groups.isEmpty else { return nil }
        self.groups = groups
        self.cols = cols
        self.channels = channels
        self.filters = filters
        let m = tileWidth ?? (cols.output >= 4 ? 4 : 2)
        precondition(m == 2 || m == 4, "Winograd tiles are 2 or 4 outputs wide")
        self.tileWidth = m
        tiles = (cols.output + m - 1) / m
        transformed = groups.map { group in
            (0..<(m + 2)).map { _ in FloatBuffer(count: group.rowCount * channels * group.members.count * filters) }
        }
        packedTransformed = groups.map { group in
            (0..<(m + 2)).map { _ in
                FloatBuffer(count: nmk_packed_panels_size(group.rowCount * channels, group.members.count * filters))
            }
        }
        zeros = FloatBuffer(count: channels)
        outputRows = groups.map { $0.members.map { Int32($0.outputRow) } }
    }

    private func depth(_ g: Conv2DLayer.RowGroup) -> Int { g.rowCount * channels }
    private func width(_ g: Conv2DLayer.RowGroup) -> Int { g.members.count * filters }

    func reserve(workers: Int, tileSamples: Int) {
        guard inputs.count < workers else { return }
        let maxDepth = groups.map(depth).max() ?? 0
        let maxWidth = groups.map(width).max() ?? 0
        inputs = (0..<workers).map { _ in (0..<points).map { _ in FloatBuffer(count: tileSamples * tiles * maxDepth) } }
        products = (0..<workers).map { _ in (0..<points).map { _ in FloatBuffer(count: tileSamples * tiles * maxWidth) }
        }
        inputTables = inputs.map { $0.map { UnsafeMutablePointer<Float>?($0.pointer) } }
        productTables = products.map { $0.map { UnsafePointer<Float>?($0.pointer) } }
    }

    /// U_ξ from the kernel (HWIO, [kh][3][C][F]); call whenever the weights may have changed.
    func transformKernel(_ kernel: UnsafePointer<Float>) {
        let c = channels
        let f = filters
        let four = tileWidth == 4
        for (g, group) in groups.enumerated() {
            let w = width(group)
            let u = transformed[g].map(\.pointer)
            for (m, member) in group.members.enumerated() {
                for r in 0..<group.rowCount {
                    let tap = kernel + (member.kernelRow + r) * 3 * c * f  // [3][C][F] of this kernel row
                    for q in 0..<c {
                        let g0 = tap + q * f
                        let g1 = tap + (c + q) * f
                        let g2 = tap + (2 * c + q) * f
                        let row = (r * c + q) * w + m * f
                        for j in 0..<f {
                            let a = g0[j]
                            let b = g1[j]
                            let e = g2[j]
                            if four {
                                u[0][row + j] = a / 4
                                u[1][row + j] = -(a + b + e) / 6
                                u[2][row + j] = -(a - b + e) / 6
                                u[3][row + j] = a / 24 + b / 12 + e / 6
                                u[4][row + j] = a / 24 - b / 12 + e / 6
                                u[5][row + j] = e
                            } else {
                                u[0][row + j] = a
                                u[1][row + j] = (a + b + e) * 0.5
                                u[2][row + j] = (a - b + e) * 0.5
                                u[3][row + j] = e
                            }
                        }
                    }
                }
            }
            for xi in 0..<points {
                nmk_pack_panels(u[xi], w, depth(group), w, packedTransformed[g][xi].pointer)
            }
        }
    }

    /// Writes the output rows of every row group for samples `n0..<n1` into `y` (NHWC), bias added and,
    /// with `relu`, ReLU applied; other activations are left to the caller. The transforms are CKernels'
    /// (vectorised C), the products CKernels' panel products on the packed U_ξ.
    func forward(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, n0: Int, n1: Int, worker: Int,
        inputSize: Int, outputSize: Int, bias: UnsafePointer<Float>, relu: Bool
    ) {
        let alpha = points
        let samples = n1 - n0
        for (g, group) in groups.enumerated() {
            let k = depth(group)
            let w = width(group)
            nmk_winograd_input(
                Int32(tileWidth), x + n0 * inputSize, samples, inputSize, Int32(group.firstInputRow),
                Int32(group.rowCount), Int32(cols.input), Int32(channels), Int32(tiles), Int32(cols.padBefore),
                zeros.pointer, inputTables[worker])
            for xi in 0..<alpha {
                nmk_gemm_panels(
                    samples * tiles, w, k, inputs[worker][xi].pointer, k, packedTransformed[g][xi].pointer, nil, 0,
                    products[worker][xi].pointer, w)
            }
            nmk_winograd_output(
                Int32(tileWidth), productTables[worker], samples, Int32(group.members.count), outputRows[g],
                Int32(tiles),
                Int32(cols.output), Int32(filters), y + n0 * outputSize, outputSize, bias, relu ? 1 : 0)
        }
    }
}
