import NeuralNet

/// Which Keras generation a written config imitates.
public enum KerasConfigStyle: String, Sendable, CaseIterable {
    /// Keras 2.2.4 (`Model`, `VarianceScaling`, `L1L2`, `lr`) — the layout of NeatMS's bundled model.
    /// tf-keras loads it fully; Keras 3 only with `compile=False`.
    case keras22
    /// tf-keras 2.x (`Functional`, `batch_input_shape`, `Custom>Adam`) — loads in tf-keras and Keras 3.
    case tfKeras2
    /// Keras 3 (`batch_shape`, `DTypePolicy`, dict-style `inbound_nodes`): `.keras` archives.
    case keras3
}

/// `Architecture` → Keras model-config JSON in one of the three dialects.
public enum ModelConfigWriter {
    /// The model config as a JSON value (Functional model; a chain in layer order).
    public static func modelConfig(_ architecture: Architecture, style: KerasConfigStyle) throws -> JSONValue {
        let outputShapes = try architecture.outputShapes()
        guard let first = architecture.layers.first, let last = architecture.layers.last else {
            throw KerasFormatError("model '\(architecture.name)' has no layers")
        }
        var layers: [JSONValue] = []
        for (i, layer) in architecture.layers.enumerated() {
            let inputShape: [Int]? = i == 0 ? nil : outputShapes[i - 1]
            let previous: String? = i == 0 ? nil : architecture.layers[i - 1].name
            layers.append(layerEntry(layer, inputShape: inputShape, previous: previous, style: style))
        }
        switch style {
        case .keras22:
            return [
                "class_name": "Model",
                "config": [
                    "name": .string(architecture.name), "layers": .array(layers),
                    "input_layers": [[.string(first.name), 0, 0]],
                    "output_layers": [[.string(last.name), 0, 0]],
                ],
            ]
        case .tfKeras2:
            return [
                "class_name": "Functional",
                "config": [
                    "name": .string(architecture.name), "trainable": true, "layers": .array(layers),
                    "input_layers": [[.string(first.name), 0, 0]],
                    "output_layers": [[.string(last.name), 0, 0]],
                ],
                "keras_version": .string(KerasFileInfo.tfKerasVersion), "backend": "tensorflow",
            ]
        case .keras3:
            return [
                "module": "keras.src.models.functional", "class_name": "Functional",
                "registered_name": "Functional",
                "config": [
                    "name": .string(architecture.name), "trainable": true, "layers": .array(layers),
                    "input_layers": [.string(first.name), 0, 0],
                    "output_layers": [.string(last.name), 0, 0],
                ],
                "build_config": ["input_shape": nil],
            ]
        }
    }

    // MARK: Layers

    private static func layerEntry(_ layer: LayerSpec, inputShape: [Int]?, previous: String?, style: KerasConfigStyle)
        -> JSONValue
    {
        let config = layerConfig(layer, style: style)
        let inbound: JSONValue
        if let previous, let inputShape {
            switch style {
            case .keras22, .tfKeras2:
                inbound = [[[.string(previous), 0, 0, [:]]]]
            case .keras3:
                inbound = [
                    [
                        "args": [
                            [
                                "class_name": "__keras_tensor__",
                                "config": [
                                    "shape": batchShape(inputShape), "dtype": "float32",
                                    "keras_history": [.string(previous), 0, 0],
                                ],
                            ]
                        ],
                        "kwargs": [:],
                    ]
                ]
            }
        } else {
            inbound = []
        }
        var entry: [String: JSONValue] = [
            "name": .string(layer.name), "class_name": .string(layer.kind.kerasClassName), "config": config,
            "inbound_nodes": inbound,
        ]
        if style != .keras22 {
            entry["module"] = "keras.layers"
            entry["registered_name"] = .null
            // Keras 3 records no build config for layers without a build step (pooling, dropout).
            let hasBuildStep: Bool
            switch layer.kind {
            case .maxPooling2D, .dropout, .activation: hasBuildStep = style != .keras3
            default: hasBuildStep = true
            }
            if let inputShape, hasBuildStep { entry["build_config"] = ["input_shape": batchShape(inputShape)] }
        }
        return .object(entry)
    }

