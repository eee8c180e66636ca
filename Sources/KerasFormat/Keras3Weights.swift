import Foundation
import HDF5
import NeuralNet
import Tensor

/// Keras 3's weights HDF5 (`model.weights.h5` in a `.keras` archive, and `*.weights.h5`):
/// `layers/<snake_case(class)>[_N]/vars/<i>`, `optimizer/vars/<i>`, `vars`.
enum Keras3Weights {
    /// Keras 3's `naming.to_snake_case`: `MaxPooling2D` → `max_pooling2d`, `InputLayer` → `input_layer`.
    static func snakeCase(_ name: String) -> String {
        let chars = Array(name.filter { $0.isLetter || $0.isNumber || $0 == "_" })
        // re.sub("(.)([A-Z][a-z]+)", r"\1_\2")
        var step1: [Character] = []
        var i = 0
        while i < chars.count {
            if i > 0, chars[i].isUppercase, i + 1 < chars.count, chars[i + 1].isLowercase {
                step1.append("_")
            }
            step1.append(chars[i])
            i += 1
        }
        // re.sub("([a-z])([A-Z])", r"\1_\2")
        var step2: [Character] = []
        for (k, c) in step1.enumerated() {
            if k > 0, c.isUppercase, step1[k - 1].isLowercase { step2.append("_") }
            step2.append(c)
        }
        return String(step2).lowercased()
    }

    /// The path Keras 3 gives each layer of a Functional model's `layers` list (InputLayer included):
    /// the snake-cased class name, with `_1`, `_2`, … for repeats in list order.
    static func layerPaths(_ architecture: Architecture) -> [String] {
        var used: [String: Int] = [:]
        return architecture.layers.map { layer in
            let base = snakeCase(layer.kind.kerasClassName)
            if let count = used[base] {
                used[base] = count + 1
                return "\(base)_\(count + 1)"
            }
            used[base] = 0
            return base
        }
    }

    /// The datasets `0`, `1`, … of a `vars` group in numeric order (HDF5 lists `10` before `2`).
    static func readVars(_ group: HDF5Group, from first: Int = 0) throws -> [Tensor] {
        try varIndices(group).filter { $0 >= first }.map { try LegacyWeights.readTensor(group, String($0)) }
    }

    /// The variable indices of a `vars` group, checked to be 0…n-1.
    static func varIndices(_ group: HDF5Group) throws -> [Int] {
        let indices = try group.children().compactMap { child -> Int? in
            child.kind == .dataset ? Int(child.name) : nil
        }.sorted()
        guard indices == Array(0..<indices.count) else {
            throw KerasFormatError("\(group.name) has variables \(indices), expected 0…\(indices.count - 1)")
        }
        return indices
    }

    /// Reads every layer's variables in Keras 3 order and assigns them to `model` with Keras's rules
    /// (a missing group or a count/shape mismatch is an error, or a warning with `skipMismatch`).
    static func load(
        _ root: HDF5Group, into model: Model, matching: WeightMatching, skipMismatch: Bool
    ) throws -> (weights: [[Tensor]], optimizer: (iterations: Int, vars: [Tensor])?, warnings: [String]) {
        guard try root.kind(of: "layers") == .group else {
            throw KerasFormatError("no layers group: not a Keras 3 weights file")
        }
        let layersGroup = try root.group("layers")
        // By name: each group's `vars@name` (written by Keras 3.x) gives the real layer name.
        var groupByName: [String: String] = [:]
        if matching == .byName {
            for child in try layersGroup.children() where child.kind == .group {
                let vars = "\(child.name)/vars"
                if try layersGroup.kind(of: vars) == .group,
                    let name = try layersGroup.group(vars).stringAttribute("name")
                {
                    groupByName[name] = child.name
                }
            }
        }
        let paths = layerPaths(model.architecture)
        var stored: [StoredLayer] = []
        for (i, layer) in model.architecture.layers.enumerated() {
            let path = matching == .byName ? groupByName[layer.name] : paths[i]
            guard let path, try layersGroup.kind(of: "\(path)/vars") == .group else {
                if model.weights[i].isEmpty || matching == .byName { continue }
                throw KerasFormatError("layer '\(layer.name)': no group layers/\(paths[i])/vars in the file")
            }
            let tensors = try readVars(try layersGroup.group("\(path)/vars"))
            let names = LegacyWeights.weightNames(for: layer, count: tensors.count, tfSuffix: false)
            stored.append(StoredLayer(name: layer.name, weightNames: names, tensors: tensors))
        }
        // Pair layer i with layer i by name (the paths already did the positional matching).
        let (weights, warnings) = try LegacyWeights.assign(
            stored, to: model, matching: .byName, skipMismatch: skipMismatch)
        var optimizer: (Int, [Tensor])?
        if try root.kind(of: "optimizer/vars") == .group {
            // 0 = iteration (int64), 1 = learning rate, then the slot variables.
            let group = try root.group("optimizer/vars")
            if try varIndices(group).count >= 2 {
                let iterations = try group.dataset("0").readScalar(as: Int64.self)
                optimizer = (Int(iterations), try readVars(group, from: 2))
            }
        }
        return (weights, optimizer, warnings)
    }

