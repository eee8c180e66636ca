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
/// The results equal the direct convolution up to float rounding (the sums are grouped differently).
///
/// Inference also uses the kernel's structure along the height where a row group reads two input rows
/// x0, x1 for two output rows whose kernel rows overlap by one (the NeatMS network's 2-row input with a
/// kernel 3 high and `same` padding: y0 = x0·K1 + x1·K2, y1 = x0·K0 + x1·K1). Per point, the shared
/// kernel row's product is taken once on the rows' sum: P = (x0 + x1)·K1, y0 = P + x1·(K2 − K1),
/// y1 = P + x0·(K0 − K1) (Winograd's F(2, 2) along the height), three products of depth C instead of
/// four: a quarter fewer multiply-adds for conv2d_2 again. Training keeps the four products (its kernel
/// gradient reads the forward pass's V_ξ).
///
/// Training uses the transforms in all three products of the layer: the forward pass is `forward`
/// itself; the kernel gradient (`addKernelGradient`) is the transpose of the forward product,
/// dU_ξ = V_ξᵀ·dM_ξ with dM = A·dy (the output transform's transpose), summed over the batch's tiles and
/// taken back through Gᵀ; the input gradient (`addInputGradient`) is itself a convolution 3 wide with
/// stride 1 along the width (the kernel's taps reversed, its channels and filters swapped), run as
/// another Winograd product. Each needs m + 2 products per m outputs instead of 3m. The kernel gradient
/// sums over every tile of the batch, where F(4, 3)'s larger rounding error shows (one Adam step on
/// the Keras fixtures moved conv2d_2 by 1.13e-5 of the update's norm, over the tests' 1e-5), so the
/// layer computes it with F(2, 3).
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
    /// Per group, for the shared form of inference (see above): for each of the two members, the input
    /// row whose kernel row is the one both members use, and the other input row; nil for other groups.
    let sharedRows: [(shared: [Int], other: [Int])?]
    /// Inference uses the shared form where a group has it; tests switch it off to compare.
    var usesSharedRows = true
    /// Per shared group, per ξ: the shared kernel row's U_ξ, then each member's other row's U_ξ minus it,
    /// packed (C × F each); empty for other groups.
    private var sharedKernels: [[[FloatBuffer]]]
    /// Per worker: the rows' sum (x0 + x1)'s V_ξ for one tile of samples.
    private var rowSums: [FloatBuffer] = []

    // Training: per group, per ξ, the V_ξ of the whole batch (kept for the kernel gradient), dM_ξ and
    // dU_ξ; the input gradient's packed kernels U'_ξ, points and output.
    /// Tiles per row of the input gradient (its outputs are the layer's input columns).
    let dataTiles: Int
    private var keptInputs: [[FloatBuffer]] = []
    private var outputGradients: [FloatBuffer] = []
    private var kernelGradientPoints: [FloatBuffer] = []
    private var dataKernels: [[FloatBuffer]]
    private var dataKernelScratch: [FloatBuffer] = []
    private var dataInputs: [FloatBuffer] = []
    private var dataProducts: [FloatBuffer] = []
    private var dataOutput = FloatBuffer(count: 0)
    private var trainingBatch = 0
    private let inputRows: [[Int32]]

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
        let maxDepth = groups.map { $0.rowCount * channels }.max() ?? 0
        let maxWidth = groups.map { $0.members.count * filters }.max() ?? 0
        zeros = FloatBuffer(count: max(channels, maxDepth, maxWidth))
        outputRows = groups.map { $0.members.map { Int32($0.outputRow) } }
        inputRows = groups.map { group in (0..<group.rowCount).map { Int32(group.firstInputRow + $0) } }
        dataTiles = (cols.input + m - 1) / m
        sharedRows = groups.map { group in
            guard group.rowCount == 2, group.members.count == 2 else { return nil }
            let (k0, k1) = (group.members[0].kernelRow, group.members[1].kernelRow)
            // Member 0's input row r0 and member 1's r1 read the same kernel row: k0 + r0 == k1 + r1.
            if k0 == k1 + 1 { return (shared: [0, 1], other: [1, 0]) }
            if k1 == k0 + 1 { return (shared: [1, 0], other: [0, 1]) }
            return nil
        }
        sharedKernels = zip(groups, sharedRows).map { group, shared in
            guard shared != nil else { return [] }
            return (0..<(m + 2)).map { _ in
                (0..<3).map { _ in FloatBuffer(count: nmk_packed_panels_size(channels, filters)) }
            }
        }
        dataKernels = groups.map { group in
            (0..<(m + 2)).map { _ in
                FloatBuffer(count: nmk_packed_panels_size(group.members.count * filters, group.rowCount * channels))
            }
        }
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
        rowSums = (0..<workers).map { _ in FloatBuffer(count: tileSamples * tiles * channels) }
    }

    /// G·(a, b, e): one kernel row's three taps as the points' values, written to u[ξ][i].
    @inline(__always)
    private static func points(
        _ a: Float, _ b: Float, _ e: Float, four: Bool, into u: [UnsafeMutablePointer<Float>], at i: Int
    ) {
        if four {
            u[0][i] = a / 4
            u[1][i] = -(a + b + e) / 6
            u[2][i] = -(a - b + e) / 6
            u[3][i] = a / 24 + b / 12 + e / 6
            u[4][i] = a / 24 - b / 12 + e / 6
            u[5][i] = e
        } else {
            u[0][i] = a
            u[1][i] = (a + b + e) * 0.5
            u[2][i] = (a - b + e) * 0.5
            u[3][i] = e
        }
    }

    /// Calls `body(member, row, channel, g0, g1, g2)` for every member's kernel rows of a group and every
    /// channel, with g0, g1, g2 the three taps' rows of filters (F floats each) in an HWIO array `base`
    /// (the kernel or its gradient).
    @inline(__always)
    private func forEachKernelRow(
        _ group: Conv2DLayer.RowGroup, _ base: UnsafeMutablePointer<Float>,
        _ body: (Int, Int, Int, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>)
            -> Void
    ) {
        let c = channels
        let f = filters
        for (m, member) in group.members.enumerated() {
            for r in 0..<group.rowCount {
                let tap = base + (member.kernelRow + r) * 3 * c * f
                for q in 0..<c { body(m, r, q, tap + q * f, tap + (c + q) * f, tap + (2 * c + q) * f) }
            }
        }
    }

    /// U_ξ from the kernel (HWIO, [kh][3][C][F]); call whenever the weights may have changed.
    func transformKernel(_ kernel: UnsafePointer<Float>) {
        let c = channels
        let f = filters
        let four = tileWidth == 4
        for (g, group) in groups.enumerated() {
            let w = width(group)
            let u = transformed[g].map(\.pointer)
            forEachKernelRow(group, UnsafeMutablePointer(mutating: kernel)) { m, r, q, g0, g1, g2 in
                let row = (r * c + q) * w + m * f
                for j in 0..<f { Self.points(g0[j], g1[j], g2[j], four: four, into: u, at: row + j) }
            }
            for xi in 0..<points {
                nmk_pack_panels(u[xi], w, depth(group), w, packedTransformed[g][xi].pointer)
            }
        }
    }

    /// The shared form's kernels (inference) from the U_ξ of the last `transformKernel`.
    func packSharedKernels() {
        for (g, shared) in sharedRows.enumerated() {
            if let shared { packSharedKernels(group: g, shared: shared, u: transformed[g].map(\.pointer)) }
        }
    }

    /// The shared form's kernels of group `g` from its U_ξ (`u`, [(row, channel), (member, filter)]).
    private func packSharedKernels(
        group g: Int, shared: (shared: [Int], other: [Int]), u: [UnsafeMutablePointer<Float>]
    ) {
        let c = channels
        let f = filters
        let w = 2 * f
        var block = [Float](repeating: 0, count: c * f)
        for xi in 0..<points {
            // U_ξ of input row `row`, member `member`: C × F, rows w floats apart.
            let at = { (row: Int, member: Int) in u[xi] + row * c * w + member * f }
            let common = at(shared.shared[0], 0)
            for (i, source) in [common, at(shared.other[0], 0), at(shared.other[1], 1)].enumerated() {
                for q in 0..<c {
                    for j in 0..<f {
                        block[q * f + j] = i == 0 ? source[q * w + j] : source[q * w + j] - common[q * w + j]
                    }
                }
                nmk_pack_panels(block, f, c, f, sharedKernels[g][xi][i].pointer)
            }
        }
    }

    /// Writes the output rows of every row group for samples `n0..<n1` into `y` (NHWC), bias added and,
    /// with `relu`, ReLU applied; other activations are left to the caller. The transforms are CKernels'
    /// (vectorised C), the products CKernels' panel products on the packed U_ξ.
    /// With `shared`, groups that have the shared form (see above) use it (inference).
    func forward(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, n0: Int, n1: Int, worker: Int,
        inputSize: Int, outputSize: Int, bias: UnsafePointer<Float>, relu: Bool, shared: Bool = false
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
            let rows = samples * tiles
            if shared && usesSharedRows, let form = sharedRows[g] {
                let c = channels
                let f = filters
                let sum = rowSums[worker].pointer
                for xi in 0..<alpha {
                    let v = inputs[worker][xi].pointer
                    let m = products[worker][xi].pointer
                    let kernels = sharedKernels[g][xi]
                    nmk_add_blocks(v, k, v + c, k, rows, c, sum, c)
                    nmk_gemm_shared(
                        rows, f, c, sum, c, v + form.other[0] * c, v + form.other[1] * c, k, kernels[0].pointer,
                        kernels[1].pointer, kernels[2].pointer, m, m + f, w)
                }
            } else {
                for xi in 0..<alpha {
                    nmk_gemm_panels(
                        rows, w, k, inputs[worker][xi].pointer, k, packedTransformed[g][xi].pointer, nil, 0,
                        products[worker][xi].pointer, w)
                }
            }
            nmk_winograd_output(
                Int32(tileWidth), productTables[worker], samples, Int32(group.members.count), outputRows[g],
                Int32(tiles),
                Int32(cols.output), Int32(filters), y + n0 * outputSize, outputSize, bias, relu ? 1 : 0)
        }
    }
}

