import Foundation
import NeuralNet
import TestSupport
import Testing

@testable import KerasFormat

/// Config fixtures written by real tf-keras 2.21 / Keras 3.15 (Scripts/fixtures/make_keras_config_fixtures.py).
private func configFixture(_ name: String) throws -> JSONValue {
    let data = try Data(contentsOf: TestPaths.fixture("keras/configs/\(name)"))
    return try JSONValue.parse(data, what: name)
}

/// The NeatMS network (docs/NEATMS-BEHAVIOUR.md#network) for the reduced matrix size 16 that the fixtures use.
private let neatms16 = Architecture.neatms(matrixSize: 16).layers

/// Keras 2.2.4's stored `model_config` for the NeatMS model: tf-keras's JSON rewritten to what Keras 2.2.4's
/// `Network.get_config()` emits (docs/KERAS-FILES.md#keras-224-config), checked against the keras 2.2.4 wheel.
private let keras224ModelConfig = #"""
    {"class_name": "Model", "config": {"name": "model_1", "layers": [{"name": "input_1", "class_name": "InputLayer", "config": {"batch_input_shape": [null, 2, 120, 1], "dtype": "float32", "sparse": false, "name": "input_1"}, "inbound_nodes": []}, {"name": "conv2d_1", "class_name": "Conv2D", "config": {"name": "conv2d_1", "trainable": true, "filters": 32, "kernel_size": [5, 5], "strides": [1, 1], "padding": "same", "data_format": "channels_last", "dilation_rate": [1, 1], "activation": "relu", "use_bias": true, "kernel_initializer": {"class_name": "VarianceScaling", "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": null}}, "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null}, "inbound_nodes": [[["input_1", 0, 0, {}]]]}, {"name": "max_pooling2d_1", "class_name": "MaxPooling2D", "config": {"name": "max_pooling2d_1", "trainable": true, "pool_size": [1, 2], "padding": "valid", "strides": [1, 2], "data_format": "channels_last"}, "inbound_nodes": [[["conv2d_1", 0, 0, {}]]]}, {"name": "conv2d_2", "class_name": "Conv2D", "config": {"name": "conv2d_2", "trainable": true, "filters": 64, "kernel_size": [3, 3], "strides": [1, 1], "padding": "same", "data_format": "channels_last", "dilation_rate": [1, 1], "activation": "relu", "use_bias": true, "kernel_initializer": {"class_name": "VarianceScaling", "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": null}}, "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null}, "inbound_nodes": [[["max_pooling2d_1", 0, 0, {}]]]}, {"name": "flatten_1", "class_name": "Flatten", "config": {"name": "flatten_1", "trainable": true, "data_format": "channels_last"}, "inbound_nodes": [[["conv2d_2", 0, 0, {}]]]}, {"name": "dense_1", "class_name": "Dense", "config": {"name": "dense_1", "trainable": true, "units": 128, "activation": "relu", "use_bias": true, "kernel_initializer": {"class_name": "VarianceScaling", "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": null}}, "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": {"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.0010000000474974513}}, "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null}, "inbound_nodes": [[["flatten_1", 0, 0, {}]]]}, {"name": "dropout_1", "class_name": "Dropout", "config": {"name": "dropout_1", "trainable": true, "rate": 0.5, "noise_shape": null, "seed": null}, "inbound_nodes": [[["dense_1", 0, 0, {}]]]}, {"name": "dense_prediction", "class_name": "Dense", "config": {"name": "dense_prediction", "trainable": true, "units": 3, "activation": "softmax", "use_bias": true, "kernel_initializer": {"class_name": "VarianceScaling", "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": null}}, "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null}, "inbound_nodes": [[["dropout_1", 0, 0, {}]]]}], "input_layers": [["input_1", 0, 0]], "output_layers": [["dense_prediction", 0, 0]]}}
    """#

/// Keras 2.2.4's `training_config` for Adam(1e-5), from the same document.
private let keras224TrainingConfig = #"""
    {"optimizer_config": {"class_name": "Adam", "config": {"lr": 9.999999747378752e-06, "beta_1": 0.8999999761581421, "beta_2": 0.9990000128746033, "decay": 0.0, "epsilon": 1e-07, "amsgrad": false}}, "loss": "categorical_crossentropy", "metrics": ["accuracy", "mae"], "sample_weight_mode": null, "loss_weights": null}
    """#

@Suite struct ModelConfigReading {
    @Test func tfKerasFunctional() throws {
        let a = try ModelConfigReader.architecture(from: configFixture("tfkeras_functional.json"))
        #expect(a.name == "model")
        #expect(a.layers == neatms16)
    }

    @Test func keras3Functional() throws {
        let a = try ModelConfigReader.architecture(from: configFixture("keras3_functional_config.json"))
        #expect(a.name == "functional")
        #expect(a.layers == neatms16)
    }

    @Test func keras224Model() throws {
        let a = try ModelConfigReader.architecture(json: keras224ModelConfig)
        #expect(a.name == "model_1")
        #expect(a.layers == Architecture.neatms(matrixSize: 120).layers)
    }

    @Test func tfKerasSequentialWithShapeOnFirstLayer() throws {
        let a = try ModelConfigReader.architecture(from: configFixture("tfkeras_sequential_first_layer_shape.json"))
        #expect(a.layers.map(\.name) == ["c_input", "c", "f", "d"])
        #expect(a.layers[0].kind == .input(shape: [2, 16, 1]))
        #expect(a.layers[1].kind == .conv2D(Conv2DOptions(filters: 4, kernelSize: [1, 3])))
        #expect(a.layers[3].kind == .dense(DenseOptions(units: 3, activation: .softmax)))
    }

    @Test func sequentialWithoutInputLayerGetsOneFromBatchInputShape() throws {
        // Keras 2.2-era Sequential: config is a bare list and the first layer carries the shape.
        var root = try configFixture("tfkeras_sequential_first_layer_shape.json")
        guard case .object(var top) = root, let layers = root["config"]?["layers"]?.arrayValue else {
            Issue.record("fixture layout changed")
            return
        }
        top["config"] = .array(Array(layers.dropFirst()))
        root = .object(top)
        let a = try ModelConfigReader.architecture(from: root)
        #expect(a.layers.map(\.name) == ["c_input", "c", "f", "d"])
        #expect(a.layers[0].kind == .input(shape: [2, 16, 1]))
    }

    @Test func tfKerasSequentialWithInputLayerStridesAndFrozenLayer() throws {
        let a = try ModelConfigReader.architecture(from: configFixture("tfkeras_sequential_input_layer.json"))
        #expect(a.layers.map(\.name) == ["in", "c", "f", "d"])
        #expect(a.layers[1].kind == .conv2D(Conv2DOptions(filters: 4, kernelSize: [1, 3], strides: [1, 2])))
        #expect(a.layers[1].trainable == false)
        #expect(try a.outputShapes() == [[2, 16, 1], [2, 7, 4], [56], [3]])
    }

    @Test func keras3Sequential() throws {
        let a = try ModelConfigReader.architecture(from: configFixture("keras3_sequential_config.json"))
        #expect(a.layers.map(\.name) == ["input_layer", "c", "p", "f", "d"])
        #expect(a.layers[2].kind == .maxPooling2D(Pool2DOptions(poolSize: [1, 2])))
        #expect(a.layers[4].kind == .dense(DenseOptions(units: 3, activation: .sigmoid)))
    }

    @Test(arguments: [
        ("bad_branching.json", ["branching"]),
        ("bad_dilation.json", ["conv2d_1", "dilation_rate"]),
        ("bad_activation.json", ["conv2d_1", "activation", "elu"]),
        ("bad_float16.json", ["conv2d_1", "dtype", "float16"]),
        ("bad_batchnorm.json", ["batch_normalization", "BatchNormalization"]),
    ])
    func unsupportedFeaturesAreNamedErrors(file: String, mentions: [String]) throws {
        let config = try configFixture(file)
        let error = try #require(throws: KerasFormatError.self) { try ModelConfigReader.architecture(from: config) }
        for word in mentions { #expect(error.description.contains(word), "\(error.description)") }
        #expect(!error.description.contains("\n"))
    }
}

@Suite struct HostileConfigs {
    @Test func hugeShapesAreRefusedNotOverflowed() throws {
        // A valid chain whose flattened size times the Dense units would overflow Int.
        let json = #"""
            {"class_name": "Sequential", "config": {"name": "s", "layers": [
            {"class_name": "InputLayer", "config": {"name": "in", "batch_input_shape": [null, 1000000, 1000000, 1000]}},
            {"class_name": "Flatten", "config": {"name": "f"}},
            {"class_name": "Dense", "config": {"name": "d", "units": 1000000}}]}}
            """#
        let error = try #require(throws: KerasFormatError.self) { try ModelConfigReader.architecture(json: json) }
        #expect(error.description.contains("too large"))
    }

    @Test func garbageIsAnErrorNotACrash() throws {
        for text in [
            "", "null", "[]", "{}", #"{"class_name": 3}"#, #"{"class_name": "Functional", "config": {"layers": [{}]}}"#,
            #"{"class_name": "Functional", "config": {"layers": [], "input_layers": [], "output_layers": []}}"#,
            #"{"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": {"name": "d", "units": -1}}]}}"#,
        ] {
            #expect(throws: KerasFormatError.self) { try ModelConfigReader.architecture(json: text) }
        }
    }
}

@Suite struct CompileConfigReading {
    @Test func tfKerasCustomAdam() throws {
        let c = try CompileConfigJSON.compileConfig(from: configFixture("tfkeras_training_adam.json"))
        #expect(
            c
                == CompileConfig(
                    optimizer: .adam(learningRate: 1e-5), loss: "categorical_crossentropy",
                    metrics: ["accuracy", "mae"]))
    }

    @Test func tfKerasSGDWithNesterov() throws {
        let c = try CompileConfigJSON.compileConfig(from: configFixture("tfkeras_training_sgd.json"))
        #expect(c.optimizer == OptimizerConfig(kind: .sgd, learningRate: 0.01, momentum: 0.9, nesterov: true))
        #expect(c.metrics == ["accuracy"])
    }

    @Test func tfKerasLegacyAdamWithDecay() throws {
        let c = try CompileConfigJSON.compileConfig(from: configFixture("tfkeras_training_legacy_adam_decay.json"))
        #expect(c.optimizer == OptimizerConfig(kind: .adam, learningRate: 1e-4, decay: 1e-3))
    }

    @Test func keras224AdamWithLr() throws {
        let c = try CompileConfigJSON.compileConfig(json: keras224TrainingConfig)
        #expect(c == CompileConfig(optimizer: .adam(learningRate: 1e-5)))
    }

    @Test func keras3LegacyTrainingConfigAndCompileConfig() throws {
        let legacy = try CompileConfigJSON.compileConfig(from: configFixture("keras3_training_adam.json"))
        #expect(legacy == CompileConfig(optimizer: .adam(learningRate: 1e-5)))
        let compile = try #require(try configFixture("keras3_functional_config.json")["compile_config"])
        #expect(try CompileConfigJSON.compileConfig(from: compile) == legacy)
        let sgd = try #require(try configFixture("keras3_sgd_config.json")["compile_config"])
        #expect(
            try CompileConfigJSON.compileConfig(from: sgd)
                == CompileConfig(
                    optimizer: OptimizerConfig(kind: .sgd, learningRate: 0.05, momentum: 0.5), metrics: ["accuracy"]))
    }

    @Test func unsupportedOptimizerIsAnError() throws {
        let json =
            #"{"optimizer_config": {"class_name": "RMSprop", "config": {"lr": 0.001}}, "loss": "mse", "metrics": []}"#
        let error = try #require(throws: KerasFormatError.self) { try CompileConfigJSON.compileConfig(json: json) }
        #expect(error.description.contains("RMSprop"))
        let clip =
            #"{"optimizer_config": {"class_name": "Adam", "config": {"learning_rate": 0.001, "clipnorm": 1.0}}, "loss": "mse"}"#
        let clipError = try #require(throws: KerasFormatError.self) { try CompileConfigJSON.compileConfig(json: clip) }
        #expect(clipError.description.contains("clipnorm"))
    }
}

@Suite struct ConfigWriting {
    @Test func keras22StyleReproducesKeras224sStoredJSON() throws {
        let written = try ModelConfigWriter.modelConfig(
            Architecture.neatms(matrixSize: 120, name: "model_1"), style: .keras22)
        let diff = differences(written, try JSONValue.parse(keras224ModelConfig, what: "doc"))
        #expect(diff.isEmpty, "\(diff)")
        let training = try CompileConfigJSON.trainingConfig(
            CompileConfig(optimizer: .adam(learningRate: 1e-5)), style: .keras22)
        #expect(training == (try JSONValue.parse(keras224TrainingConfig, what: "doc")))
    }

    @Test(arguments: KerasConfigStyle.allCases)
    func everyStyleReadsBack(style: KerasConfigStyle) throws {
        var architecture = Architecture.neatms(matrixSize: 16, name: "roundtrip")
        architecture.layers[1].trainable = false
        let text = try ModelConfigWriter.modelConfig(architecture, style: style).serialized()
        #expect(try ModelConfigReader.architecture(json: text) == architecture)
        let compile = CompileConfig(
            optimizer: OptimizerConfig(kind: .sgd, learningRate: 0.02, momentum: 0.9, nesterov: true))
        let training = try CompileConfigJSON.trainingConfig(compile, style: style).serialized()
        #expect(try CompileConfigJSON.compileConfig(json: training) == compile)
    }

    @Test func tfKerasStyleMatchesWhatTfKerasWrites() throws {
        // Same keys and values as tf-keras 2.21's own to_json, except the bookkeeping keys it adds.
        let written = try ModelConfigWriter.modelConfig(
            Architecture.neatms(matrixSize: 16, name: "model"), style: .tfKeras2)
        var reference = try configFixture("tfkeras_functional.json")
        reference = stripping(reference, keys: ["optional"])
        let diff = differences(stripping(written, keys: ["optional"]), reference)
        #expect(diff.isEmpty, "\(diff)")
    }

    @Test func keras3StyleMatchesWhatKeras3Writes() throws {
        let written = try ModelConfigWriter.modelConfig(
            Architecture.neatms(matrixSize: 16, name: "functional"), style: .keras3)
        // Keras 3 adds keys NeatMSKit leaves at their defaults; compare the rest.
        let ignored: Set<String> = [
            "compile_config", "shared_object_id", "quantization_config", "ragged", "optional", "input_axes",
            "output_axes", "kwargs",
        ]
        let diff = differences(
            stripping(written, keys: ignored),
            stripping(try configFixture("keras3_functional_config.json"), keys: ignored))
        #expect(diff.isEmpty, "\(diff)")
    }
}

/// Removes the given object keys everywhere in a JSON tree.
private func stripping(_ value: JSONValue, keys: Set<String>) -> JSONValue {
    switch value {
    case .object(let o):
        var out: [String: JSONValue] = [:]
        for (k, v) in o where !keys.contains(k) { out[k] = stripping(v, keys: keys) }
        return .object(out)
    case .array(let a):
        return .array(a.map { stripping($0, keys: keys) })
    default:
        return value
    }
}

/// Paths at which two JSON trees differ (for readable failures).
private func differences(_ a: JSONValue, _ b: JSONValue, path: String = "") -> [String] {
    switch (a, b) {
    case (.object(let x), .object(let y)):
        return Set(x.keys).union(y.keys).sorted().flatMap { key -> [String] in
            guard let u = x[key], let v = y[key] else { return ["\(path)/\(key): only on one side"] }
            return differences(u, v, path: "\(path)/\(key)")
        }
    case (.array(let x), .array(let y)) where x.count == y.count:
        return zip(x, y).enumerated().flatMap { differences($1.0, $1.1, path: "\(path)[\($0)]") }
    default:
        return a == b ? [] : ["\(path): \(a.serialized()) != \(b.serialized())"]
    }
}

@Suite struct ConfigValueTypes {
    /// Floats stay floats as Python's json writes them (Keras 3 refuses SGD's `"momentum": 0`); integers stay
    /// integers.
    @Test func doublesAreWrittenAsFloats() {
        #expect(JSONValue.double(0).serialized() == "0.0")
        #expect(JSONValue.double(1).serialized() == "1.0")
        #expect(JSONValue.shortest(1e-7).serialized() == "1e-07")
        #expect(JSONValue.int(32).serialized() == "32")
        #expect(
            JSONValue.object(["b": .string("a\"\\\n"), "a": .array([.null, .bool(true)])]).serialized()
                == #"{"a":[null,true],"b":"a\"\\\n"}"#)
    }

    @Test func sgdMomentumZeroIsAFloatInEveryStyle() throws {
        let compile = CompileConfig(optimizer: .sgd(learningRate: 0.01), loss: "mse", metrics: ["mse"])
        #expect(try CompileConfigJSON.keras3CompileConfig(compile).serialized().contains(#""momentum":0.0"#))
        for style in [KerasConfigStyle.tfKeras2, .keras3] {
            #expect(
                try CompileConfigJSON.trainingConfig(compile, style: style).serialized().contains(#""momentum":0.0"#))
        }
    }
}
