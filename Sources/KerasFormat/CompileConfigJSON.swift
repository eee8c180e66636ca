import NeuralNet

/// Keras `training_config` (legacy `.h5`) and `compile_config` (`.keras`) ↔ `CompileConfig`.
public enum CompileConfigJSON {
    /// Parses a legacy `training_config` (`optimizer_config`) or a Keras 3 `compile_config`
    /// (`optimizer`) given as JSON text.
    public static func compileConfig(json text: String) throws -> CompileConfig {
        try compileConfig(from: JSONValue.parse(text, what: "training_config"))
    }

    /// Parses a decoded `training_config` / `compile_config`.
    public static func compileConfig(from root: JSONValue) throws -> CompileConfig {
        guard root.objectValue != nil else { throw KerasFormatError("the compile settings are not a JSON object") }
        guard let optimizerJSON = root["optimizer_config"] ?? root["optimizer"], !optimizerJSON.isNull else {
            throw KerasFormatError("no optimizer is recorded (Keras 3 omits it from compile_config after training)")
        }
        return CompileConfig(
            optimizer: try optimizer(from: optimizerJSON),
            loss: try loss(from: root["loss"] ?? .null),
            metrics: try metrics(from: root["metrics"] ?? .null))
    }

    /// `{"class_name": "Adam" | "Custom>Adam" | "SGD" | ..., "config": {...}}` or a bare name.
    static func optimizer(from value: JSONValue) throws -> OptimizerConfig {
        if let name = value.stringValue {
            switch name.lowercased() {
            case "adam": return OptimizerConfig(kind: .adam, learningRate: 0.001)
            case "sgd": return OptimizerConfig(kind: .sgd, learningRate: 0.01)
            default: throw KerasFormatError("optimizer '\(name)' is not supported (only Adam, SGD)")
            }
        }
        guard var className = value["class_name"]?.stringValue else {
            throw KerasFormatError("the optimizer has no class_name")
        }
        if className.hasPrefix("Custom>") { className.removeFirst("Custom>".count) }
        let c = value["config"] ?? .null
        func number(_ key: String, _ fallback: Float) throws -> Float {
            guard let raw = c[key], !raw.isNull else { return fallback }
            guard let d = raw.doubleValue else {
                throw KerasFormatError(
                    "optimizer \(className) \(key) \(raw.serialized().prefix(80)) is not supported (only a number)")
            }
            return Float(d)
        }
        func flag(_ key: String) throws -> Bool {
            guard let raw = c[key], !raw.isNull else { return false }
            guard let b = raw.boolValue else {
                throw KerasFormatError("optimizer \(className) \(key) must be true or false")
            }
            return b
        }
        // Options that change the update rule and that NeatMSKit does not implement.
        for key in [
            "clipnorm", "clipvalue", "global_clipnorm", "gradient_accumulation_steps", "ema_overwrite_frequency",
        ] {
            if let raw = c[key], !raw.isNull {
                throw KerasFormatError("optimizer \(className) option \(key)=\(raw.serialized()) is not supported")
            }
        }
        if let raw = c["weight_decay"], !raw.isNull, raw.doubleValue != 0 {
            throw KerasFormatError("optimizer \(className) option weight_decay=\(raw.serialized()) is not supported")
        }
        if try flag("use_ema") { throw KerasFormatError("optimizer \(className) option use_ema=true is not supported") }
        let kind: OptimizerConfig.Kind
        switch className.lowercased() {
        case "adam": kind = .adam
        case "sgd": kind = .sgd
        default: throw KerasFormatError("optimizer '\(className)' is not supported (only Adam, SGD)")
        }
        let defaultRate: Float = kind == .adam ? 0.001 : 0.01
        let rate = try number("learning_rate", try number("lr", defaultRate))
        return OptimizerConfig(
            kind: kind, learningRate: rate, beta1: try number("beta_1", 0.9), beta2: try number("beta_2", 0.999),
            epsilon: try number("epsilon", 1e-7), amsgrad: try flag("amsgrad"), momentum: try number("momentum", 0),
            nesterov: try flag("nesterov"), decay: try number("decay", 0))
    }

