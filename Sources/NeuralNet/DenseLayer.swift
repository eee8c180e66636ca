import CKernels
import Tensor

/// `Dense`: `y = act(x·W + b)` with the Keras kernel layout W `(in, out)`. Training runs BLAS, except the
/// kernel gradient of the fused update (panel products); inference
/// runs CKernels' panel product on a copy of W packed once per weights version (BLAS would repack W on
/// every call), with the bias and ReLU applied as the products are stored.
final class DenseLayer: EngineLayer {
    let spec: LayerSpec
    let units: Int
    let inputSize: Int
    var outputSize: Int { units }
    let activation: Activation
    let kernel: FloatBuffer
    let bias: FloatBuffer?
    let kernelGradient: FloatBuffer
    let biasGradient: FloatBuffer?
    var outputActivation: Activation { activation }
    var fusesUpdates: Bool { true }
    private var logitsBuffer = FloatBuffer(count: 0)
    /// W packed for `nmk_gemm_panels`, and the weights version it was packed from.
    private var packedKernel = FloatBuffer(count: 0)
    private var packedVersion: Int?
    /// Per-part gradient blocks for fused updates (`blockRows` kernel rows each).
    private var gradientBlocks: [FloatBuffer] = []
    private var blockRows: Int { max(1, 16_384 / max(units, 1)) }
    /// The fused update's operands of one step: xᵀ (inputSize × batch) and dz packed for
    /// `nmk_gemm_panels`, so that each gradient block is one panel product (OpenBLAS would pack both
    /// again for every block).
    private var transposedInput = FloatBuffer(count: 0)
    private var packedOutputGradient = FloatBuffer(count: 0)
    var logits: UnsafePointer<Float>? { activation == .softmax ? UnsafePointer(logitsBuffer.pointer) : nil }

    func reserve(batch: Int, workers: Int, training: Bool) {
        if activation == .softmax && logitsBuffer.count < batch * units {
            logitsBuffer = FloatBuffer(count: batch * units)
        }
        if training && gradientBlocks.count < workers {
            gradientBlocks = (0..<workers).map { _ in FloatBuffer(count: blockRows * units) }
        }
        if training && transposedInput.count < batch * inputSize {
            transposedInput = FloatBuffer(count: batch * inputSize)
            packedOutputGradient = FloatBuffer(count: nmk_packed_panels_size(batch, units))
        }
    }
    var variables: [FloatBuffer] { bias.map { [kernel, $0] } ?? [kernel] }
    var gradients: [FloatBuffer] { biasGradient.map { [kernelGradient, $0] } ?? [kernelGradient] }

    init(spec: LayerSpec, options: DenseOptions, inputSize: Int) {
        self.spec = spec
        units = options.units
        self.inputSize = inputSize
        activation = options.activation
        kernel = FloatBuffer(count: inputSize * units)
        kernelGradient = FloatBuffer(count: inputSize * units)
        bias = options.useBias ? FloatBuffer(count: units) : nil
        biasGradient = options.useBias ? FloatBuffer(count: units) : nil
    }

    func prepareForward(training: Bool, weightsVersion: Int) {
        guard !training, packedVersion != weightsVersion else { return }
        if packedKernel.count <= 1 { packedKernel = FloatBuffer(count: nmk_packed_panels_size(inputSize, units)) }
        nmk_pack_panels(kernel.pointer, units, inputSize, units, packedKernel.pointer)
        packedVersion = weightsVersion
    }

    func forward(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, samples: Range<Int>, worker: Int,
        training: Bool
    ) {
        forward(rows: x + samples.lowerBound * inputSize, y, samples: samples, training: training)
    }