    private static func layerConfig(_ layer: LayerSpec, style: KerasConfigStyle) -> JSONValue {
        if case .input(let shape) = layer.kind {
            var c: [String: JSONValue] = ["name": .string(layer.name), "dtype": "float32", "sparse": false]
            c[style == .keras3 ? "batch_shape" : "batch_input_shape"] = batchShape(shape)
            if style == .tfKeras2 { c["ragged"] = false }
            return .object(c)
        }
        var c: [String: JSONValue] = ["name": .string(layer.name), "trainable": .bool(layer.trainable)]
        switch style {
        case .keras22: break
        case .tfKeras2: c["dtype"] = "float32"
        case .keras3:
            c["dtype"] = [
                "module": "keras", "class_name": "DTypePolicy", "config": ["name": "float32"], "registered_name": nil,
            ]
        }
        switch layer.kind {
        case .input:
            break
        case .conv2D(let o):
            c["filters"] = .int(o.filters)
            c["kernel_size"] = ints(o.kernelSize)
            c["strides"] = ints(o.strides)
            c["padding"] = .string(o.padding.rawValue)
            c["data_format"] = "channels_last"
            c["dilation_rate"] = [1, 1]
            if style != .keras22 { c["groups"] = 1 }
            addDenseLike(
                &c, activation: o.activation, useBias: o.useBias, kernel: o.kernelRegularizer,
                bias: o.biasRegularizer, style: style)
        case .maxPooling2D(let o):
            c["pool_size"] = ints(o.poolSize)
            c["strides"] = ints(o.strides)
            c["padding"] = .string(o.padding.rawValue)
            c["data_format"] = "channels_last"
        case .flatten:
            c["data_format"] = "channels_last"
        case .dense(let o):
            c["units"] = .int(o.units)
            addDenseLike(
                &c, activation: o.activation, useBias: o.useBias, kernel: o.kernelRegularizer,
                bias: o.biasRegularizer, style: style)
            if style == .keras3 { c["activity_regularizer"] = nil }  // Keras 3 Dense omits it
        case .dropout(let rate):
            c["rate"] = .shortest(rate)
            c["noise_shape"] = .null
            c["seed"] = .null
        case .activation(let a):
            c["activation"] = .string(a.rawValue)
        }
        return .object(c)
    }

    private static func addDenseLike(
        _ c: inout [String: JSONValue], activation: Activation, useBias: Bool, kernel: Regularizer?,
        bias: Regularizer?, style: KerasConfigStyle
    ) {
        c["activation"] = .string(activation.rawValue)
        c["use_bias"] = .bool(useBias)
        c["kernel_initializer"] = glorotUniform(style)
        c["bias_initializer"] = keras(style, "initializers", "Zeros", [:])
        c["kernel_regularizer"] = regularizer(kernel, style: style)
        c["bias_regularizer"] = regularizer(bias, style: style)
        c["activity_regularizer"] = .null
        c["kernel_constraint"] = .null
        c["bias_constraint"] = .null
    }

    private static func glorotUniform(_ style: KerasConfigStyle) -> JSONValue {
        switch style {
        case .keras22:
            return keras(
                style, "initializers", "VarianceScaling",
                ["scale": .double(1.0), "mode": "fan_avg", "distribution": "uniform", "seed": nil])
        case .tfKeras2, .keras3:
            return keras(style, "initializers", "GlorotUniform", ["seed": nil])
        }
    }

    /// Keras 2.2.4 stored every regulariser as `L1L2`; later versions use `L2`/`L1` when one is zero.
    static func regularizer(_ r: Regularizer?, style: KerasConfigStyle) -> JSONValue {
        guard let r else { return nil }
        // Keras 2 stored float32-cast factors (0.0010000000474974513); Keras 3 the Python float (0.001).
        func number(_ x: Float) -> JSONValue { style == .keras3 ? .shortest(x) : .number(x) }
        if style == .keras22 || (r.l1 != 0 && r.l2 != 0) {
            return keras(style, "regularizers", "L1L2", ["l1": number(r.l1), "l2": number(r.l2)])
        }
        if r.l1 != 0 { return keras(style, "regularizers", "L1", ["l1": number(r.l1)]) }
        return keras(style, "regularizers", "L2", ["l2": number(r.l2)])
    }

    /// `{"class_name", "config"}`, plus `module`/`registered_name` after Keras 2.2.
    private static func keras(_ style: KerasConfigStyle, _ module: String, _ className: String, _ config: JSONValue)
        -> JSONValue
    {
        var o: [String: JSONValue] = ["class_name": .string(className), "config": config]
        if style != .keras22 {
            o["module"] = .string("keras.\(module)")
            o["registered_name"] = .null
        }
        return .object(o)
    }

    private static func ints(_ values: [Int]) -> JSONValue { .array(values.map { .int($0) }) }
    private static func batchShape(_ shape: [Int]) -> JSONValue { .array([nil] + shape.map { .int($0) }) }
}

/// Version strings NeatMSKit writes into files it creates (the Keras versions whose layout it imitates).
public enum KerasFileInfo {
    public static let tfKerasVersion = "2.21.0"
    public static let keras22Version = "2.2.4"
    public static let keras3Version = "3.15.1"
}
