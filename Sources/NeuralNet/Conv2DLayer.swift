import CKernels
import Tensor

/// `Conv2D` (channels last, HWIO kernel, any kernel size, strides ≥ 1, `same`/`valid` padding).
///
/// Lowered to BLAS GEMMs over *valid taps only*: for output row `oh`, only the kernel rows whose input
/// row lies inside the image contribute, so the im2col matrix holds just those rows (for the NeatMS input
/// of height 2, 2 of 5 and 2 of 3 kernel rows — most of the `same` padding is never multiplied).
/// Output rows that read the same input rows form a *row group* and share one im2col matrix; their
/// kernel slices are packed side by side so one GEMM yields all of them:
/// `T[(n, ow), (g, f)] = Σ_(r, j, c) A[(n, ow), (r, j, c)] · K[i_g + r, j, c, f]`.
/// Border taps along the width that fall on padding are zeros in A.
final class Conv2DLayer: EngineLayer {
    /// Output rows reading input rows `firstInputRow ..< firstInputRow + rowCount`.
    struct RowGroup {
        var firstInputRow: Int
        var rowCount: Int
        /// (output row, first kernel row) of each member.
        var members: [(outputRow: Int, kernelRow: Int)]
    }

    let spec: LayerSpec
    let rows: WindowAxis
    let cols: WindowAxis
    let inChannels: Int
    let filters: Int
    let activation: Activation
    let inputSize: Int
    let outputSize: Int
    let kernel: FloatBuffer
    let bias: FloatBuffer?
    let kernelGradient: FloatBuffer
    let biasGradient: FloatBuffer?
    /// Zeros standing in for the bias when the layer has none.
    private let zeroBias: FloatBuffer
    let groups: [RowGroup]
    /// The Winograd form of inference, where the kernel and strides allow it.
    private(set) var winograd: WinogradWidth3?
    /// The Winograd form of the kernel gradient in training: F(2, 3) (see `WinogradWidth3`).
    private(set) var gradientWinograd: WinogradWidth3?
    /// Training passes use the Winograd forms too where the layer has them (forward and input gradient
    /// `winograd`, kernel gradient `gradientWinograd`); tests switch it off to compare with the im2col form.
    var winogradTraining = true
    /// The forward pass on one-channel input (inference and training) runs a direct convolution
    /// (CKernels) instead of im2col and a GEMM only kh·kw deep (training's backward pass then writes the
    /// im2col rows its kernel gradient needs); tests switch it off to check both forms.
    var directOneChannel: Bool
    /// Set by `Network` when a `MaxPooling2D((1, 2))` follows this layer in the convolutional part of
    /// inference (`canPool`): the direct one-channel form of inference then writes the pooled output
    /// (the pooling layer is skipped), the same numbers without the unpooled activations' round trip.
    var poolsInInference = false
    /// Output rows with no valid tap (output = activation(bias)).
    let emptyRows: [Int]
    var outputActivation: Activation { activation }
    var variables: [FloatBuffer] { bias.map { [kernel, $0] } ?? [kernel] }
    var gradients: [FloatBuffer] { biasGradient.map { [kernelGradient, $0] } ?? [kernelGradient] }

    /// Samples per GEMM in the forward pass (keeps im2col blocks in cache).
    static let tileSamples = 16

    // Workspaces.
    private var packed: [FloatBuffer?]  // per group, nil when the kernel itself is the GEMM operand
    private var packedGradient: [FloatBuffer?]
    private var trainingColumns: [FloatBuffer] = []  // per group, whole batch (kept for backward)
    private var workerColumns: [[FloatBuffer]] = []  // [worker][group], one tile
    private var workerProducts: [FloatBuffer] = []  // [worker], one tile
    private var workerPaddedRows: [FloatBuffer] = []  // [worker], the direct one-channel form's scratch
    private var batchProducts = FloatBuffer(count: 0)  // whole batch, backward
    private var capacity = (batch: 0, workers: 0, training: false)
    /// The weights version the Winograd form was computed for, and its shared rows' kernels.
    private var transformedVersion: Int?
    private var sharedVersion: Int?