// MARK: - Training

extension WinogradWidth3 {
    /// Pointers to each buffer `offset` floats in (the C kernels' tables of the points' rows).
    private static func table(_ buffers: [FloatBuffer], offset: Int) -> [UnsafeMutablePointer<Float>?] {
        buffers.map { $0.pointer + offset }
    }

    /// Sizes the whole-batch workspaces of training for batches of up to `batch` samples.
    func reserveTraining(batch: Int) {
        guard batch > trainingBatch else { return }
        let maxDepth = groups.map(depth).max() ?? 0
        let maxWidth = groups.map(width).max() ?? 0
        keptInputs = groups.map { group in (0..<points).map { _ in FloatBuffer(count: batch * tiles * depth(group)) } }
        outputGradients = (0..<points).map { _ in FloatBuffer(count: batch * tiles * maxWidth) }
        kernelGradientPoints = (0..<points).map { _ in FloatBuffer(count: maxDepth * maxWidth) }
        dataKernelScratch = (0..<points).map { _ in FloatBuffer(count: maxDepth * maxWidth) }
        dataInputs = (0..<points).map { _ in FloatBuffer(count: batch * dataTiles * maxWidth) }
        dataProducts = (0..<points).map { _ in FloatBuffer(count: batch * dataTiles * maxDepth) }
        dataOutput = FloatBuffer(count: batch * cols.input * maxDepth)
        trainingBatch = batch
    }

