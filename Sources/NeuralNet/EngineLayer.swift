/// The runtime form of one layer. Buffers hold whole batches, sample-major: sample `n` of a layer's
/// input starts at `x + n·inputSize`. `forward` handles a sample range (so parts of a batch can run
/// concurrently, each with its own `worker` scratch); `backward` handles the whole batch at once.
protocol EngineLayer: AnyObject {
    var spec: LayerSpec { get }
    /// Floats per sample of the input and of the output.
    var inputSize: Int { get }
    var outputSize: Int { get }
    /// Variables in Keras order (kernel, then bias) and their gradients (same sizes).
    var variables: [FloatBuffer] { get }
    var gradients: [FloatBuffer] { get }
    /// True when the output is the input itself (no computation, shared buffer).
    var aliasesInput: Bool { get }
    /// True when `backward` can apply the optimiser update itself (see `FusedUpdate`).
    var fusesUpdates: Bool { get }
    /// The activation applied last by `forward` (its gradient may be fused into the loss).
    var outputActivation: Activation { get }
    /// True when a training pass draws randomness (`sampleNoise`), so its output differs between epochs.
    var drawsNoise: Bool { get }

    /// The pre-softmax values of the last forward pass (batch-major, `outputSize` per sample) when the
    /// layer ends in a softmax and keeps them (so cross-entropy can be computed from logits, as
    /// tf.keras does); nil otherwise.
    var logits: UnsafePointer<Float>? { get }

    /// Sizes workspaces for batches of up to `batch` samples and `workers` concurrent forward parts.
    func reserve(batch: Int, workers: Int, training: Bool)
    /// Called once before each forward pass over a batch; `training` says which form of the pass
    /// follows. `weightsVersion` changes whenever the weights may have changed (so forms derived from
    /// them, such as packed kernels, need not be rebuilt otherwise).
    func prepareForward(training: Bool, weightsVersion: Int)
    /// Draws this batch's randomness (dropout masks) before a training forward pass.
    func sampleNoise(batch: Int, rng: inout SeededGenerator)
    /// Computes the output of `samples` (indices into the batch).
    func forward(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, samples: Range<Int>, worker: Int,
        training: Bool)
    /// Back-propagates `dy` for a batch of `batch` samples after a training forward pass.
    /// `dy` may be overwritten. With `dyIsPreActivation`, `dy` is already the gradient w.r.t. the
    /// input of the output activation (softmax fused with cross-entropy). Weight gradients are written
    /// (not accumulated) when `weightGradients`; `dx` is written when non-nil. Large GEMMs are split
    /// into `parts` concurrent blocks (single-threaded BLAS each). With `update` (only for layers whose
    /// `fusesUpdates` is true, when training), the layer applies the optimiser to its variables itself,
    /// slice by slice as their gradients are computed (after computing `dx` from the old weights).
    func backward(
        x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafeMutablePointer<Float>,
        dx: UnsafeMutablePointer<Float>?, batch: Int, weightGradients: Bool, dyIsPreActivation: Bool, parts: Int,
        update: FusedUpdate?)
}

extension EngineLayer {
    var variables: [FloatBuffer] { [] }
    var gradients: [FloatBuffer] { [] }
    var aliasesInput: Bool { false }
    var fusesUpdates: Bool { false }
    var outputActivation: Activation { .linear }
    var drawsNoise: Bool { false }
    var logits: UnsafePointer<Float>? { nil }
    func reserve(batch: Int, workers: Int, training: Bool) {}
    func sampleNoise(batch: Int, rng: inout SeededGenerator) {}
    func prepareForward(training: Bool, weightsVersion: Int) {}
}

/// `InputLayer` and `Flatten`: the output is the input buffer (Flatten's Keras order equals the
/// row-major NHWC order of its input).
final class PassThroughLayer: EngineLayer {
    let spec: LayerSpec
    let inputSize: Int
    var outputSize: Int { inputSize }
    var aliasesInput: Bool { true }

    init(spec: LayerSpec, inputSize: Int) {
        self.spec = spec
        self.inputSize = inputSize
    }

