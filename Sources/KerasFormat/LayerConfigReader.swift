import NeuralNet

/// One layer's Keras config → `LayerSpec`, refusing every option NeatMSKit does not implement.
enum LayerConfigReader {
    static let supportedClasses = ["InputLayer", "Conv2D", "MaxPooling2D", "Flatten", "Dense", "Dropout", "Activation"]

    static func layer(name: String, className: String, config: JSONValue) throws -> LayerSpec {
        let reader = OptionReader(layer: name, config: config)
        try reader.requireFloat32()
        let trainable = try reader.bool("trainable", default: true)
        let kind: LayerKind
        switch className {
        case "InputLayer":
            guard let shape = try batchShape(config, layer: name) ?? shapeWithoutBatch(config["shape"], layer: name)
            else {
                throw reader.error("InputLayer has no batch_input_shape / batch_shape")
            }
            try reader.requireFalse("sparse")
            try reader.requireFalse("ragged")
            kind = .input(shape: shape)
        case "Conv2D", "Convolution2D":
            try reader.requireChannelsLast()
            try reader.requirePair("dilation_rate", equalTo: [1, 1])
            try reader.requireEqual("groups", 1)
            try reader.requireNoExtras()
            kind = .conv2D(
                Conv2DOptions(
                    filters: try reader.positiveInt("filters"),
                    kernelSize: try reader.pair("kernel_size"),
                    strides: try reader.pair("strides", default: [1, 1]),
                    padding: try reader.padding(),
                    activation: try reader.activation(),
                    useBias: try reader.bool("use_bias", default: true),
                    kernelRegularizer: try reader.regularizer("kernel_regularizer"),
                    biasRegularizer: try reader.regularizer("bias_regularizer")))
        case "MaxPooling2D", "MaxPool2D":
            try reader.requireChannelsLast()
            let pool = try reader.pair("pool_size", default: [2, 2])
            kind = .maxPooling2D(
                Pool2DOptions(
                    poolSize: pool, strides: try reader.pair("strides", default: pool), padding: try reader.padding()))
        case "Flatten":
            try reader.requireChannelsLast()
            kind = .flatten
        case "Dense":
            try reader.requireNoExtras()
            kind = .dense(
                DenseOptions(
                    units: try reader.positiveInt("units"),
                    activation: try reader.activation(),
                    useBias: try reader.bool("use_bias", default: true),
                    kernelRegularizer: try reader.regularizer("kernel_regularizer"),
                    biasRegularizer: try reader.regularizer("bias_regularizer")))
        case "Dropout":
            guard config["noise_shape"].map({ $0.isNull }) ?? true else {
                throw reader.error(
                    "Dropout noise_shape \(config["noise_shape"]?.serialized() ?? "") is not supported (only null)")
            }
            guard let rate = config["rate"]?.doubleValue, rate >= 0, rate < 1 else {
                throw reader.error("Dropout rate must be a number in [0, 1)")
            }
            kind = .dropout(rate: Float(rate))
        case "Activation":
            kind = .activation(try reader.activation())
        default:
            throw reader.error(
                "layer class '\(className)' is not supported (supported: \(supportedClasses.joined(separator: ", ")))")
        }
        return LayerSpec(name: name, kind: kind, trainable: trainable)
    }

    /// `batch_input_shape` (Keras 2) or `batch_shape` (Keras 3) without its batch entry, or nil.
    static func batchShape(_ config: JSONValue, layer: String) throws -> [Int]? {
        try shapeWithoutBatch(config["batch_input_shape"] ?? config["batch_shape"], layer: layer)
    }

    /// `[null, 2, 120, 1]` → `[2, 120, 1]`; nil when absent or null.
    static func shapeWithoutBatch(_ value: JSONValue?, layer: String) throws -> [Int]? {
        guard let value, !value.isNull else { return nil }
        guard let list = value.arrayValue, list.count >= 2 else {
            throw KerasFormatError("layer '\(layer)': input shape \(value.serialized()) is not a batch shape")
        }
        return try list.dropFirst().map { dim in
            guard let n = dim.intValue, n > 0 else {
                throw KerasFormatError(
                    "layer '\(layer)': input shape \(value.serialized()) must have fixed positive dimensions after the batch"
                )
            }
            return n
        }
    }
}

/// Typed, checked access to one layer config; every error names the layer and the option.
private struct OptionReader {
    let layer: String
    let config: JSONValue

    func error(_ problem: String) -> KerasFormatError {
        KerasFormatError("layer '\(layer)': \(problem)")
    }

    func bool(_ key: String, default value: Bool) throws -> Bool {
        guard let raw = config[key], !raw.isNull else { return value }
        guard let b = raw.boolValue else { throw error("\(key) must be true or false, found \(raw.serialized())") }
        return b
    }