    /// Adds the kernel gradient (HWIO) of a batch to `gradient`: V_ξ from the layer's input `x`, dM_ξ
    /// from `dy` (the gradient of the pre-activation output), dU_ξ = V_ξᵀ·dM_ξ over the batch's tiles,
    /// then Gᵀ. The transforms are split into `parts` blocks of samples, the products into blocks of
    /// output rows, so each element is computed alike for any split.
    func addKernelGradient(
        x: UnsafePointer<Float>, dy: UnsafePointer<Float>, batch: Int, inputSize: Int, outputSize: Int,
        into gradient: UnsafeMutablePointer<Float>, parts: Int
    ) {
        let p = max(1, min(parts, batch))
        for (g, group) in groups.enumerated() {
            let k = depth(group)
            let w = width(group)
            let v = Self.table(keptInputs[g], offset: 0)
            let dm = Self.table(outputGradients, offset: 0)
            inputRows[g].withUnsafeBufferPointer { inRows in
                outputRows[g].withUnsafeBufferPointer { outRows in
                    parallelParts(p) { part in
                        let range = partRange(part, of: p, count: batch)
                        guard !range.isEmpty else { return }
                        let n0 = range.lowerBound
                        let vOffset = n0 * tiles * k
                        let mOffset = n0 * tiles * w
                        nmk_winograd_input_rows(
                            Int32(tileWidth), x + n0 * inputSize, range.count, inputSize, inRows.baseAddress,
                            Int32(group.rowCount), Int32(cols.input), Int32(channels), Int32(tiles),
                            Int32(cols.padBefore), zeros.pointer, v.map { $0.map { $0 + vOffset } })
                        nmk_winograd_output_gradient(
                            Int32(tileWidth), dy + n0 * outputSize, range.count, outputSize,
                            Int32(group.members.count), outRows.baseAddress, Int32(tiles), Int32(cols.output),
                            Int32(filters), dm.map { $0.map { $0 + mOffset } })
                    }
                }
            }
            for xi in 0..<points {
                parallelGemm(
                    parts: parts, transA: true, m: k, n: w, k: batch * tiles, a: keptInputs[g][xi].pointer, lda: k,
                    b: outputGradients[xi].pointer, ldb: w, beta: 0, c: kernelGradientPoints[xi].pointer, ldc: w)
            }
            addKernelGradient(group: group, into: gradient)
        }
    }

