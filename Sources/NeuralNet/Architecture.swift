import Tensor

/// Element-wise activation of a layer (Keras names).
public enum Activation: String, Sendable, Equatable, CaseIterable {
    case linear, relu, sigmoid, tanh, softmax
}

/// Keras padding mode.
public enum Padding: String, Sendable, Equatable, CaseIterable {
    case same, valid
}

/// Keras `L1L2` / `L2` / `L1` weight regulariser: adds `l1·Σ|w| + l2·Σw²` to the loss.
public struct Regularizer: Sendable, Equatable {
    public var l1: Float
    public var l2: Float
    public init(l1: Float = 0, l2: Float = 0) {
        self.l1 = l1
        self.l2 = l2
    }
}

/// Keras `Conv2D` options that NeatMSKit implements (channels last, dilation 1, groups 1).
public struct Conv2DOptions: Sendable, Equatable {
    public var filters: Int
    public var kernelSize: [Int]  // [kh, kw]
    public var strides: [Int]  // [sh, sw]
    public var padding: Padding
    public var activation: Activation
    public var useBias: Bool
    public var kernelRegularizer: Regularizer?
    public var biasRegularizer: Regularizer?
    public init(
        filters: Int, kernelSize: [Int], strides: [Int] = [1, 1], padding: Padding = .valid,
        activation: Activation = .linear, useBias: Bool = true,
        kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil
    ) {
        self.filters = filters
        self.kernelSize = kernelSize
        self.strides = strides
        self.padding = padding
        self.activation = activation
        self.useBias = useBias
        self.kernelRegularizer = kernelRegularizer
        self.biasRegularizer = biasRegularizer
    }
}

/// Keras `MaxPooling2D` options (channels last).
public struct Pool2DOptions: Sendable, Equatable {
    public var poolSize: [Int]
    public var strides: [Int]
    public var padding: Padding
    public init(poolSize: [Int], strides: [Int]? = nil, padding: Padding = .valid) {
        self.poolSize = poolSize
        self.strides = strides ?? poolSize
        self.padding = padding
    }
}

/// Keras `Dense` options.
public struct DenseOptions: Sendable, Equatable {
    public var units: Int
    public var activation: Activation
    public var useBias: Bool
    public var kernelRegularizer: Regularizer?
    public var biasRegularizer: Regularizer?
    public init(
        units: Int, activation: Activation = .linear, useBias: Bool = true,
        kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil
    ) {
        self.units = units
        self.activation = activation
        self.useBias = useBias
        self.kernelRegularizer = kernelRegularizer
        self.biasRegularizer = biasRegularizer
    }
}

/// What a layer computes.
public enum LayerKind: Sendable, Equatable {
    /// `InputLayer`; `shape` excludes the batch dimension, e.g. `[2, 120, 1]`.
    case input(shape: [Int])
    case conv2D(Conv2DOptions)
    case maxPooling2D(Pool2DOptions)
    case flatten
    case dense(DenseOptions)
    case dropout(rate: Float)
    /// A stand-alone `Activation` layer.
    case activation(Activation)

    /// The Keras class name (`Conv2D`, `MaxPooling2D`, …).
    public var kerasClassName: String {
        switch self {
        case .input: return "InputLayer"
        case .conv2D: return "Conv2D"
        case .maxPooling2D: return "MaxPooling2D"
        case .flatten: return "Flatten"
        case .dense: return "Dense"
        case .dropout: return "Dropout"
        case .activation: return "Activation"
        }
    }
}

/// One layer of a model: its Keras name, what it computes and whether training may change it.
public struct LayerSpec: Sendable, Equatable {
    public var name: String
    public var kind: LayerKind
    public var trainable: Bool
    public init(name: String, kind: LayerKind, trainable: Bool = true) {
        self.name = name
        self.kind = kind
        self.trainable = trainable
    }
}

/// A model's architecture: a chain of layers, the first an `InputLayer`.
/// (Functional models that are a simple chain and Sequential models both map onto this.)
public struct Architecture: Sendable, Equatable {
    /// The model name (`Model: "<name>"` in the summary).
    public var name: String
    public var layers: [LayerSpec]
    /// The model was a Keras `Sequential`: its summary leaves out the `InputLayer` row, as Keras's
    /// does. How Keras built the model, not what it computes, so equality ignores it (NeatMSKit
    /// writes every model as a Functional chain).
    public var sequential: Bool
    public init(name: String, layers: [LayerSpec], sequential: Bool = false) {
        self.name = name
        self.layers = layers
        self.sequential = sequential
    }

