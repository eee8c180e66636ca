import HDF5
import NeuralNet
import Tensor

/// How the layers of a weights file are matched to a model's layers (Keras's `load_weights(by_name=)`).
public enum WeightMatching: String, Sendable, CaseIterable {
    /// The i-th layer with weights in the file goes to the i-th layer with weights in the model.
    case byOrder
    /// File layers go to the model layer of the same name; file layers without a match are ignored.
    case byName
}

/// One layer as stored in a Keras 2 weights group (`model_weights` or a `save_weights` root).
struct StoredLayer {
    var name: String
    /// `weight_names` as stored (`conv2d_1/kernel:0`), in Keras order.
    var weightNames: [String]
    var tensors: [Tensor]

    /// The last path component without the `:0` suffix (`kernel`, `bias`).
    var shortNames: [String] { weightNames.map(shortWeightName) }
}

/// `conv2d_1/kernel:0` → `kernel`.
func shortWeightName(_ name: String) -> String {
    var last = name.split(separator: "/").last.map(String.init) ?? name
    if let colon = last.lastIndex(of: ":"), last[last.index(after: colon)...].allSatisfy(\.isNumber) {
        last = String(last[..<colon])
    }
    return last
}

/// Reads and writes the Keras 2 layer-weights layout shared by full-model files and `save_weights` files:
/// `@layer_names`, one group per layer with `@weight_names`, datasets at `<layer>/<weight name>`.
enum LegacyWeights {
    /// True when `group` has a `layer_names` list, whole or split (`layer_names0`, …).
    static func hasLayerNames(_ group: HDF5Group) throws -> Bool {
        try group.hasAttribute("layer_names") || group.hasAttribute("layer_names0")
    }

    /// Every layer listed in `layer_names` (split attributes included), weights in `weight_names` order.
    static func read(_ group: HDF5Group) throws -> [StoredLayer] {
        guard let layerNames = try group.readSplitStringList("layer_names") else {
            throw KerasFormatError("\(group.name) has no layer_names attribute: not a Keras weights group")
        }
        return try layerNames.map { layerName in
            guard try group.kind(of: layerName) == .group else {
                throw KerasFormatError(
                    "layer '\(layerName)' is listed in layer_names but has no group in \(group.name)")
            }
            let layerGroup = try group.group(layerName)
            let weightNames = try layerGroup.readSplitStringList("weight_names") ?? []
            let tensors = try weightNames.map { try readTensor(layerGroup, $0) }
            return StoredLayer(name: layerName, weightNames: weightNames, tensors: tensors)
        }
    }

    /// A float dataset as a tensor (HDF5 converts float64 data to float32).
    static func readTensor(_ group: HDF5Group, _ path: String) throws -> Tensor {
        guard try group.kind(of: path) == .dataset else {
            throw KerasFormatError("\(group.name)/\(path) is missing (listed in weight_names)")
        }
        let dataset = try group.dataset(path)
        switch dataset.elementType {
        case .float32, .float64: break
        default:
            throw KerasFormatError("\(dataset.name) has element type \(dataset.elementType), expected float32")
        }
        let values = try dataset.read(as: Float.self)
        guard values.count == dataset.shape.reduce(1, *) else {
            throw KerasFormatError("\(dataset.name) holds \(values.count) values for shape \(dataset.shape)")
        }
        return Tensor(shape: dataset.shape, scalars: values)
    }

    /// The stored weight names NeatMSKit writes for layer `layer`'s variables (`conv2d_1/kernel:0`,
    /// or `conv2d_1/kernel` without the TF suffix).
    static func weightNames(for layer: LayerSpec, count: Int, tfSuffix: Bool) -> [String] {
        let names = ["kernel", "bias"]
        return (0..<count).map { i in
            "\(layer.name)/\(i < names.count ? names[i] : "weight_\(i)")\(tfSuffix ? ":0" : "")"
        }
    }

