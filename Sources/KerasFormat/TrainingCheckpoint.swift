import FileSupport
import Foundation
import HDF5
import NeuralNet
import Tensor

/// A training checkpoint: a Keras model file (it opens in Keras like any other) that also holds what an
/// interrupted run needs to continue exactly: the `TrainingState` beyond the model, the caller's record
/// of how the run was started (`run`, compared on resume) and named index lists (the batch split).
///
/// In a `.h5` the extra state is the root group `neatmskit_training`; in a `.keras` archive it is the
/// member `neatmskit_training.h5` holding that group. Keras ignores both. The file is written in one
/// atomic replace, so a checkpoint is never half-written: a kill leaves the previous one.
public struct TrainingCheckpoint: Sendable {
    public var state: TrainingState
    /// How the run was started, option by option (compared when resuming).
    public var run: [String: String]
    /// Index lists the run depends on (e.g. the training, test and validation rows).
    public var indices: [String: [Int]]

    public init(state: TrainingState, run: [String: String], indices: [String: [Int]]) {
        self.state = state
        self.run = run
        self.indices = indices
    }

    /// The group (and, in archives, the member `<group>.h5`) holding the extra state.
    static let group = "neatmskit_training"
    static let formatName = "NeatMSKit training checkpoint 1"

    /// Writes the checkpoint atomically in the layout `url`'s name implies (`.h5` or `.keras`).
    /// - Throws: `KerasFormatError` naming `url`.
    public func write(to url: URL) throws {
        let format = try ModelLayout.forWriting(to: url).format
        switch format {
        case .kerasH5:
            try LegacyH5.write(state.model, to: url, extra: { root in try fill(root.createGroup(Self.group)) })
        case .keras:
            let member = try attributing(url) {
                try KerasArchive.scratchHDF5(near: url) { root in try fill(root.createGroup(Self.group)) }
            }
            try KerasArchive.write(state.model, to: url, extraMembers: [(Self.group + ".h5", member)])
        case .kerasWeightsH5, .kerasWeights, .onnx, .safetensors:
            throw KerasFormatError(
                "a training checkpoint is a whole Keras model (.h5 or .keras), not a \(format) file",
                file: url.relativePath)
        }
    }

    /// Reads a checkpoint written by `write(to:)`.
    /// - Throws: `KerasFormatError` naming `url`, also when the file is a model without training state.
    public static func read(_ url: URL) throws -> TrainingCheckpoint {
        let loaded = try KerasModelFile.load(url)
        return try attributing(url) {
            let missing = KerasFormatError(
                "holds a model but no NeatMSKit training state (\(group)): it is not a checkpoint that can be resumed")
            switch try KerasModelFile.sniff(url) {
            case .hdf5:
                let file = try HDF5File.open(url)
                defer { try? file.close() }
                guard try file.root.kind(of: group) == .group else { throw missing }
                return try read(try file.root.group(group), model: loaded.model)
            case .zip:
                return try KerasArchive.withExtractedMember(url, group + ".h5", missing: missing) { memberURL in
                    let file = try HDF5File.open(memberURL)
                    defer { try? file.close() }
                    guard try file.root.kind(of: group) == .group else { throw missing }
                    return try read(try file.root.group(group), model: loaded.model)
                }
            }
        }
    }

    // MARK: Layout

    private func fill(_ g: HDF5Group) throws {
        let s = state
        try g.setAttribute("format", .string(Self.formatName, .vlenUTF8))
        try g.setAttribute("run", .string(JSONValue.object(run.mapValues { .string($0) }).serialized(), .vlenUTF8))
        try g.writeDataset("completed_epochs", shape: [], values: [Int64(s.completedEpochs)])
        try g.writeDataset("finished", shape: [], values: [Int64(s.finished ? 1 : 0)])
        try g.writeDataset("random", shape: [s.random.count], values: s.random.map { Int64(bitPattern: $0) })
        try g.writeDataset("threads", shape: [], values: [Int64(s.threads)])
        try g.writeDataset("wait", shape: [], values: [Int64(s.wait)])
        try g.writeDataset(
            "regularization", shape: [s.regularization == nil ? 0 : 1], values: s.regularization.map { [$0] } ?? [])
        try g.writeDataset("best", shape: [s.best == nil ? 0 : 1], values: s.best.map { [$0] } ?? [])
        try g.writeDataset(
            "best_epoch", shape: [s.history.bestEpoch == nil ? 0 : 1],
            values: s.history.bestEpoch.map { [Int64($0)] } ?? [])
        try g.writeDataset(
            "stopped_epoch", shape: [s.history.stoppedEpoch == nil ? 0 : 1],
            values: s.history.stoppedEpoch.map { [Int64($0)] } ?? [])
        // History: one row per epoch, one column per metric name (NaN where an epoch lacks it).
        let epochs = s.history.epochs
        let names = Array(Set(epochs.flatMap(\.values.keys))).sorted()
        let order = epochs.first?.orderedNames ?? []
        try g.setAttribute("history_names", .strings(names, .vlenUTF8))
        try g.setAttribute("history_order", .strings(order, .vlenUTF8))
        try g.writeDataset(
            "history", shape: [epochs.count, names.count],
            values: epochs.flatMap { e in names.map { e.values[$0] ?? .nan } })
        try g.writeDataset("history_seconds", shape: [epochs.count], values: epochs.map(\.seconds))
        if let best = s.bestWeights {
            let bw = try g.createGroup("best_weights")
            for (i, layer) in best.enumerated() {
                for (j, t) in layer.enumerated() { try bw.writeDataset("\(i).\(j)", shape: t.shape, values: t.scalars) }
            }
        }
        let ix = try g.createGroup("indices")
        for (name, values) in indices {
            try ix.writeDataset(name, shape: [values.count], values: values.map(Int64.init))
        }
    }