    public static func == (lhs: Architecture, rhs: Architecture) -> Bool {
        lhs.name == rhs.name && lhs.layers == rhs.layers
    }
}

/// Optimiser settings, with Keras's defaults.
public struct OptimizerConfig: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        case adam, sgd
    }
    public var kind: Kind
    public var learningRate: Float
    // Adam
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    public var amsgrad: Bool
    // SGD
    public var momentum: Float
    public var nesterov: Bool
    /// Keras 2 legacy inverse-time decay (`lr / (1 + decay·iterations)`); 0 = none.
    public var decay: Float

    public init(
        kind: Kind, learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999,
        epsilon: Float = 1e-7, amsgrad: Bool = false, momentum: Float = 0, nesterov: Bool = false,
        decay: Float = 0
    ) {
        self.kind = kind
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.amsgrad = amsgrad
        self.momentum = momentum
        self.nesterov = nesterov
        self.decay = decay
    }

    public static func adam(learningRate: Float = 1e-5) -> OptimizerConfig {
        OptimizerConfig(kind: .adam, learningRate: learningRate)
    }
    public static func sgd(learningRate: Float = 1e-5, momentum: Float = 0) -> OptimizerConfig {
        OptimizerConfig(kind: .sgd, learningRate: learningRate, momentum: momentum)
    }
}

/// How the model was compiled (Keras `training_config` / `compile_config`).
public struct CompileConfig: Sendable, Equatable {
    public var optimizer: OptimizerConfig
    public var loss: String
    public var metrics: [String]
    public init(
        optimizer: OptimizerConfig, loss: String = "categorical_crossentropy",
        metrics: [String] = ["accuracy", "mae"]
    ) {
        self.optimizer = optimizer
        self.loss = loss
        self.metrics = metrics
    }
}

/// Optimiser state: iteration count and per-variable slots, indexed `[layer][weight]` like
/// `Model.weights`. Adam uses slots `m` and `v` (and `vhat` with amsgrad); SGD with momentum uses
/// `momentum`. Layers or weights without a slot (non-trainable, weightless) hold empty arrays.
public struct OptimizerState: Sendable, Equatable {
    public var iterations: Int
    public var slots: [String: [[Tensor]]]
    public init(iterations: Int = 0, slots: [String: [[Tensor]]] = [:]) {
        self.iterations = iterations
        self.slots = slots
    }
}

/// A model as stored in a file: architecture, weights, and optionally how it was compiled and the
/// optimiser state. This is the value file formats read and write; the engine runs it.
///
/// `weights[i]` holds layer `i`'s variables in Keras order (kernel, then bias); weightless layers
/// hold `[]`.
public struct Model: Sendable, Equatable {
    public var architecture: Architecture
    public var weights: [[Tensor]]
    public var compile: CompileConfig?
    public var optimizerState: OptimizerState?

    public init(
        architecture: Architecture, weights: [[Tensor]], compile: CompileConfig? = nil,
        optimizerState: OptimizerState? = nil
    ) {
        precondition(
            weights.count == architecture.layers.count,
            "Model has \(architecture.layers.count) layers but \(weights.count) weight lists")
        self.architecture = architecture
        self.weights = weights
        self.compile = compile
        self.optimizerState = optimizerState
    }

    /// The first weight value that is NaN or infinite, if any: the layer, the weight's name (`kernel` /
    /// `bias` for Conv2D and Dense, else its position), the value's flat index and the value.
    public func firstNonFiniteWeight() -> (layer: String, weight: String, index: Int, value: Float)? {
        for (l, tensors) in weights.enumerated() {
            for (w, tensor) in tensors.enumerated() {
                guard let i = tensor.scalars.firstIndex(where: { !$0.isFinite }) else { continue }
                let spec = architecture.layers[l]
                var name = "weight \(w)"
                switch spec.kind {
                case .conv2D, .dense: name = w == 0 ? "kernel" : w == 1 ? "bias" : name
                default: break
                }
                return (spec.name, name, i, tensor.scalars[i])
            }
        }
        return nil
    }
}
