import CKernels

/// Where a sliding window of a Conv2D or MaxPooling2D layer lies along one spatial axis, with
/// TensorFlow's rule for `same` padding (the extra padding goes after: `before = total / 2`).
struct WindowAxis {
    let input: Int
    let output: Int
    let window: Int
    let stride: Int
    let padBefore: Int

    init(input: Int, output: Int, window: Int, stride: Int, padding: Padding) {
        self.input = input
        self.output = output
        self.window = window
        self.stride = stride
        switch padding {
        case .valid: padBefore = 0
        case .same: padBefore = max((output - 1) * stride + window - input, 0) / 2
        }
    }

    /// The window taps `i` (0..<window) of output position `o` that fall on real input, i.e. with
    /// input index `o·stride + i - padBefore` in `0..<input`.
    func validTaps(_ o: Int) -> ClosedRange<Int>? {
        let start = o * stride - padBefore
        let lo = max(0, -start)
        let hi = min(window - 1, input - 1 - start)
        return lo <= hi ? lo...hi : nil
    }

    /// Input index of tap `i` of output position `o` (may be outside the input).
    func inputIndex(_ o: Int, tap i: Int) -> Int { o * stride + i - padBefore }
}

/// `MaxPooling2D` (channels last). Padded positions never win (TensorFlow's semantics); the gradient
/// goes to the first maximum of each window.
final class MaxPoolingLayer: EngineLayer {
    let spec: LayerSpec
    let rows: WindowAxis
    let cols: WindowAxis
    let channels: Int
    let inputSize: Int
    let outputSize: Int
    private var argmax = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    private var argmaxCapacity = 0

    init(spec: LayerSpec, options: Pool2DOptions, inputShape: [Int], outputShape: [Int]) {
        self.spec = spec
        rows = WindowAxis(
            input: inputShape[0], output: outputShape[0], window: options.poolSize[0],
            stride: options.strides[0], padding: options.padding)
        cols = WindowAxis(
            input: inputShape[1], output: outputShape[1], window: options.poolSize[1],
            stride: options.strides[1], padding: options.padding)
        channels = inputShape[2]
        inputSize = inputShape.reduce(1, *)
        outputSize = outputShape.reduce(1, *)
    }

    deinit { argmax.deallocate() }

    func reserve(batch: Int, workers: Int, training: Bool) {
        if training && argmaxCapacity < batch * outputSize {
            argmax.deallocate()
            argmaxCapacity = batch * outputSize
            argmax = .allocate(capacity: argmaxCapacity)
            argmax.initialize(repeating: 0, count: argmaxCapacity)
        }
    }

    func forward(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, samples: Range<Int>, worker: Int,
        training: Bool
    ) {
        let c = channels
        let w = cols.input
        let wo = cols.output
        // Both in C (CKernels).
        if !training {
            nmk_max_pool(
                x + samples.lowerBound * inputSize, y + samples.lowerBound * outputSize, samples.count,
                Int32(rows.input), Int32(w), Int32(c), Int32(rows.output), Int32(wo), Int32(rows.window),
                Int32(cols.window), Int32(rows.stride), Int32(cols.stride), Int32(rows.padBefore), Int32(cols.padBefore)
            )
            return
        }
        // Training: the same maxima, and each window's first maximum recorded for the backward pass.
        nmk_max_pool_argmax(
            x + samples.lowerBound * inputSize, y + samples.lowerBound * outputSize,
            argmax + samples.lowerBound * outputSize, samples.count, Int32(rows.input), Int32(w), Int32(c),
            Int32(rows.output), Int32(wo), Int32(rows.window), Int32(cols.window), Int32(rows.stride),
            Int32(cols.stride), Int32(rows.padBefore), Int32(cols.padBefore))
    }

    func backward(
        x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafeMutablePointer<Float>,
        dx: UnsafeMutablePointer<Float>?, batch: Int, weightGradients: Bool, dyIsPreActivation: Bool,
        parts: Int, update: FusedUpdate?
    ) {
        guard let dx else { return }
        dx.update(repeating: 0, count: batch * inputSize)
        for n in 0..<batch {
            let d = dx + n * inputSize
            let g = dy + n * outputSize
            let am = argmax + n * outputSize
            for k in 0..<outputSize { d[Int(am[k])] += g[k] }
        }
    }
}