    /// `"categorical_crossentropy"`, or a loss object with default options.
    static func loss(from value: JSONValue) throws -> String {
        if let s = value.stringValue { return s }
        if value.isNull { throw KerasFormatError("the compile settings has no loss") }
        if let className = value["class_name"]?.stringValue {
            let c = value["config"] ?? .null
            if c["from_logits"]?.boolValue == true || (c["label_smoothing"]?.doubleValue ?? 0) != 0 {
                throw KerasFormatError("loss \(className) with from_logits/label_smoothing is not supported")
            }
            return snakeCase(className)
        }
        throw KerasFormatError("loss \(value.serialized().prefix(80)) is not supported (only a single named loss)")
    }

    /// Metric names from `["accuracy", "mae"]` (Keras 2.2 / Keras 3) or tf-keras's
    /// `[[{"class_name": "MeanMetricWrapper", "config": {"name": "accuracy", ...}}, ...]]`.
    static func metrics(from value: JSONValue) throws -> [String] {
        var names: [String] = []
        func collect(_ v: JSONValue) throws {
            switch v {
            case .null: break
            case .string(let s): names.append(s)
            case .array(let a): for item in a { try collect(item) }
            case .object:
                guard let name = v["config"]?["name"]?.stringValue ?? v["class_name"]?.stringValue else {
                    throw KerasFormatError("the compile settings metric \(v.serialized().prefix(80)) is unreadable")
                }
                names.append(name)
            default:
                throw KerasFormatError("the compile settings metric \(v.serialized().prefix(80)) is unreadable")
            }
        }
        try collect(value)
        return names
    }

    private static func snakeCase(_ name: String) -> String {
        var out = ""
        for (i, ch) in name.enumerated() {
            if ch.isUppercase, i > 0 { out.append("_") }
            out.append(contentsOf: ch.lowercased())
        }
        return out
    }

    // MARK: Writing

    /// The legacy `.h5` root `training_config` in the given style.
    public static func trainingConfig(_ compile: CompileConfig, style: KerasConfigStyle) throws -> JSONValue {
        let metrics: JSONValue = .array(compile.metrics.map { .string($0) })
        switch style {
        case .keras22:
            return [
                "optimizer_config": legacyOptimizer(compile.optimizer),
                "loss": .string(compile.loss), "metrics": metrics, "sample_weight_mode": nil, "loss_weights": nil,
            ]
        case .tfKeras2:
            return [
                "optimizer_config": try tfKerasOptimizer(compile.optimizer),
                "loss": .string(compile.loss), "metrics": tfKerasMetrics(compile), "weighted_metrics": nil,
                "loss_weights": nil,
            ]
        case .keras3:
            return [
                "optimizer_config": try keras3Optimizer(compile.optimizer, withModule: false),
                "loss": .string(compile.loss), "metrics": metrics, "weighted_metrics": nil, "loss_weights": nil,
                "run_eagerly": false, "steps_per_execution": 1, "jit_compile": false,
            ]
        }
    }

    /// tf-keras 2.x's `[[{"class_name": "MeanMetricWrapper", "config": {"name", "dtype", "fn"}}, …]]`, as
    /// tf-keras writes it: Keras 3 opens that form with compile=True but refuses plain `"mse"` strings.
    /// `accuracy` is the accuracy matching the loss, as tf-keras resolves it.
    static func tfKerasMetrics(_ compile: CompileConfig) -> JSONValue {
        let functions = [
            "mae": "mean_absolute_error", "mean_absolute_error": "mean_absolute_error", "mse": "mean_squared_error",
            "mean_squared_error": "mean_squared_error",
        ]
        let accuracy: String
        switch compile.loss {
        case "binary_crossentropy": accuracy = "binary_accuracy"
        case "sparse_categorical_crossentropy": accuracy = "sparse_categorical_accuracy"
        default: accuracy = "categorical_accuracy"
        }
        let wrappers: [JSONValue] = compile.metrics.map { name in
            let fn = ["accuracy", "acc"].contains(name) ? accuracy : (functions[name] ?? name)
            return [
                "class_name": "MeanMetricWrapper",
                "config": ["name": .string(name), "dtype": "float32", "fn": .string(fn)],
            ]
        }
        return .array([.array(wrappers)])
    }

