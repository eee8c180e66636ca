import Support
import Tensor

/// An architecture that cannot be run: the message names the layer and the problem,
/// `layer '<layer>': <problem>` (NeuralNet knows no files; a reader that does sets `file`).
public struct ArchitectureError: LocatedError, Equatable {
    public var layer: String
    public var problem: String
    /// The model file, when a reader names it; nil from NeuralNet itself.
    public var file: String?
    public init(layer: String, problem: String) {
        self.layer = layer
        self.problem = problem
    }
    /// `layer '<layer>'`.
    public var location: String? { "layer '\(layer)'" }
}

extension LayerSpec {
    /// Output shape (without batch) for the given input shape (without batch), with Keras's rules.
    public func outputShape(for input: [Int]) throws -> [Int] {
        func spatial(_ size: Int, _ window: Int, _ stride: Int, _ padding: Padding) -> Int {
            switch padding {
            case .same: return (size + stride - 1) / stride
            case .valid: return size >= window ? (size - window) / stride + 1 : 0
            }
        }
        switch kind {
        case .input(let shape):
            return shape
        case .conv2D(let o):
            guard input.count == 3 else {
                throw ArchitectureError(
                    layer: name, problem: "Conv2D needs a (height, width, channels) input, got \(input)")
            }
            guard o.kernelSize.count == 2, o.strides.count == 2, o.strides.allSatisfy({ $0 >= 1 }) else {
                throw ArchitectureError(
                    layer: name, problem: "Conv2D kernel_size and strides must have two positive entries")
            }
            return [
                spatial(input[0], o.kernelSize[0], o.strides[0], o.padding),
                spatial(input[1], o.kernelSize[1], o.strides[1], o.padding), o.filters,
            ]
        case .maxPooling2D(let o):
            guard input.count == 3 else {
                throw ArchitectureError(
                    layer: name, problem: "MaxPooling2D needs a (height, width, channels) input, got \(input)")
            }
            guard o.poolSize.count == 2, o.strides.count == 2, o.strides.allSatisfy({ $0 >= 1 }) else {
                throw ArchitectureError(
                    layer: name, problem: "MaxPooling2D pool_size and strides must have two positive entries")
            }
            return [
                spatial(input[0], o.poolSize[0], o.strides[0], o.padding),
                spatial(input[1], o.poolSize[1], o.strides[1], o.padding), input[2],
            ]
        case .flatten:
            return [input.reduce(1, *)]
        case .dense(let o):
            guard input.count == 1 else {
                throw ArchitectureError(
                    layer: name,
                    problem: "Dense on a rank-\(input.count) input \(input) is not supported; add a Flatten layer")
            }
            return [o.units]
        case .dropout, .activation:
            return input
        }
    }

    /// Shapes of the layer's variables in Keras order (kernel, then bias) for the given input shape.
    public func weightShapes(for input: [Int]) throws -> [[Int]] {
        switch kind {
        case .conv2D(let o):
            guard input.count == 3 else {
                throw ArchitectureError(
                    layer: name, problem: "Conv2D needs a (height, width, channels) input, got \(input)")
            }
            let kernel = [o.kernelSize[0], o.kernelSize[1], input[2], o.filters]
            return o.useBias ? [kernel, [o.filters]] : [kernel]
        case .dense(let o):
            guard input.count == 1 else {
                throw ArchitectureError(
                    layer: name, problem: "Dense on a rank-\(input.count) input \(input) is not supported")
            }
            return o.useBias ? [[input[0], o.units], [o.units]] : [[input[0], o.units]]
        case .input, .maxPooling2D, .flatten, .dropout, .activation:
            return []
        }
    }
}

extension Architecture {
    /// The input shape (without batch) from the first layer, which must be an `InputLayer`.
    public func inputShape() throws -> [Int] {
        guard let first = layers.first, case .input(let shape) = first.kind else {
            throw ArchitectureError(layer: layers.first?.name ?? name, problem: "the first layer must be an InputLayer")
        }
        return shape
    }

    /// Each layer's output shape (without batch), in layer order.
    public func outputShapes() throws -> [[Int]] {
        var shape = try inputShape()
        var result: [[Int]] = []
        for (i, layer) in layers.enumerated() {
            if i > 0, case .input = layer.kind {
                throw ArchitectureError(layer: layer.name, problem: "only the first layer may be an InputLayer")
            }
            shape = try layer.outputShape(for: shape)
            result.append(shape)
        }
        return result
    }

    /// Each layer's variable shapes in Keras order, in layer order (`[]` for weightless layers).
    public func weightShapes() throws -> [[[Int]]] {
        let outputs = try outputShapes()
        return try layers.enumerated().map { i, layer in
            try layer.weightShapes(for: i == 0 ? outputs[0] : outputs[i - 1])
        }
    }

    /// Each layer's parameter count, in layer order.
    public func parameterCounts() throws -> [Int] {
        try weightShapes().map { $0.reduce(0) { $0 + $1.reduce(1, *) } }
    }

    /// The network NeatMS's `create_model` builds (docs/NEATMS-BEHAVIOUR.md#network): input (2, n, 1), `conv2d_1` 32×5×5
    /// same relu, `max_pooling2d_1` (1, 2), `conv2d_2` 64×3×3 same relu, `flatten_1`, `dense_1` 128
    /// relu with L2 0.001, `dropout_1` 0.5, `dense_prediction` k softmax.
    public static func neatms(matrixSize: Int = 120, classes: Int = 3, name: String = "NeatMS_Model") -> Architecture {
        Architecture(
            name: name,
            layers: [
                LayerSpec(name: "input_1", kind: .input(shape: [2, matrixSize, 1])),
                LayerSpec(
                    name: "conv2d_1",
                    kind: .conv2D(Conv2DOptions(filters: 32, kernelSize: [5, 5], padding: .same, activation: .relu))),
                LayerSpec(
                    name: "max_pooling2d_1", kind: .maxPooling2D(Pool2DOptions(poolSize: [1, 2], strides: [1, 2]))),
                LayerSpec(
                    name: "conv2d_2",
                    kind: .conv2D(Conv2DOptions(filters: 64, kernelSize: [3, 3], padding: .same, activation: .relu))),
                LayerSpec(name: "flatten_1", kind: .flatten),
                LayerSpec(
                    name: "dense_1",
                    kind: .dense(DenseOptions(units: 128, activation: .relu, kernelRegularizer: Regularizer(l2: 0.001)))
                ),
                LayerSpec(name: "dropout_1", kind: .dropout(rate: 0.5)),
                LayerSpec(name: "dense_prediction", kind: .dense(DenseOptions(units: classes, activation: .softmax))),
            ])
    }
}
