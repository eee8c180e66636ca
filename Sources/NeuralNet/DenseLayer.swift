import Tensor

/// `Dense`: `y = act(x·W + b)` with the Keras kernel layout W `(in, out)`.
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
    private var logitsBuffer = FloatBuffer(count: 0)
    var logits: UnsafePointer<Float>? { activation == .softmax ? UnsafePointer(logitsBuffer.pointer) : nil }

    func reserve(batch: Int, workers: Int, training: Bool) {
        if activation == .softmax && logitsBuffer.count < batch * units {
            logitsBuffer = FloatBuffer(count: batch * units)
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

    func forward(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, samples: Range<Int>, worker: Int,
        training: Bool
    ) {
        let m = samples.count
        guard m > 0 else { return }
        let xs = x + samples.lowerBound * inputSize
        let ys = y + samples.lowerBound * units
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
        parts: Int
    ) {
        if !dyIsPreActivation { activation.backward(y: y, dy: dy, rows: batch, cols: units) }
        if weightGradients {
            // dW = xᵀ·dz, db = Σ_rows dz
            parallelGemm(
                parts: parts, transA: true, m: inputSize, n: units, k: batch, a: x, lda: inputSize, b: dy,
                ldb: units, beta: 0, c: kernelGradient.pointer, ldc: units)
            if let biasGradient {
                let g = biasGradient.pointer
                g.update(repeating: 0, count: units)
                for r in 0..<batch {
                    let row = dy + r * units
                    for j in 0..<units { g[j] += row[j] }
                }
            }
        }
        if let dx {
            // dx = dz·Wᵀ
            parallelGemm(
                parts: parts, transB: true, m: batch, n: inputSize, k: units, a: dy, lda: units,
                b: kernel.pointer, ldb: units, beta: 0, c: dx, ldc: inputSize)
        }
    }
}