    func positiveInt(_ key: String) throws -> Int {
        guard let n = config[key]?.intValue, n > 0 else {
            throw error("\(key) must be a positive integer, found \(config[key]?.serialized() ?? "nothing")")
        }
        return n
    }

    /// `[a, b]` or a bare integer `a` (meaning `[a, a]`), all entries ≥ 1.
    func pair(_ key: String, default value: [Int]? = nil) throws -> [Int] {
        guard let raw = config[key], !raw.isNull else {
            guard let value else { throw error("\(key) is missing") }
            return value
        }
        if let n = raw.intValue, n >= 1 { return [n, n] }
        guard let list = raw.arrayValue, list.count == 2 else {
            throw error("\(key) \(raw.serialized()) must be two positive integers")
        }
        let values = list.compactMap(\.intValue)
        guard values.count == 2, values.allSatisfy({ $0 >= 1 }) else {
            throw error("\(key) \(raw.serialized()) must be two positive integers")
        }
        return values
    }

    func requirePair(_ key: String, equalTo expected: [Int]) throws {
        guard let raw = config[key], !raw.isNull else { return }
        let value = try pair(key)
        guard value == expected else {
            throw error("\(key) \(raw.serialized()) is not supported (only \(expected))")
        }
    }

    func requireEqual(_ key: String, _ expected: Int) throws {
        guard let raw = config[key], !raw.isNull else { return }
        guard raw.intValue == expected else {
            throw error("\(key) \(raw.serialized()) is not supported (only \(expected))")
        }
    }

    func requireFalse(_ key: String) throws {
        guard let raw = config[key], !raw.isNull else { return }
        guard raw.boolValue == false else {
            throw error("\(key)=\(raw.serialized()) is not supported")
        }
    }

    func requireChannelsLast() throws {
        guard let raw = config["data_format"], !raw.isNull else { return }
        guard raw.stringValue == "channels_last" else {
            throw error("data_format \(raw.serialized()) is not supported (only channels_last)")
        }
    }

    /// Constraints, activity regularisers, LoRA and quantisation change training or inference:
    /// refuse them rather than silently dropping them.
    func requireNoExtras() throws {
        for key in ["activity_regularizer", "kernel_constraint", "bias_constraint", "quantization_config"] {
            if let raw = config[key], !raw.isNull {
                throw error("\(key) \(raw.serialized().prefix(80)) is not supported (only null)")
            }
        }
        if let raw = config["lora_rank"], !raw.isNull, raw.intValue != 0 {
            throw error("lora_rank \(raw.serialized()) is not supported")
        }
    }

    /// The layer dtype must be float32: absent, `"float32"`, or a policy object named float32.
    func requireFloat32() throws {
        guard let raw = config["dtype"], !raw.isNull else { return }
        let name = raw.stringValue ?? raw["config"]?["name"]?.stringValue
        guard name == "float32" else {
            throw error("dtype \(name.map { "'\($0)'" } ?? raw.serialized()) is not supported (only float32)")
        }
    }

    func padding() throws -> Padding {
        guard let raw = config["padding"], !raw.isNull else { return .valid }
        guard let s = raw.stringValue, let p = Padding(rawValue: s.lowercased()) else {
            throw error("padding \(raw.serialized()) is not supported (only same, valid)")
        }
        return p
    }

    func activation() throws -> Activation {
        guard let raw = config["activation"], !raw.isNull else { return .linear }
        guard let s = raw.stringValue, let a = Activation(rawValue: s) else {
            throw error(
                "activation \(raw.serialized().prefix(80)) is not supported (only \(Activation.allCases.map(\.rawValue).joined(separator: ", ")))"
            )
        }
        return a
    }

    /// `null`, `L2`, `L1` or `L1L2` (any dialect) → `Regularizer`.
    func regularizer(_ key: String) throws -> Regularizer? {
        guard let raw = config[key], !raw.isNull else { return nil }
        guard let className = raw["class_name"]?.stringValue else {
            throw error("\(key) \(raw.serialized().prefix(80)) is not supported")
        }
        let c = raw["config"] ?? .null
        func value(_ name: String) throws -> Float {
            guard let v = c[name], !v.isNull else { return 0 }
            guard let d = v.doubleValue else { throw error("\(key) \(name) must be a number") }
            return Float(d)
        }
        switch className {
        case "L1L2": return Regularizer(l1: try value("l1"), l2: try value("l2"))
        case "L2": return Regularizer(l2: try value("l2"))
        case "L1": return Regularizer(l1: try value("l1"))
        default:
            throw error("\(key) class '\(className)' is not supported (only L1, L2, L1L2)")
        }
    }
}