    init(spec: LayerSpec, options: Conv2DOptions, inputShape: [Int], outputShape: [Int]) {
        self.spec = spec
        rows = WindowAxis(
            input: inputShape[0], output: outputShape[0], window: options.kernelSize[0],
            stride: options.strides[0], padding: options.padding)
        cols = WindowAxis(
            input: inputShape[1], output: outputShape[1], window: options.kernelSize[1],
            stride: options.strides[1], padding: options.padding)
        inChannels = inputShape[2]
        filters = options.filters
        activation = options.activation
        inputSize = inputShape.reduce(1, *)
        outputSize = outputShape.reduce(1, *)
        let kernelCount = options.kernelSize[0] * options.kernelSize[1] * inChannels * filters
        kernel = FloatBuffer(count: kernelCount)
        kernelGradient = FloatBuffer(count: kernelCount)
        bias = options.useBias ? FloatBuffer(count: filters) : nil
        biasGradient = options.useBias ? FloatBuffer(count: filters) : nil
        zeroBias = FloatBuffer(count: filters)

        var groups: [RowGroup] = []
        var empty: [Int] = []
        for oh in 0..<rows.output {
            guard let taps = rows.validTaps(oh) else {
                empty.append(oh)
                continue
            }
            let first = rows.inputIndex(oh, tap: taps.lowerBound)
            if let g = groups.firstIndex(where: { $0.firstInputRow == first && $0.rowCount == taps.count }) {
                groups[g].members.append((oh, taps.lowerBound))
            } else {
                groups.append(RowGroup(firstInputRow: first, rowCount: taps.count, members: [(oh, taps.lowerBound)]))
            }
        }
        self.groups = groups
        emptyRows = empty
        winograd = WinogradWidth3(groups: groups, cols: cols, channels: inputShape[2], filters: options.filters)
        gradientWinograd = WinogradWidth3(
            groups: groups, cols: cols, channels: inputShape[2], filters: options.filters, tileWidth: 2)
        directOneChannel = inputShape[2] == 1
        let kw = cols.window
        let c = inChannels
        let f = filters
        packed = groups.map {
            $0.members.count > 1 ? FloatBuffer(count: $0.rowCount * kw * c * $0.members.count * f) : nil
        }
        packedGradient = packed.map { $0.map { FloatBuffer(count: $0.count) } }
    }

    /// Replaces the Winograd forms by ones with tiles `tileWidth` outputs wide (2 or 4) for inference,
    /// the training forward pass and the input gradient, and `gradientTileWidth` for the kernel gradient
    /// (F(2, 3) when not given); tests check each.
    func useWinograd(tileWidth: Int, gradientTileWidth: Int = 2) {
        winograd = WinogradWidth3(
            groups: groups, cols: cols, channels: inChannels, filters: filters, tileWidth: tileWidth)
        gradientWinograd = WinogradWidth3(
            groups: groups, cols: cols, channels: inChannels, filters: filters, tileWidth: gradientTileWidth)
        transformedVersion = nil
        sharedVersion = nil
        capacity.workers = 0
        capacity.batch = 0
    }

    /// im2col width of a group: (valid kernel rows) × kw × C.
    private func depth(_ g: RowGroup) -> Int { g.rowCount * cols.window * inChannels }
    private var maxDepth: Int { groups.map(depth).max() ?? 0 }
    private var maxProductWidth: Int { (groups.map { $0.members.count }.max() ?? 0) * filters }

    func reserve(batch: Int, workers: Int, training: Bool) {
        let wo = cols.output
        if workers > capacity.workers {
            let tile = Self.tileSamples
            workerColumns = (0..<workers).map { _ in groups.map { FloatBuffer(count: tile * wo * depth($0)) } }
            workerProducts = (0..<workers).map { _ in FloatBuffer(count: tile * wo * maxProductWidth) }
            winograd?.reserve(workers: workers, tileSamples: tile)
            if inChannels == 1 {
                let scratch = nmk_conv2d_one_channel_scratch(
                    Int32(rows.input), Int32(cols.output), Int32(cols.window), Int32(cols.stride))
                workerPaddedRows = (0..<workers).map { _ in FloatBuffer(count: scratch) }
            }
            capacity.workers = workers
        }
        if training, winogradTraining, let winograd, let gradientWinograd {
            winograd.reserveTraining(batch: batch)
            gradientWinograd.reserveTraining(batch: batch)
        }
        if training && batch > capacity.batch {
            trainingColumns = groups.map { FloatBuffer(count: batch * wo * depth($0)) }
            batchProducts = FloatBuffer(count: batch * wo * maxProductWidth)
            capacity.batch = batch
        }
    }