    private static func read(_ g: HDF5Group, model: Model) throws -> TrainingCheckpoint {
        guard try g.stringAttribute("format") == formatName else {
            throw KerasFormatError("\(group): unknown training state format (expected '\(formatName)')")
        }
        func ints(_ name: String) throws -> [Int] { try g.dataset(name).read(as: Int64.self).map { Int($0) } }
        func one(_ name: String) throws -> Int {
            let v = try ints(name)
            guard v.count == 1 else { throw KerasFormatError("\(group)/\(name): expected one value, found \(v.count)") }
            return v[0]
        }
        func optional<T>(_ values: [T], _ name: String) throws -> T? {
            guard values.count <= 1 else { throw KerasFormatError("\(group)/\(name): expected at most one value") }
            return values.first
        }
        guard let runText = try g.stringAttribute("run"),
            case .object(let runObject) = try JSONValue.parse(Data(runText.utf8), what: "\(group) run")
        else { throw KerasFormatError("\(group): no run record") }
        var run: [String: String] = [:]
        for (k, v) in runObject {
            guard case .string(let text) = v else {
                throw KerasFormatError("\(group): run record '\(k)' is not a string")
            }
            run[k] = text
        }
        let names = try g.stringListAttribute("history_names") ?? []
        let order = try g.stringListAttribute("history_order") ?? []
        let historyData = try g.dataset("history")
        let rows = historyData.shape.first ?? 0
        guard historyData.shape == [rows, names.count] else {
            throw KerasFormatError(
                "\(group)/history: shape \(historyData.shape) does not match \(names.count) metric names")
        }
        let table = try historyData.read(as: Double.self)
        let seconds = try g.dataset("history_seconds").read(as: Double.self)
        guard seconds.count == rows else {
            throw KerasFormatError("\(group)/history_seconds: \(seconds.count) values for \(rows) epochs")
        }
        var history = History()
        for r in 0..<rows {
            var values: [String: Double] = [:]
            for (c, name) in names.enumerated() where !table[r * names.count + c].isNaN {
                values[name] = table[r * names.count + c]
            }
            history.epochs.append(EpochLogs(epoch: r, values: values, seconds: seconds[r], orderedNames: order))
        }
        history.bestEpoch = try optional(ints("best_epoch"), "best_epoch")
        history.stoppedEpoch = try optional(ints("stopped_epoch"), "stopped_epoch")
        var bestWeights: [[Tensor]]? = nil
        if try g.kind(of: "best_weights") == .group {
            let bw = try g.group("best_weights")
            bestWeights = try model.weights.enumerated().map { i, layer in
                try layer.indices.map { j in
                    let d = try bw.dataset("\(i).\(j)")
                    return Tensor(shape: d.shape, scalars: try d.read(as: Float.self))
                }
            }
        }
        var indices: [String: [Int]] = [:]
        if try g.kind(of: "indices") == .group {
            let ix = try g.group("indices")
            for child in try ix.children() where child.kind == .dataset {
                indices[child.name] = try ix.dataset(child.name).read(as: Int64.self).map { Int($0) }
            }
        }
        let state = TrainingState(
            model: model, completedEpochs: try one("completed_epochs"), history: history,
            finished: try one("finished") != 0,
            random: try g.dataset("random").read(as: Int64.self).map { UInt64(bitPattern: $0) },
            threads: try one("threads"),
            regularization: try optional(g.dataset("regularization").read(as: Double.self), "regularization"),
            best: try optional(g.dataset("best").read(as: Double.self), "best"), wait: try one("wait"),
            bestWeights: bestWeights)
        return TrainingCheckpoint(state: state, run: run, indices: indices)
    }
}