    /// `forward` with the inputs of `samples` at `xs`, one after the other (the output and the logits
    /// stay indexed by sample).
    func forward(rows xs: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, samples: Range<Int>, training: Bool) {
        let m = samples.count
        guard m > 0 else { return }
        let ys = y + samples.lowerBound * units
        if !training {
            nmk_gemm_panels(
                m, units, inputSize, xs, inputSize, packedKernel.pointer, bias?.pointer, activation == .relu ? 1 : 0,
                ys, units)
            if activation == .softmax {
                (logitsBuffer.pointer + samples.lowerBound * units).update(from: ys, count: m * units)
            }
            if activation != .relu { activation.apply(ys, rows: m, cols: units) }
            return
        }
        if let bias {
            for r in 0..<m { (ys + r * units).update(from: bias.pointer, count: units) }
        }
        BLAS.sgemm(
            m: m, n: units, k: inputSize, a: xs, lda: inputSize, b: kernel.pointer, ldb: units,
            beta: bias == nil ? 0 : 1, c: ys, ldc: units)
        if activation == .softmax {
            (logitsBuffer.pointer + samples.lowerBound * units).update(from: ys, count: m * units)
        }
        activation.apply(ys, rows: m, cols: units)
    }

    func backward(
        x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafeMutablePointer<Float>,
        dx: UnsafeMutablePointer<Float>?, batch: Int, weightGradients: Bool, dyIsPreActivation: Bool,
        parts: Int, update: FusedUpdate?
    ) {
        if !dyIsPreActivation { activation.backward(y: y, dy: dy, rows: batch, cols: units) }
        if let dx {
            // dx = dz·Wᵀ, from the weights before any update.
            parallelGemm(
                parts: parts, transB: true, m: batch, n: inputSize, k: units, a: dy, lda: units,
                b: kernel.pointer, ldb: units, beta: 0, c: dx, ldc: inputSize)
        }
        guard weightGradients else { return }
        if let biasGradient {
            // db = Σ_rows dz
            let g = biasGradient.pointer
            g.update(repeating: 0, count: units)
            for r in 0..<batch {
                let row = dy + r * units
                for j in 0..<units { g[j] += row[j] }
            }
        }
        guard let update else {
            // dW = xᵀ·dz
            parallelGemm(
                parts: parts, transA: true, m: inputSize, n: units, k: batch, a: x, lda: inputSize, b: dy,
                ldb: units, beta: 0, c: kernelGradient.pointer, ldc: units)
            return
        }
        // Fused: dW block by block (`blockRows` rows of W), each block applied while in cache. The blocks
        // are fixed (parts take runs of them), and their regulariser sums are added in block order, so
        // the weights and the sum do not depend on the number of parts.
        let rowsPerBlock = blockRows
        let blockCount = (inputSize + rowsPerBlock - 1) / rowsPerBlock
        let p = max(1, min(parts, gradientBlocks.count, blockCount))
        let blocks = gradientBlocks
        let kernel = self.kernel
        let inputs = inputSize
        let n = units
        // xᵀ and dz packed once; block b of dW is then rows r0..<r1 of xᵀ times dz, each element one
        // multiply-add chain over the batch in order.
        let xt = transposedInput.pointer
        nmk_transpose(x, batch, inputs, xt)
        nmk_pack_panels(dy, n, batch, n, packedOutputGradient.pointer)
        let xs = SharedPointer(xt)
        let dz = SharedPointer(packedOutputGradient.pointer)
        var blockSums = [Double](repeating: 0, count: blockCount)
        blockSums.withUnsafeMutableBufferPointer { sums in
            let out = SharedPointer64(sums.baseAddress!)
            parallelParts(p) { part in
                let block = blocks[part].pointer
                for b in partRange(part, of: p, count: blockCount) {
                    let r0 = b * rowsPerBlock
                    let r1 = min(r0 + rowsPerBlock, inputs)
                    nmk_gemm_panels(r1 - r0, n, batch, xs.base + r0 * batch, batch, dz.base, nil, 0, block, n)
                    out.base[b] = update.plan.apply(
                        layer: update.layer, variable: 0, weights: kernel, offset: r0 * n, gradient: block,
                        count: (r1 - r0) * n)
                }
            }
        }
        for s in blockSums { update.sums.base[0] += s }
        if let bias, let biasGradient {
            update.sums.base[0] += update.plan.apply(
                layer: update.layer, variable: 1, weights: bias, offset: 0, gradient: biasGradient.pointer, count: units
            )
        }
    }
}