    /// Prepares the kernel for the pass (weights may have changed): nothing for the direct one-channel
    /// form, which reads the kernel as it is; the Winograd transform for an inference pass where the layer
    /// has that form; otherwise each multi-member group's kernel slices packed side by side (the im2col
    /// GEMMs of the forward and backward passes).
    func prepareForward(training: Bool, weightsVersion: Int) {
        if !training && directOneChannel { return }
        if let winograd, !training || winogradTraining {
            if transformedVersion != weightsVersion { winograd.transformKernel(kernel.pointer) }
            transformedVersion = weightsVersion
            // The shared rows' kernels only for inference (training steps change the weights every time).
            if !training && sharedVersion != weightsVersion {
                winograd.packSharedKernels()
                sharedVersion = weightsVersion
            }
            return
        }
        let rowFloats = cols.window * inChannels * filters  // one kernel row, as [kw·C, F]
        for (g, group) in groups.enumerated() {
            guard let p = packed[g] else { continue }
            let k = depth(group)
            let width = group.members.count * filters
            for (m, member) in group.members.enumerated() {
                let src = kernel.pointer + member.kernelRow * rowFloats
                for r in 0..<k {
                    (p.pointer + r * width + m * filters).update(from: src + r * filters, count: filters)
                }
            }
        }
    }

    /// The GEMM's right operand for a group and its row stride.
    private func operand(_ g: Int) -> (UnsafeMutablePointer<Float>, Int) {
        if let p = packed[g] { return (p.pointer, groups[g].members.count * filters) }
        return (kernel.pointer + groups[g].members[0].kernelRow * cols.window * inChannels * filters, filters)
    }

    /// Writes the im2col rows of samples `n0..<n1` for a group into `a`.
    private func im2col(
        _ x: UnsafePointer<Float>, group: RowGroup, n0: Int, n1: Int, into a: UnsafeMutablePointer<Float>
    ) {
        let kw = cols.window
        let c = inChannels
        let w = cols.input
        let k = depth(group)
        let segment = kw * c
        var row = a
        for n in n0..<n1 {
            let xs = x + n * inputSize
            for ow in 0..<cols.output {
                let start = cols.inputIndex(ow, tap: 0)
                for r in 0..<group.rowCount {
                    let dst = row + r * segment
                    let src = xs + (group.firstInputRow + r) * w * c
                    if let taps = cols.validTaps(ow) {
                        for q in 0..<(taps.lowerBound * c) { dst[q] = 0 }
                        copyFloats(
                            from: src + (start + taps.lowerBound) * c, to: dst + taps.lowerBound * c,
                            count: taps.count * c)
                        for q in ((taps.upperBound + 1) * c)..<segment { dst[q] = 0 }
                    } else {
                        dst.update(repeating: 0, count: segment)
                    }
                }
                row += k
            }
        }
    }

