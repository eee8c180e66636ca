import NeuralNet

/// Keras model-config JSON (`model_config` in legacy `.h5`, `config.json` in `.keras`) → `Architecture`.
///
/// Understands the three dialects Keras has written (docs/KERAS-FILES.md#json-dialects):
/// Keras 2.2.4 `Model`, tf.keras / tf-keras `Functional` and `Sequential`, and Keras 3
/// `Functional` / `Sequential`. Only a single-input, single-output chain of the layer classes in
/// `LayerKind` is accepted; anything else is an error naming the layer and the option.
public enum ModelConfigReader {
    /// Parses a model config given as JSON text.
    public static func architecture(json text: String) throws -> Architecture {
        try architecture(from: JSONValue.parse(text, what: "model_config"))
    }

    /// Parses a decoded model config (`{"class_name": "Functional", "config": {...}}`).
    public static func architecture(from root: JSONValue) throws -> Architecture {
        guard let className = root["class_name"]?.stringValue else {
            throw KerasFormatError("model_config has no class_name: not a Keras model config")
        }
        let config = root["config"] ?? .null
        switch className {
        case "Model", "Functional":
            return try functional(config)
        case "Sequential":
            return try sequential(config)
        default:
            throw KerasFormatError(
                "model class '\(className)' is not supported (only Functional/Model and Sequential)")
        }
    }

    // MARK: Functional

    private struct Entry {
        var name: String
        var className: String
        var config: JSONValue
        var inbound: [[String]]  // per node: the names of the layers feeding it
    }

    private static func functional(_ config: JSONValue) throws -> Architecture {
        guard let layerList = config["layers"]?.arrayValue else {
            throw KerasFormatError("model_config has no layer list")
        }
        let modelName = config["name"]?.stringValue ?? "model"
        var entries: [String: Entry] = [:]
        var order: [String] = []
        for raw in layerList {
            guard let className = raw["class_name"]?.stringValue else {
                throw KerasFormatError("model_config has a layer without class_name")
            }
            let layerConfig = raw["config"] ?? .null
            guard let name = raw["name"]?.stringValue ?? layerConfig["name"]?.stringValue else {
                throw KerasFormatError("model_config has a \(className) layer without a name")
            }
            guard entries[name] == nil else {
                throw KerasFormatError("layer '\(name)': the name occurs twice in model_config")
            }
            let nodes = raw["inbound_nodes"]?.arrayValue ?? []
            let inbound = try nodes.map { try inboundLayerNames($0, layer: name) }
            entries[name] = Entry(name: name, className: className, config: layerConfig, inbound: inbound)
            order.append(name)
        }
        let inputs = try endpointNames(config["input_layers"], what: "input_layers")
        let outputs = try endpointNames(config["output_layers"], what: "output_layers")
        guard inputs.count == 1 else {
            throw KerasFormatError("model has \(inputs.count) inputs \(inputs); only single-input chains are supported")
        }
        guard outputs.count == 1 else {
            throw KerasFormatError(
                "model has \(outputs.count) outputs \(outputs); only single-output chains are supported")
        }
        // Walk back from the output to the input: every layer must have exactly one parent.
        var chain: [Entry] = []
        var current = outputs[0]
        while true {
            guard let entry = entries[current] else {
                throw KerasFormatError("model_config refers to layer '\(current)', which it does not define")
            }
            guard !chain.contains(where: { $0.name == current }) else {
                throw KerasFormatError("layer '\(current)': the graph has a cycle")
            }
            chain.append(entry)
            if current == inputs[0] {
                guard entry.inbound.allSatisfy(\.isEmpty) else {
                    throw KerasFormatError("layer '\(current)': the input layer has inbound connections")
                }
                break
            }
            guard entry.inbound.count == 1 else {
                throw KerasFormatError(
                    entry.inbound.isEmpty
                        ? "layer '\(current)' is not connected to the input '\(inputs[0])'"
                        : "layer '\(current)' is called \(entry.inbound.count) times (shared layer); only chains are supported"
                )
            }
            guard entry.inbound[0].count == 1 else {
                throw KerasFormatError(
                    "layer '\(current)' takes \(entry.inbound[0].count) inputs \(entry.inbound[0]); only chains are supported (branching graph)"
                )
            }
            current = entry.inbound[0][0]
        }
        chain.reverse()
        if chain.count != order.count {
            let extra = order.filter { name in !chain.contains { $0.name == name } }
            throw KerasFormatError(
                "layers \(extra) are not on the chain from '\(inputs[0])' to '\(outputs[0])' (branching graph); only chains are supported"
            )
        }
        var layers: [LayerSpec] = []
        for (i, entry) in chain.enumerated() {
            if i == 0 {
                guard entry.className == "InputLayer" else {
                    throw KerasFormatError(
                        "layer '\(entry.name)': the model input must be an InputLayer, found \(entry.className)")
                }
            } else if entry.className == "InputLayer" {
                throw KerasFormatError("layer '\(entry.name)': only the first layer may be an InputLayer")
            }
            layers.append(
                try LayerConfigReader.layer(name: entry.name, className: entry.className, config: entry.config))
        }
        return try checked(Architecture(name: modelName, layers: layers))
    }

