import HDF5
import NeuralNet
import Tensor

/// The legacy `.h5` `optimizer_weights` group in its three schemes (docs/KERAS-FILES.md#optimizer-weights):
/// tf-keras 2.x (`iteration:0`, `Adam/m/<layer>/<w>:0`), Keras 3 (`adam/iteration`,
/// `adam/<layer>_<w>_momentum`) and Keras 2.2.4 (`Adam/iterations:0`, `training/Adam/Variable_N:0`
/// in m, v, vhat blocks over the trainable variables).
enum LegacyOptimizerWeights {
    /// Keras slot names → NeatMSKit's (`OptimizerState.slots` keys).
    private static let keras3Slots = ["velocity_hat": "vhat", "momentum": "m", "velocity": "v"]

    /// The trainable variables in Keras's order: trainable layers in layer order, kernel then bias.
    static func trainableVariables(_ model: Model) -> [(layer: Int, weight: Int)] {
        model.architecture.layers.indices.flatMap { i in
            model.architecture.layers[i].trainable ? model.weights[i].indices.map { (i, $0) } : []
        }
    }

    /// The slot names NeatMSKit uses for an optimizer, in Keras's per-variable order.
    static func slotNames(_ optimizer: OptimizerConfig) -> [String] {
        switch optimizer.kind {
        case .adam: return optimizer.amsgrad ? ["m", "v", "vhat"] : ["m", "v"]
        case .sgd: return optimizer.momentum != 0 ? ["momentum"] : []
        }
    }

    /// Reads the optimizer state; returns nil (with a warning) when it cannot be matched to the model.
    static func read(
        _ group: HDF5Group, model: Model, storedLayers: [StoredLayer], optimizer: OptimizerConfig?
    ) throws -> (state: OptimizerState?, warnings: [String]) {
        let names = try group.readSplitStringList("weight_names") ?? []
        if names.isEmpty { return (nil, []) }
        let values = try names.map { name -> (String, HDF5Dataset) in
            guard try group.kind(of: name) == .dataset else {
                throw KerasFormatError("optimizer weight \(name) is listed but missing")
            }
            return (name, try group.dataset(name))
        }
        var iterations = 0
        var rest: [(String, HDF5Dataset)] = []
        for (name, dataset) in values {
            let base = shortWeightName(name)
            if base == "iteration" || base == "iterations", dataset.shape.isEmpty || dataset.shape == [1] {
                iterations = Int(try dataset.readScalar(as: Int64.self))
            } else if base == "learning_rate", dataset.shape.isEmpty {
                continue  // Keras 3 keeps the learning rate as a variable; the config has it too
            } else {
                rest.append((name, dataset))
            }
        }
        if rest.isEmpty { return (OptimizerState(iterations: iterations), []) }

        var slots: [String: [[Tensor?]]] = [:]
        let emptySlot = model.weights.map { [Tensor?](repeating: nil, count: $0.count) }
        if rest.allSatisfy({ $0.0.hasPrefix("training/") }) {
            // Keras 2.2.4: positional blocks over the trainable variables.
            let variables = trainableVariables(model)
            let n = variables.count
            let kind = optimizer?.kind ?? (names.first?.hasPrefix("SGD") == true ? .sgd : .adam)
            let blocks: [String]
            switch (kind, rest.count) {
            case (.adam, 3 * n) where n > 0: blocks = ["m", "v", "vhat"]
            case (.adam, 2 * n) where n > 0: blocks = ["m", "v"]
            case (.sgd, n) where n > 0: blocks = ["momentum"]
            default:
                return (
                    nil,
                    [
                        "optimizer state dropped: \(rest.count) Keras 2.2 slot variables do not fit \(n) trainable variables"
                    ]
                )
            }
            for (b, slot) in blocks.enumerated() {
                // With amsgrad off, Keras 2.2.4 keeps vhat as zeros((1,)): not a real slot.
                if slot == "vhat", optimizer?.amsgrad != true { continue }
                var table = emptySlot
                for (k, (i, j)) in variables.enumerated() {
                    table[i][j] = try LegacyWeights.readTensor(group, rest[b * n + k].0)
                }
                slots[slot] = table
            }
        } else {
            // tf-keras (`Adam/m/<layer>/<w>:0`) or Keras 3 (`adam/<layer>_<w>_momentum`): by name.
            var byPath: [String: (Int, Int)] = [:]
            var byFlat: [String: (Int, Int)] = [:]
            for (i, layer) in model.architecture.layers.enumerated() {
                let shorts =
                    storedLayers.first(where: { $0.name == layer.name })?.shortNames
                    ?? LegacyWeights.weightNames(for: layer, count: model.weights[i].count, tfSuffix: false).map(
                        shortWeightName)
                for (j, short) in shorts.enumerated() where j < model.weights[i].count {
                    byPath["\(layer.name)/\(short)"] = (i, j)
                    byFlat["\(layer.name)_\(short)"] = (i, j)
                }
            }
            for (name, _) in rest {
                var components = name.split(separator: "/").map(String.init)
                if let last = components.last { components[components.count - 1] = shortWeightName(last) }
                var slot: String?
                var target: (Int, Int)?
                if components.count >= 4 {
                    // tf-keras: <Optimizer>/<slot>/<layer>/<weight>
                    let tfSlot = components[1]
                    slot = tfSlot == "m" && optimizer?.kind == .sgd ? "momentum" : tfSlot
                    target = byPath[components[2...].joined(separator: "/")]
                } else if components.count == 2 {
                    // Keras 3: <optimizer>/<layer>_<weight>_<slot>
                    for (suffix, mapped) in keras3Slots where components[1].hasSuffix("_" + suffix) {
                        let variable = String(components[1].dropLast(suffix.count + 1))
                        if let found = byFlat[variable] {
                            slot = optimizer?.kind == .sgd && suffix == "momentum" ? "momentum" : mapped
                            target = found
                            break
                        }
                    }
                }
                guard let slot, let (i, j) = target else {
                    return (nil, ["optimizer state dropped: cannot match optimizer weight '\(name)' to a model weight"])
                }
                let tensor = try LegacyWeights.readTensor(group, name)
                guard tensor.shape == model.weights[i][j].shape else {
                    return (
                        nil,
                        [
                            "optimizer state dropped: '\(name)' has shape \(shapeText(tensor.shape)), the weight has \(shapeText(model.weights[i][j].shape))"
                        ]
                    )
                }
                slots[slot, default: emptySlot][i][j] = tensor
            }
        }
        // Every trainable variable must have every slot that is present.
        var complete: [String: [[Tensor]]] = [:]
        for (slot, table) in slots {
            for (i, j) in trainableVariables(model) where table[i][j] == nil {
                return (
                    nil,
                    [
                        "optimizer state dropped: slot '\(slot)' is missing for layer '\(model.architecture.layers[i].name)'"
                    ]
                )
            }
            complete[slot] = table.map { $0.compactMap { $0 } }
        }
        return (OptimizerState(iterations: iterations, slots: complete), [])
    }