    func forward(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, samples: Range<Int>, worker: Int,
        training: Bool
    ) {
        let wo = cols.output
        let f = filters
        let tile = Self.tileSamples
        let groups = self.groups
        let columns = training ? trainingColumns : workerColumns[worker]
        let t = workerProducts[worker].pointer
        let bp = (bias ?? zeroBias).pointer
        let relu = activation == .relu
        let outputSize = self.outputSize
        if directOneChannel {
            forwardDirect(x, y, samples: samples, worker: worker, relu: relu, pooled: !training && poolsInInference)
            return
        }
        var n0 = samples.lowerBound
        while n0 < samples.upperBound {
            let n1 = min(n0 + tile, samples.upperBound)
            let m = (n1 - n0) * wo
            if let winograd, !training || winogradTraining {
                winograd.forward(
                    x, y, n0: n0, n1: n1, worker: worker, inputSize: inputSize, outputSize: outputSize, bias: bp,
                    relu: relu, shared: !training)
            } else {
                for g in groups.indices {
                    let group = groups[g]
                    let k = depth(group)
                    let a = training ? columns[g].pointer + n0 * wo * k : columns[g].pointer
                    im2col(x, group: group, n0: n0, n1: n1, into: a)
                    let (b, ldb) = operand(g)
                    let width = group.members.count * f
                    BLAS.sgemm(m: m, n: width, k: k, a: a, lda: k, b: b, ldb: ldb, beta: 0, c: t, ldc: width)
                    // Scatter to NHWC, adding the bias (and ReLU, fused).
                    for (mi, member) in group.members.enumerated() {
                        for n in n0..<n1 {
                            let out = y + n * outputSize + member.outputRow * wo * f
                            let src = t + (n - n0) * wo * width + mi * f
                            for ow in 0..<wo {
                                let o = out + ow * f
                                let s = src + ow * width
                                if relu {
                                    for j in 0..<f { o[j] = max(s[j] + bp[j], 0) }
                                } else {
                                    for j in 0..<f { o[j] = s[j] + bp[j] }
                                }
                            }
                        }
                    }
                }
            }
            for oh in emptyRows {
                for n in n0..<n1 {
                    let out = y + n * outputSize + oh * wo * f
                    for ow in 0..<wo {
                        for j in 0..<f { out[ow * f + j] = relu ? max(bp[j], 0) : bp[j] }
                    }
                }
            }
            if activation != .relu && activation != .linear {
                let base = y + n0 * outputSize
                activation.apply(base, rows: (n1 - n0) * outputSize / f, cols: f)
            }
            n0 = n1
        }
    }

    /// Whether `pool` (the next layer) can be folded into this layer's inference (`poolsInInference`):
    /// the direct one-channel form, an activation that commutes with the maximum (ReLU, linear), and a
    /// pooling window of 1 × 2 with strides 1 × 2 covering the output's columns in pairs.
    func canPool(_ pool: MaxPoolingLayer) -> Bool {
        directOneChannel && (activation == .relu || activation == .linear) && pool.rows.window == 1
            && pool.rows.stride == 1 && pool.rows.output == rows.output && pool.cols.window == 2
            && pool.cols.stride == 2 && pool.cols.padBefore == 0 && cols.output % 2 == 0
            && pool.cols.output == cols.output / 2 && pool.channels == filters
    }

    /// The direct one-channel form of `forward`; with `pooled`, writing the pooled output (see `canPool`).
    private func forwardDirect(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, samples: Range<Int>, worker: Int, relu: Bool,
        pooled: Bool
    ) {
        nmk_conv2d_one_channel(
            x + samples.lowerBound * inputSize, y + samples.lowerBound * (pooled ? outputSize / 2 : outputSize),
            samples.count,
            Int32(rows.input), Int32(cols.input), Int32(rows.output), Int32(cols.output), Int32(rows.window),
            Int32(cols.window), Int32(rows.stride), Int32(cols.stride), Int32(rows.padBefore), Int32(cols.padBefore),
            kernel.pointer, bias?.pointer, Int32(filters), relu ? 1 : 0, pooled ? 1 : 0,
            workerPaddedRows[worker].pointer)
        if activation != .relu && activation != .linear {
            activation.apply(
                y + samples.lowerBound * outputSize, rows: samples.count * outputSize / filters, cols: filters)
        }
    }