    /// Writes the layer-weights layout into `group` in the given style (`.keras22`: fixed `S<n>` name
    /// lists as h5py 2 wrote; otherwise variable-length as h5py 3 writes).
    static func write(_ model: Model, to group: HDF5Group, style: KerasConfigStyle) throws {
        let fixed = style == .keras22
        let layerNames = model.architecture.layers.map(\.name)
        try group.writeSplitStringList(
            "layer_names", layerNames, kind: fixed ? .fixedASCII(fitting: layerNames) : .vlenASCII)
        try group.setAttribute("backend", .string("tensorflow", .vlenASCII))
        try group.setAttribute(
            "keras_version",
            .string(style == .keras22 ? KerasFileInfo.keras22Version : KerasFileInfo.tfKerasVersion, .vlenASCII))
        for (layer, tensors) in zip(model.architecture.layers, model.weights) {
            let layerGroup = try group.createGroup(layer.name)
            let names = weightNames(for: layer, count: tensors.count, tfSuffix: true)
            try layerGroup.writeSplitStringList(
                "weight_names", names, kind: fixed ? .fixedASCII(fitting: names) : .vlenASCII)
            for (name, tensor) in zip(names, tensors) {
                try layerGroup.writeDataset(name, shape: tensor.shape, values: tensor.scalars)
            }
        }
        if style != .keras22 {
            // tf-keras and Keras 3 add the model's own (here: no) variables under this name.
            let top = try group.createGroup("top_level_model_weights")
            try top.writeSplitStringList("weight_names", [], kind: .vlenASCII)
        }
    }

    /// Assigns stored layers to `model`'s layers with Keras's rules (weightless layers skipped on both
    /// sides; by order or by name). A layer-count mismatch is always an error; a weight-count or shape
    /// mismatch is an error naming the layer and both shapes, or — with `skipMismatch` — a warning,
    /// leaving that layer's current weights in place.
    static func assign(
        _ stored: [StoredLayer], to model: Model, matching: WeightMatching, skipMismatch: Bool
    ) throws -> (weights: [[Tensor]], warnings: [String]) {
        let expected = try model.architecture.weightShapes()
        var weights = model.weights
        var warnings: [String] = []
        let layers = model.architecture.layers
        var pairs: [(model: Int, stored: StoredLayer)] = []
        switch matching {
        case .byOrder:
            let modelIndices = expected.indices.filter { !expected[$0].isEmpty }
            let storedWithWeights = stored.filter { !$0.tensors.isEmpty }
            guard modelIndices.count == storedWithWeights.count else {
                throw KerasFormatError(
                    "layer count mismatch: the file has \(storedWithWeights.count) layers with weights "
                        + "(\(storedWithWeights.map(\.name).joined(separator: ", "))), the model has \(modelIndices.count) "
                        + "(\(modelIndices.map { layers[$0].name }.joined(separator: ", ")))")
            }
            pairs = Array(zip(modelIndices, storedWithWeights))
        case .byName:
            for layer in stored {
                if let i = layers.firstIndex(where: { $0.name == layer.name }) { pairs.append((i, layer)) }
            }
        }
        for (i, layer) in pairs {
            let name = layers[i].name
            guard layer.tensors.count == expected[i].count else {
                let message =
                    "layer '\(name)' expects \(expected[i].count) weights, but the file's layer '\(layer.name)' has \(layer.tensors.count)"
                if skipMismatch, matching == .byName {
                    warnings.append("skipped " + message)
                    continue
                }
                throw KerasFormatError(message)
            }
            var mismatch: String?
            for (j, tensor) in layer.tensors.enumerated() where tensor.shape != expected[i][j] {
                let short = layer.shortNames[j]
                mismatch =
                    "layer '\(name)' weight \(short) has shape \(shapeText(expected[i][j])) in the model but \(shapeText(tensor.shape)) in the file"
                break
            }
            if let mismatch {
                if skipMismatch {
                    warnings.append("skipped " + mismatch)
                    continue
                }
                throw KerasFormatError(mismatch)
            }
            weights[i] = layer.tensors
        }
        return (weights, warnings)
    }
}

/// `(1024, 128)` — shapes as Keras prints them.
func shapeText(_ shape: [Int]) -> String {
    shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
}

extension Model {
    /// A model with zero weights of the right shapes (a container to load weights into).
    static func zeros(_ architecture: Architecture) throws -> Model {
        let shapes = try architecture.weightShapes()
        return Model(architecture: architecture, weights: shapes.map { $0.map { Tensor(zeros: $0) } })
    }

    /// A container whose weight lists are empty: for `LegacyWeights.assign` by order without skipping,
    /// which fills every layer that has weights (and throws otherwise), so no zeros are allocated only to
    /// be replaced.
    static func unfilled(_ architecture: Architecture) throws -> Model {
        _ = try architecture.weightShapes()
        return Model(architecture: architecture, weights: architecture.layers.map { _ in [] })
    }
}