    /// Writes `optimizer_weights` in the tf-keras 2.x or Keras 2.2.4 scheme.
    static func write(
        _ state: OptimizerState, model: Model, optimizer: OptimizerConfig, to group: HDF5Group, style: KerasConfigStyle
    ) throws {
        let variables = trainableVariables(model)
        let slotOrder = slotNames(optimizer).filter { state.slots[$0] != nil }
        func tensor(_ slot: String, _ i: Int, _ j: Int) throws -> Tensor {
            guard let table = state.slots[slot], i < table.count, j < table[i].count else {
                throw KerasFormatError(
                    "optimizer state slot '\(slot)' has no entry for layer '\(model.architecture.layers[i].name)' weight \(j)"
                )
            }
            return table[i][j]
        }
        let optimizerName = optimizer.kind == .adam ? "Adam" : "SGD"
        var entries: [(String, Tensor?)] = []
        switch style {
        case .keras22:
            entries.append(("\(optimizerName)/iterations:0", nil))
            // Adam always kept m, v and vhat blocks (vhat zeros((1,)) without amsgrad); SGD its moments.
            let blocks = optimizer.kind == .adam ? ["m", "v", "vhat"] : ["momentum"]
            var counter = 0
            for slot in blocks {
                for (i, j) in variables {
                    let value: Tensor
                    if slot == "vhat", state.slots["vhat"] == nil {
                        value = Tensor(zeros: [1])
                    } else if state.slots[slot] == nil {
                        value = Tensor(zeros: model.weights[i][j].shape)
                    } else {
                        value = try tensor(slot, i, j)
                    }
                    entries.append(("training/\(optimizerName)/Variable\(counter == 0 ? "" : "_\(counter)"):0", value))
                    counter += 1
                }
            }
        case .tfKeras2, .keras3:
            entries.append(("iteration:0", nil))
            for (i, j) in variables {
                let layer = model.architecture.layers[i]
                let short = shortWeightName(
                    LegacyWeights.weightNames(for: layer, count: model.weights[i].count, tfSuffix: false)[j])
                for slot in slotOrder {
                    let tfSlot = slot == "momentum" ? "m" : slot
                    entries.append(("\(optimizerName)/\(tfSlot)/\(layer.name)/\(short):0", try tensor(slot, i, j)))
                }
            }
        }
        let names = entries.map(\.0)
        try group.writeSplitStringList(
            "weight_names", names, kind: style == .keras22 ? .fixedASCII(fitting: names) : .vlenASCII)
        for (name, value) in entries {
            if let value {
                try group.writeDataset(name, shape: value.shape, values: value.scalars)
            } else {
                try group.writeDataset(name, shape: [], values: [Int64(state.iterations)])
            }
        }
    }
}