    func backward(
        x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafeMutablePointer<Float>,
        dx: UnsafeMutablePointer<Float>?, batch: Int, weightGradients: Bool, dyIsPreActivation: Bool,
        parts: Int, update: FusedUpdate?
    ) {
        let wo = cols.output
        let f = filters
        let kw = cols.window
        let c = inChannels
        if !dyIsPreActivation { activation.backward(y: y, dy: dy, rows: batch * outputSize / f, cols: f) }
        if weightGradients {
            kernelGradient.zero()
            if let biasGradient {
                let gb = biasGradient.pointer
                gb.update(repeating: 0, count: f)
                for p in 0..<(batch * outputSize / f) {
                    let row = dy + p * f
                    for j in 0..<f { gb[j] += row[j] }
                }
            }
        }
        if let dx { dx.update(repeating: 0, count: batch * inputSize) }
        if winogradTraining, let winograd, let gradientWinograd {
            if weightGradients {
                gradientWinograd.addKernelGradient(
                    x: x, dy: dy, batch: batch, inputSize: inputSize, outputSize: outputSize,
                    into: kernelGradient.pointer, parts: parts)
            }
            if let dx {
                winograd.addInputGradient(
                    dy: dy, dx: dx, batch: batch, inputSize: inputSize, outputSize: outputSize, kernel: kernel.pointer,
                    parts: parts)
            }
            return
        }
        let rowFloats = kw * c * f
        for (g, group) in groups.enumerated() {
            let k = depth(group)
            let width = group.members.count * f
            let m = batch * wo
            // Gather dT[(n, ow), (member, f)] from dy.
            let dt = batchProducts.pointer
            for n in 0..<batch {
                for (mi, member) in group.members.enumerated() {
                    let src = dy + n * outputSize + member.outputRow * wo * f
                    let dst = dt + n * wo * width + mi * f
                    for ow in 0..<wo { (dst + ow * width).update(from: src + ow * f, count: f) }
                }
            }
            let a = trainingColumns[g].pointer
            // The direct forward pass wrote no im2col rows; the kernel gradient needs them.
            if directOneChannel && weightGradients { im2col(x, group: group, n0: 0, n1: batch, into: a) }
            if weightGradients {
                if let pg = packedGradient[g] {
                    parallelGemm(
                        parts: parts, transA: true, m: k, n: width, k: m, a: a, lda: k, b: dt, ldb: width, beta: 0,
                        c: pg.pointer, ldc: width)
                    for (mi, member) in group.members.enumerated() {
                        let dst = kernelGradient.pointer + member.kernelRow * rowFloats
                        for r in 0..<k {
                            let d = dst + r * f
                            let s = pg.pointer + r * width + mi * f
                            for j in 0..<f { d[j] += s[j] }
                        }
                    }
                } else {
                    let dst = kernelGradient.pointer + group.members[0].kernelRow * rowFloats
                    parallelGemm(
                        parts: parts, transA: true, m: k, n: f, k: m, a: a, lda: k, b: dt, ldb: width, beta: 1, c: dst,
                        ldc: f)
                }
            }
            if let dx {
                // dA = dT·Bᵀ, written over A (no longer needed), then col2im-accumulated into dx.
                let (b, ldb) = operand(g)
                parallelGemm(
                    parts: parts, transB: true, m: m, n: k, k: width, a: dt, lda: width, b: b, ldb: ldb, beta: 0, c: a,
                    ldc: k)
                let w = cols.input
                let segment = kw * c
                var row = a
                for n in 0..<batch {
                    let xs = dx + n * inputSize
                    for ow in 0..<wo {
                        let start = cols.inputIndex(ow, tap: 0)
                        if let taps = cols.validTaps(ow) {
                            for r in 0..<group.rowCount {
                                let src = row + r * segment + taps.lowerBound * c
                                let dst = xs + ((group.firstInputRow + r) * w + start + taps.lowerBound) * c
                                for q in 0..<(taps.count * c) { dst[q] += src[q] }
                            }
                        }
                        row += k
                    }
                }
            }
        }
    }
}

/// Copies `count` floats; short runs (im2col segments of narrow layers) without a libc call.
@inline(__always)
func copyFloats(from src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int) {
    if count >= 32 {
        dst.update(from: src, count: count)
        return
    }
    var q = 0
    while q + 4 <= count {
        UnsafeMutableRawPointer(dst + q).storeBytes(
            of: UnsafeRawPointer(src + q).loadUnaligned(as: SIMD4<Float>.self), as: SIMD4<Float>.self)
        q += 4
    }
    while q < count {
        dst[q] = src[q]
        q += 1
    }
}