    /// The layer names feeding one inbound node, in either dialect:
    /// Keras 2 `[["input_1", 0, 0, {}], ...]`, Keras 3 `{"args": [{"class_name": "__keras_tensor__",
    /// "config": {"keras_history": ["input_1", 0, 0]}}], "kwargs": {}}`.
    private static func inboundLayerNames(_ node: JSONValue, layer: String) throws -> [String] {
        switch node {
        case .array(let tensors):
            return try tensors.map { tensor in
                guard let name = tensor.arrayValue?.first?.stringValue else {
                    throw KerasFormatError("layer '\(layer)': unreadable inbound node \(node.serialized().prefix(120))")
                }
                return name
            }
        case .object:
            var names: [String] = []
            collectKerasTensors(node["args"] ?? .null, into: &names)
            collectKerasTensors(node["kwargs"] ?? .null, into: &names)
            return names
        default:
            throw KerasFormatError("layer '\(layer)': unreadable inbound node \(node.serialized().prefix(120))")
        }
    }

    private static func collectKerasTensors(_ value: JSONValue, into names: inout [String]) {
        switch value {
        case .object(let o):
            if o["class_name"]?.stringValue == "__keras_tensor__",
                let name = o["config"]?["keras_history"]?.arrayValue?.first?.stringValue
            {
                names.append(name)
            } else {
                for key in o.keys.sorted() { collectKerasTensors(o[key] ?? .null, into: &names) }
            }
        case .array(let a):
            for item in a { collectKerasTensors(item, into: &names) }
        default:
            break
        }
    }

    /// `input_layers` / `output_layers`: nested `[["input_1", 0, 0]]` (Keras 2) or flat
    /// `["input_1", 0, 0]` (Keras 3, single endpoint).
    private static func endpointNames(_ value: JSONValue?, what: String) throws -> [String] {
        guard let list = value?.arrayValue else {
            throw KerasFormatError("model_config has no \(what)")
        }
        if let name = list.first?.stringValue { return [name] }
        return try list.map { item in
            guard let name = item.arrayValue?.first?.stringValue else {
                throw KerasFormatError("model_config has an unreadable \(what) entry")
            }
            return name
        }
    }

    // MARK: Sequential

    private static func sequential(_ config: JSONValue) throws -> Architecture {
        // Keras ≤ 2.2.4 stored a bare list; later versions {"name": ..., "layers": [...]}.
        let list: [JSONValue]
        let modelName: String
        if let bare = config.arrayValue {
            list = bare
            modelName = "sequential_1"
        } else if let layers = config["layers"]?.arrayValue {
            list = layers
            modelName = config["name"]?.stringValue ?? "sequential"
        } else {
            throw KerasFormatError("Sequential model_config has no layer list")
        }
        var layers: [LayerSpec] = []
        for (i, raw) in list.enumerated() {
            guard let className = raw["class_name"]?.stringValue else {
                throw KerasFormatError("model_config has a layer without class_name")
            }
            let layerConfig = raw["config"] ?? .null
            guard let name = layerConfig["name"]?.stringValue ?? raw["name"]?.stringValue else {
                throw KerasFormatError("model_config has a \(className) layer without a name")
            }
            if className == "InputLayer" {
                guard i == 0 else {
                    throw KerasFormatError("layer '\(name)': only the first layer may be an InputLayer")
                }
            } else if i == 0 {
                // No InputLayer: Keras builds one from the first layer's batch_input_shape, named
                // "<layer>_input"; Keras 3 may keep the shape in config.build_input_shape instead.
                guard
                    let shape = try LayerConfigReader.batchShape(layerConfig, layer: name)
                        ?? LayerConfigReader.shapeWithoutBatch(config["build_input_shape"], layer: name)
                else {
                    throw KerasFormatError(
                        "layer '\(name)': Sequential model has no input shape (no InputLayer and no batch_input_shape)")
                }
                layers.append(LayerSpec(name: "\(name)_input", kind: .input(shape: shape)))
            }
            layers.append(try LayerConfigReader.layer(name: name, className: className, config: layerConfig))
        }
        return try checked(Architecture(name: modelName, layers: layers, sequential: true))
    }

    /// The largest tensor (activations per sample, or one weight) a config may declare: far above any
    /// NeatMS model, and low enough that no size computation can overflow.
    static let maxTensorElements = 1 << 31

    /// Shape inference must succeed (e.g. a Dense directly on a 3-D tensor is refused), and every
    /// activation and weight must have a sane size (a hostile config cannot trap or exhaust memory).
    private static func checked(_ architecture: Architecture) throws -> Architecture {
        do {
            var shape = try architecture.inputShape()
            for layer in architecture.layers {
                try requireSize(shape, of: "input", layer: layer.name)
                for weight in try layer.weightShapes(for: shape) {
                    try requireSize(weight, of: "weight", layer: layer.name)
                }
                shape = try layer.outputShape(for: shape)
                try requireSize(shape, of: "output", layer: layer.name)
            }
            _ = try architecture.outputShapes()
        } catch let error as ArchitectureError {
            throw KerasFormatError(error.description)
        }
        return architecture
    }

    private static func requireSize(_ shape: [Int], of what: String, layer: String) throws {
        var count = 1
        for dimension in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard dimension >= 0, !overflow, product <= maxTensorElements else {
                throw KerasFormatError(
                    "layer '\(layer)': \(what) shape \(shape) is too large (over \(maxTensorElements) elements)")
            }
            count = product
        }
    }
}