    /// The optimizer slot variables in Keras 3's order: per trainable variable m, v (Adam) — then vhat
    /// for every variable with amsgrad — or momentum (SGD with momentum).
    static func slotOrder(_ model: Model, optimizer: OptimizerConfig) -> [(slot: String, layer: Int, weight: Int)] {
        let variables = LegacyOptimizerWeights.trainableVariables(model)
        switch optimizer.kind {
        case .adam:
            var order = variables.flatMap { [("m", $0.layer, $0.weight), ("v", $0.layer, $0.weight)] }
            if optimizer.amsgrad { order += variables.map { ("vhat", $0.layer, $0.weight) } }
            return order
        case .sgd:
            return optimizer.momentum != 0 ? variables.map { ("momentum", $0.layer, $0.weight) } : []
        }
    }

    /// Rebuilds `OptimizerState` from Keras 3 `optimizer/vars` (after iteration and learning rate).
    static func optimizerState(iterations: Int, vars: [Tensor], model: Model, optimizer: OptimizerConfig?) -> (
        OptimizerState?, [String]
    ) {
        if vars.isEmpty { return (OptimizerState(iterations: iterations), []) }
        guard let optimizer else { return (nil, ["optimizer state dropped: the file has no compile config"]) }
        let order = slotOrder(model, optimizer: optimizer)
        guard order.count == vars.count else {
            return (
                nil,
                ["optimizer state dropped: \(vars.count) optimizer variables do not fit \(order.count) expected slots"]
            )
        }
        var slots: [String: [[Tensor]]] = [:]
        for (k, entry) in order.enumerated() {
            guard vars[k].shape == model.weights[entry.layer][entry.weight].shape else {
                return (
                    nil, ["optimizer state dropped: optimizer variable \(k + 2) has shape \(shapeText(vars[k].shape))"]
                )
            }
            var table = slots[entry.slot] ?? model.weights.map { _ in [] }
            table[entry.layer].append(vars[k])
            slots[entry.slot] = table
        }
        return (OptimizerState(iterations: iterations, slots: slots), [])
    }

    /// Writes the Keras 3 weights layout into `root` (an empty file's root group).
    static func write(_ model: Model, to root: HDF5Group) throws {
        let paths = layerPaths(model.architecture)
        for (i, layer) in model.architecture.layers.enumerated() {
            let vars = try root.createGroup("layers/\(paths[i])/vars")
            try vars.setAttribute("name", .string(layer.name, .vlenUTF8))
            for (j, tensor) in model.weights[i].enumerated() {
                try vars.writeDataset(String(j), shape: tensor.shape, values: tensor.scalars)
            }
        }
        if let compile = model.compile {
            let vars = try root.createGroup("optimizer/vars")
            try vars.setAttribute("name", .string(compile.optimizer.kind == .adam ? "adam" : "sgd", .vlenUTF8))
            try vars.writeDataset("0", shape: [], values: [Int64(model.optimizerState?.iterations ?? 0)])
            try vars.writeDataset("1", shape: [], values: [compile.optimizer.learningRate])
            if let state = model.optimizerState, !state.slots.isEmpty {
                for (k, entry) in slotOrder(model, optimizer: compile.optimizer).enumerated() {
                    guard let table = state.slots[entry.slot], entry.layer < table.count,
                        entry.weight < table[entry.layer].count
                    else {
                        throw KerasFormatError(
                            "optimizer state has no '\(entry.slot)' for layer '\(model.architecture.layers[entry.layer].name)'"
                        )
                    }
                    let tensor = table[entry.layer][entry.weight]
                    try vars.writeDataset(String(k + 2), shape: tensor.shape, values: tensor.scalars)
                }
            }
        }
        let own = try root.createGroup("vars")
        try own.setAttribute("name", .string(model.architecture.name, .vlenUTF8))
    }
}