    func forward(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, samples: Range<Int>, worker: Int,
        training: Bool
    ) {}

    func backward(
        x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafeMutablePointer<Float>,
        dx: UnsafeMutablePointer<Float>?, batch: Int, weightGradients: Bool, dyIsPreActivation: Bool,
        parts: Int, update: FusedUpdate?
    ) {}
}

/// A stand-alone `Activation` layer.
final class ActivationLayer: EngineLayer {
    let spec: LayerSpec
    let activation: Activation
    let inputSize: Int
    let channels: Int
    var outputSize: Int { inputSize }
    var outputActivation: Activation { activation }

    init(spec: LayerSpec, activation: Activation, inputShape: [Int]) {
        self.spec = spec
        self.activation = activation
        inputSize = inputShape.reduce(1, *)
        channels = max(inputShape.last ?? 1, 1)
    }

    func forward(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, samples: Range<Int>, worker: Int,
        training: Bool
    ) {
        let off = samples.lowerBound * inputSize
        let n = samples.count * inputSize
        (y + off).update(from: x + off, count: n)
        activation.apply(y + off, rows: n / channels, cols: channels)
    }

    func backward(
        x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafeMutablePointer<Float>,
        dx: UnsafeMutablePointer<Float>?, batch: Int, weightGradients: Bool, dyIsPreActivation: Bool,
        parts: Int, update: FusedUpdate?
    ) {
        guard let dx else { return }
        let n = batch * inputSize
        if !dyIsPreActivation { activation.backward(y: y, dy: dy, rows: n / channels, cols: channels) }
        dx.update(from: dy, count: n)
    }
}

/// `Dropout`: in training, each unit is kept with probability `1 - rate` and scaled by `1/(1-rate)`
/// (inverted dropout, as Keras); at inference it is the identity.
final class DropoutLayer: EngineLayer {
    let spec: LayerSpec
    let rate: Float
    let inputSize: Int
    var outputSize: Int { inputSize }
    var drawsNoise: Bool { rate > 0 }
    private var mask = FloatBuffer(count: 0)

    init(spec: LayerSpec, rate: Float, inputSize: Int) {
        self.spec = spec
        self.rate = rate
        self.inputSize = inputSize
    }

    func reserve(batch: Int, workers: Int, training: Bool) {
        if training && mask.count < batch * inputSize { mask = FloatBuffer(count: batch * inputSize) }
    }

    func sampleNoise(batch: Int, rng: inout SeededGenerator) {
        guard rate > 0 else { return }
        let scale: Float = rate < 1 ? 1 / (1 - rate) : 0
        let m = mask.pointer
        for i in 0..<(batch * inputSize) {
            m[i] = rng.nextUnitFloat() >= rate ? scale : 0
        }
    }

    func forward(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, samples: Range<Int>, worker: Int,
        training: Bool
    ) {
        let off = samples.lowerBound * inputSize
        let n = samples.count * inputSize
        if training && rate > 0 {
            let m = mask.pointer + off
            let xs = x + off
            let ys = y + off
            for i in 0..<n { ys[i] = xs[i] * m[i] }
        } else {
            (y + off).update(from: x + off, count: n)
        }
    }

    func backward(
        x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafeMutablePointer<Float>,
        dx: UnsafeMutablePointer<Float>?, batch: Int, weightGradients: Bool, dyIsPreActivation: Bool,
        parts: Int, update: FusedUpdate?
    ) {
        guard let dx else { return }
        let n = batch * inputSize
        if rate > 0 {
            let m = mask.pointer
            for i in 0..<n { dx[i] = dy[i] * m[i] }
        } else {
            dx.update(from: dy, count: n)
        }
    }
}

/// The optimiser step handed to a layer's backward pass, so that large gradients are applied slice by
/// slice while still in cache instead of being written out whole and read back.
struct FusedUpdate {
    let plan: StepPlan
    /// The layer's index in the network.
    let layer: Int
    /// Where the layer adds the regulariser-loss sum of its updated weights (after its parallel work,
    /// in a fixed order, so that the sum does not depend on the number of parts).
    let sums: SharedPointer64
}