    /// A Keras 3 `compile_config` for `config.json` inside a `.keras` archive.
    public static func keras3CompileConfig(_ compile: CompileConfig) throws -> JSONValue {
        [
            "optimizer": try keras3Optimizer(compile.optimizer, withModule: true),
            "loss": .string(compile.loss), "loss_weights": nil,
            "metrics": .array(compile.metrics.map { .string($0) }), "weighted_metrics": nil,
            "run_eagerly": false, "steps_per_execution": 1, "jit_compile": false,
        ]
    }

    /// Keras 2.2.4's optimizer config (`lr`, `decay`; float32 values).
    private static func legacyOptimizer(_ o: OptimizerConfig) -> JSONValue {
        switch o.kind {
        case .adam:
            return [
                "class_name": "Adam",
                "config": [
                    "lr": .number(o.learningRate), "beta_1": .number(o.beta1), "beta_2": .number(o.beta2),
                    "decay": .number(o.decay), "epsilon": .shortest(o.epsilon), "amsgrad": .bool(o.amsgrad),
                ],
            ]
        case .sgd:
            return [
                "class_name": "SGD",
                "config": [
                    "lr": .number(o.learningRate), "momentum": .number(o.momentum), "decay": .number(o.decay),
                    "nesterov": .bool(o.nesterov),
                ],
            ]
        }
    }

    /// tf-keras 2.x's optimizer config (`Custom>Adam`, `learning_rate`), which tf-keras restores
    /// with its state and Keras 3 also accepts.
    private static func tfKerasOptimizer(_ o: OptimizerConfig) throws -> JSONValue {
        guard o.decay == 0 else {
            // tf-keras's current optimizers have no inverse-time `decay`; only the legacy ones do.
            return legacyOptimizer(o)
        }
        var c: [String: JSONValue] = [
            "name": .string(o.kind == .adam ? "Adam" : "SGD"), "weight_decay": nil, "clipnorm": nil,
            "global_clipnorm": nil, "clipvalue": nil, "use_ema": false, "ema_momentum": .double(0.99),
            "ema_overwrite_frequency": nil, "jit_compile": false, "is_legacy_optimizer": false,
            "learning_rate": .number(o.learningRate),
        ]
        addUpdateRule(&c, o)
        return ["class_name": .string(o.kind == .adam ? "Custom>Adam" : "Custom>SGD"), "config": .object(c)]
    }

    private static func keras3Optimizer(_ o: OptimizerConfig, withModule: Bool) throws -> JSONValue {
        guard o.decay == 0 else {
            throw KerasFormatError(
                "optimizer decay=\(o.decay) (Keras 2 inverse-time decay) cannot be written for Keras 3; use the keras2 style"
            )
        }
        var c: [String: JSONValue] = [
            "name": .string(o.kind == .adam ? "adam" : "sgd"), "learning_rate": .number(o.learningRate),
            "weight_decay": nil, "clipnorm": nil, "global_clipnorm": nil, "clipvalue": nil, "use_ema": false,
            "ema_momentum": .double(0.99), "ema_overwrite_frequency": nil,
        ]
        addUpdateRule(&c, o)
        var result: [String: JSONValue] = [
            "class_name": .string(o.kind == .adam ? "Adam" : "SGD"), "config": .object(c),
        ]
        if withModule {
            result["module"] = "keras.optimizers"
            result["registered_name"] = .null
        }
        return .object(result)
    }

    /// Hyper-parameters kept as Python floats by tf-keras 2.x and Keras 3 (`0.9`, `1e-07`).
    private static func addUpdateRule(_ c: inout [String: JSONValue], _ o: OptimizerConfig) {
        switch o.kind {
        case .adam:
            c["beta_1"] = .shortest(o.beta1)
            c["beta_2"] = .shortest(o.beta2)
            c["epsilon"] = .shortest(o.epsilon)
            c["amsgrad"] = .bool(o.amsgrad)
        case .sgd:
            c["momentum"] = .shortest(o.momentum)
            c["nesterov"] = .bool(o.nesterov)
        }
    }
}