    /// Adds the input gradient of a batch to `dx`, from `dy` (the gradient of the pre-activation output)
    /// and the layer's kernel (HWIO), in `parts` blocks of samples.
    func addInputGradient(
        dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, batch: Int, inputSize: Int, outputSize: Int,
        kernel: UnsafePointer<Float>, parts: Int
    ) {
        let p = max(1, min(parts, batch))
        for g in groups.indices {
            addInputGradient(
                group: g, dy: dy, dx: dx, batch: batch, inputSize: inputSize, outputSize: outputSize, kernel: kernel,
                parts: p)
        }
    }

    /// dg = Gᵀ·dU of every member's kernel rows, added to the HWIO kernel gradient.
    private func addKernelGradient(group: Conv2DLayer.RowGroup, into gradient: UnsafeMutablePointer<Float>) {
        let c = channels
        let f = filters
        let w = width(group)
        let du = kernelGradientPoints.map { UnsafePointer($0.pointer) }
        let four = tileWidth == 4
        forEachKernelRow(group, gradient) { m, r, q, g0, g1, g2 in
            let row = (r * c + q) * w + m * f
            for j in 0..<f {
                let i = row + j
                if four {
                    let s12 = du[1][i] + du[2][i]
                    let d12 = du[1][i] - du[2][i]
                    let s34 = du[3][i] + du[4][i]
                    let d34 = du[3][i] - du[4][i]
                    g0[j] += du[0][i] / 4 - s12 / 6 + s34 / 24
                    g1[j] += -d12 / 6 + d34 / 12
                    g2[j] += -s12 / 6 + s34 / 6 + du[5][i]
                } else {
                    let s12 = du[1][i] + du[2][i]
                    g0[j] += du[0][i] + s12 * 0.5
                    g1[j] += (du[1][i] - du[2][i]) * 0.5
                    g2[j] += s12 * 0.5 + du[3][i]
                }
            }
        }
    }

    /// The input gradient of group `g`: a Winograd convolution of dy's member rows (channels (member,
    /// filter)) with the kernel's taps reversed (outputs (input row, channel) at every input column),
    /// added to dx.
    private func addInputGradient(
        group g: Int, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, batch: Int, inputSize: Int,
        outputSize: Int, kernel: UnsafePointer<Float>, parts: Int
    ) {
        let group = groups[g]
        let c = channels
        let f = filters
        let k = depth(group)
        let w = width(group)
        let wi = cols.input
        let wo = cols.output
        let four = tileWidth == 4
        // U'_ξ as [(member, filter), (row, channel)], packed.
        let u = dataKernelScratch.map(\.pointer)
        forEachKernelRow(group, UnsafeMutablePointer(mutating: kernel)) { m, r, q, g0, g1, g2 in
            for j in 0..<f { Self.points(g2[j], g1[j], g0[j], four: four, into: u, at: (m * f + j) * k + r * c + q) }
        }
        for xi in 0..<points { nmk_pack_panels(u[xi], k, w, k, dataKernels[g][xi].pointer) }
        let inputs = Self.table(dataInputs, offset: 0)
        let products = dataProducts.map { UnsafePointer<Float>?($0.pointer) }
        outputRows[g].withUnsafeBufferPointer { rows in
            parallelParts(parts) { part in
                let range = partRange(part, of: parts, count: batch)
                guard !range.isEmpty else { return }
                let n0 = range.lowerBound
                let samples = range.count
                let vOffset = n0 * dataTiles * w
                let mOffset = n0 * dataTiles * k
                nmk_winograd_input_rows(
                    Int32(tileWidth), dy + n0 * outputSize, samples, outputSize, rows.baseAddress,
                    Int32(group.members.count), Int32(wo), Int32(f), Int32(dataTiles), Int32(2 - cols.padBefore),
                    zeros.pointer, inputs.map { $0.map { $0 + vOffset } })
                for xi in 0..<points {
                    nmk_gemm_panels(
                        samples * dataTiles, k, w, inputs[xi]! + vOffset, w, dataKernels[g][xi].pointer, nil, 0,
                        dataProducts[xi].pointer + mOffset, k)
                }
                let out = dataOutput.pointer + n0 * wi * k
                var zeroRow: Int32 = 0
                nmk_winograd_output(
                    Int32(tileWidth), products.map { $0.map { $0 + mOffset } }, samples, 1, &zeroRow,
                    Int32(dataTiles), Int32(wi), Int32(k), out, wi * k, zeros.pointer, 0)
                for n in 0..<samples {
                    let xs = dx + (n0 + n) * inputSize
                    let src = out + n * wi * k
                    for iw in 0..<wi {
                        for r in 0..<group.rowCount {
                            let d = xs + ((group.firstInputRow + r) * wi + iw) * c
                            let s = src + iw * k + r * c
                            for q in 0..<c { d[q] += s[q] }
                        }
                    }
                }
            }
        }
    }
}
