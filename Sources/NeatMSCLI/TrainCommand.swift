import ArgumentParser
import Classification
import FileSupport
import Foundation
import HDF5
import Interchange
import KerasFormat
import NeatMS
import NeuralNet
import Tensor

/// `neatms train --data PEAKS.h5 -o OUT.h5`: NeatMS's create_model / create_batches / train_model.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train or fine-tune the NeatMS network on labelled peaks (PEAKS.h5).",
        discussion: """
            Peaks are split as NeatMS's create_batches splits them (--seed S gives NeatMS's split after \
            Python's random.seed(S)): the class order is the sorted labels; labelled \
            peaks are shuffled, optionally normalised per class, shuffled again; peaks without a matrix are \
            dropped; s = round(validation-split × valid peaks) (halves to even): the first s are the test \
            set (shown as val_* each epoch), the next s the validation set, kept apart and written beside \
            the model as <OUT stem>.validation.h5 for `neatms threshold`; the rest is trained on. \
            --no-shuffle keeps the split but feeds the training peaks in file order every epoch (Keras \
            shuffle=False); with --validation-split 0 the batches are the file's rows in order. \
            Without --model the NeatMS network is created for the data's matrix size and classes (Adam, lr \
            1e-5 unless --optimizer/--lr say otherwise). With --model the file's model continues training \
            with its optimizer and state; --optimizer or --lr recompile it (fresh optimizer state). \
            --freeze-first 4 freezes the input layer and the convolutional base (Keras model.layers[:4]). \
            OUT is a Keras 2 full-model .h5 (tf-keras layout, which tf-keras and Keras 3 open) with the \
            optimizer and learning rate used and the optimizer state.
            """)

    @Option(help: "Labelled peaks (PEAKS.h5: X, y, classes; see `neatms dataset`).")
    var data: String

    @Option(help: "Start from this model (.h5 or .keras) instead of a new NeatMS network.")
    var model: String?

    @Option(help: "Freeze these layers (comma-separated names, e.g. conv2d_1,max_pooling2d_1,conv2d_2).")
    var freeze: String?

    @Option(help: "Freeze the first N layers, the input layer included (Keras model.layers[:N]).")
    var freezeFirst: Int?

    @Option(help: "Optimizer: adam or sgd (default adam, or the model's own with --model).")
    var optimizer: OptimizerChoice?

    @Option(help: "Learning rate (default 1e-5, or the model's own with --model).")
    var lr: Float?

    @Option(help: "Epochs (NeatMS's train_model default is 1000).")
    var epochs: Int = 1000

    @Option(help: "Samples per training step.")
    var batchSize: Int = 32

    @Option(help: "Seed for the batch split, shuffling, dropout and new weights.")
    var seed: UInt64 = 0

    @Flag(help: "Feed the training peaks in file order every epoch (no reshuffling between epochs).")
    var noShuffle = false

    @Option(help: "Share of the valid peaks for the test set and again for the validation set (0 = train on all).")
    var validationSplit: Double = 0.1

    @Flag(help: "Keep per class only as many peaks as the smallest class has.")
    var normaliseClass = false

    @Option(help: "Merge labels into one before splitting: LABEL,LABEL=NEW (e.g. Low_quality,Noise=Bad).")
    var mergeClasses: String?

    @Option(
        help:
            "Stop when val_loss (loss when there is no test set) has not improved for this many epochs; restores the best weights."
    )
    var earlyStopping: Int?

    @Option(
        help:
            "Write the model and the whole training state to this file after every epoch (.h5, or .keras for a Keras 3 archive); see --resume."
    )
    var checkpoint: String?

    @Flag(
        help:
            "Continue from --checkpoint if it exists (same options; the result is bit-identical to an uninterrupted run), else start fresh."
    )
    var resume = false

    @Option(
        name: [.short, .long], help: "The trained model: .h5 (Keras 2 full model), or .keras for a Keras 3 archive.")
    var output: String

    func validate() throws {
        guard epochs >= 0 else { throw ValidationError("--epochs must be at least 0") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        guard validationSplit.isFinite, validationSplit >= 0, validationSplit < 0.5 else {
            throw ValidationError(
                "--validation-split must be in [0, 0.5) (test and validation sets each take that share)")
        }
        if freeze != nil && freezeFirst != nil { throw ValidationError("give --freeze or --freeze-first, not both") }
        if let n = freezeFirst, n < 0 { throw ValidationError("--freeze-first must be at least 0") }
        if let freeze, CommandSupport.classList(freeze).isEmpty { throw ValidationError("--freeze needs layer names") }
        if let lr, !(lr.isFinite && lr > 0) { throw ValidationError("--lr must be a positive number") }
        if let p = earlyStopping, p < 0 { throw ValidationError("--early-stopping needs a patience of at least 0") }
        if let mergeClasses, parseMerge(mergeClasses) == nil {
            throw ValidationError("--merge-classes must look like LABEL,LABEL=NEW")
        }
        for path in [output] + (checkpoint.map { [$0] } ?? [])
        where !(ModelFormat.implied(byName: URL(fileURLWithPath: path))?.holdsArchitecture ?? true) {
            throw ValidationError("\(path): a trained model is written whole (.h5 or .keras), not as .weights.h5")
        }
        if resume && checkpoint == nil { throw ValidationError("--resume needs --checkpoint") }
        if let checkpoint,
            URL(fileURLWithPath: checkpoint).standardizedFileURL == URL(fileURLWithPath: output).standardizedFileURL
        {
            throw ValidationError("--checkpoint and --output must be different files")
        }
    }

    private func parseMerge(_ text: String) -> ClassMerge? {
        let parts = text.split(separator: "=", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let labels = CommandSupport.classList(String(parts[0]))
        let into = parts[1].trimmingCharacters(in: .whitespaces)
        guard !labels.isEmpty, !into.isEmpty else { return nil }
        return ClassMerge(labels: labels, into: into)
    }

    /// A model whose weights went NaN or infinite is not written (Keras would save it, and it would only
    /// ever predict NaN). - Throws: `CommandError` naming `path`.
    static func refuseDiverged(_ model: Model, path: String) throws {
        guard let bad = model.firstNonFiniteWeight() else { return }
        throw CommandError(
            file: path,
            problem:
                "not written: training diverged (layer '\(bad.layer)' \(bad.weight) holds \(bad.value)); try a smaller --lr"
        )
    }

    /// `<OUT stem>.validation.h5` beside OUT.
    static func validationPath(for output: String) -> String {
        let url = URL(fileURLWithPath: output)
        let stem = url.deletingPathExtension().lastPathComponent
        let name = stem + ".validation.h5"
        let folder = (output as NSString).deletingLastPathComponent
        return folder.isEmpty ? name : (folder as NSString).appendingPathComponent(name)
    }

    func run() throws {
        try Diagnostics.reportingErrors {
            try CommandSupport.checkOutputs(output, checkpoint)
            for path in [output] + (checkpoint.map { [$0] } ?? []) {
                _ = try ModelLayout.forWriting(to: URL(fileURLWithPath: path))  // a name that says a format
            }
            let dataset = try PeakDataset.read(URL(fileURLWithPath: data))
            try dataset.checkFinite(file: data)
            let batches = try Batches(
                dataset: dataset,
                options: BatchOptions(
                    validationSplit: validationSplit, normaliseClass: normaliseClass,
                    mergeClasses: mergeClasses.flatMap(parseMerge), seed: seed))
            if !dataset.invalidY.isEmpty {
                Diagnostics.warning(
                    "\(data): \(dataset.invalidY.count) labelled peak(s) have no valid matrix and are left out")
            }
            guard !batches.training.isEmpty else {
                throw CommandError(
                    file: data,
                    problem: "no peaks left to train on (\(dataset.count) with matrices, "
                        + "\(batches.test.count) test, \(batches.validation.count) validation)")
            }
            let split = ["training": batches.training, "test": batches.test, "validation": batches.validation]
            var resumed: TrainingState? = nil
            let network: Network
            if resume {
                // Temporary files of a killed run's writers: the checkpoint, the model and the validation peaks.
                for path in [checkpoint, output, Self.validationPath(for: output)].compactMap({ $0 }) {
                    AtomicFile.removeLeftovers(for: URL(fileURLWithPath: path))
                }
            }
            if resume, let checkpoint, FileManager.default.fileExists(atPath: checkpoint) {
                let stored = try readCheckpoint(checkpoint, dataset: dataset, split: split)
                network = try Network(model: stored.model, seed: seed)
                resumed = stored
                Diagnostics.note(
                    "resuming from \(checkpoint) after epoch \(stored.completedEpochs) of \(epochs)"
                        + (stored.finished ? " (training had ended)" : ""))
            } else {
                network = try makeNetwork(dataset: dataset, classes: batches.classes)
            }
            let classCount = batches.classes.count
            let trainingRows = noShuffle ? batches.training.sorted() : batches.training
            let x = dataset.matrices(trainingRows)
            let y = try Tensor.oneHot(trainingRows.map { batches.labels[$0] }, classes: classCount)
            var validationData: (x: Tensor, y: Tensor)? = nil
            if !batches.test.isEmpty {
                validationData = (
                    dataset.matrices(batches.test),
                    try Tensor.oneHot(batches.test.map { batches.labels[$0] }, classes: classCount)
                )
            }
            describe(network: network, batches: batches)

            let progress = TrainingProgress(epochs: epochs)
            let checkpointPath = checkpoint
            var options = FitOptions(
                epochs: epochs, batchSize: batchSize, shuffle: !noShuffle, validation: validationData)
            if let patience = earlyStopping {
                options.earlyStopping = EarlyStopping(
                    monitor: validationData == nil ? "loss" : "val_loss", patience: patience, restoreBestWeights: true)
            }
            options.onBatchEnd = { progress.batchEnded($0) }
            options.onEpochEnd = { logs in
                progress.epochEnded(logs)
                return .proceed
            }
            options.resume = resumed
            if let checkpointPath {
                let run = runRecord(dataset: dataset)
                options.checkpoint = { state in
                    try Self.refuseDiverged(state.model, path: checkpointPath)
                    try TrainingCheckpoint(state: state, run: run, indices: split).write(
                        to: URL(fileURLWithPath: checkpointPath))
                }
            }
            let history = try network.fit(x: x, y: y, options: options)
            if let stopped = history.stoppedEpoch, let best = history.bestEpoch,
                let monitor = options.earlyStopping?.monitor, let value = history.epochs[best][monitor]
            {
                Diagnostics.note(
                    "early stopping after epoch \(stopped + 1): \(monitor) did not improve for \(earlyStopping ?? 0) epoch(s); "
                        + "restored the weights of epoch \(best + 1) (\(monitor) \(String(format: "%.4f", value)))")
            }

            let trained = network.exportModel()
            try Self.refuseDiverged(trained, path: output)
            try ModelFile.write(trained, to: URL(fileURLWithPath: output))
            printResult("wrote \(output) (\(history.epochs.count) epochs on \(trainingRows.count) peaks)\n")
            if batches.validation.isEmpty {
                printResult(
                    "no validation peaks held out (--validation-split \(validationSplit)): no validation file written\n"
                )
            } else {
                let path = Self.validationPath(for: output)
                try dataset.part(batches.validation, of: batches).write(to: URL(fileURLWithPath: path))
                printResult("wrote \(path) (\(batches.validation.count) validation peaks for `neatms threshold`)\n")
            }
        }
    }

    /// How this run was started, option by option, as the checkpoint records it; `--resume` refuses a
    /// checkpoint whose record differs. `--data` is recorded by its contents (a checksum of X and y).
    private func runRecord(dataset: PeakDataset) -> [String: String] {
        var record: [String: String] = [
            "--data": "\(dataset.count) peaks, checksum \(Self.checksum(dataset))",
            "--epochs": "\(epochs)", "--batch-size": "\(batchSize)", "--seed": "\(seed)",
            "--no-shuffle": "\(noShuffle)", "--validation-split": "\(validationSplit)",
            "--normalise-class": "\(normaliseClass)", "--output": output,
        ]
        record["--model"] = model
        record["--freeze"] = freeze
        record["--freeze-first"] = freezeFirst.map { "\($0)" }
        record["--optimizer"] = optimizer?.rawValue
        record["--lr"] = lr.map { "\($0)" }
        record["--merge-classes"] = mergeClasses
        record["--early-stopping"] = earlyStopping.map { "\($0)" }
        return record
    }

    /// FNV-1a over the matrices' bits and the labels.
    private static func checksum(_ dataset: PeakDataset) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ v: UInt64) {
            h = (h ^ v) &* 0x0000_0100_0000_01B3
        }
        for v in dataset.x { mix(UInt64(v.bitPattern)) }
        for v in dataset.y { mix(UInt64(bitPattern: Int64(v))) }
        return String(h, radix: 16)
    }

    /// Reads `--checkpoint` for `--resume`: its run record must match this command's options and its
    /// batch split the one `--data` gives now. - Throws: `CommandError` naming the checkpoint and the
    /// first option that differs.
    private func readCheckpoint(_ path: String, dataset: PeakDataset, split: [String: [Int]]) throws -> TrainingState {
        var stored: TrainingCheckpoint
        do {
            stored = try TrainingCheckpoint.read(URL(fileURLWithPath: path))
        } catch var error as KerasFormatError {
            error.file = path
            throw error
        }
        let now = runRecord(dataset: dataset)
        for name in Set(now.keys).union(stored.run.keys).sorted() where now[name] != stored.run[name] {
            let was = stored.run[name].map { "\($0)" } ?? "not given"
            let isNow = now[name] ?? "not given"
            throw CommandError(
                file: path,
                problem: "cannot resume: \(name) differs from the checkpoint's run (checkpoint: \(was); now: \(isNow))")
        }
        for (name, rows) in split where stored.indices[name] != rows {
            throw CommandError(
                file: path, problem: "cannot resume: the \(name) peaks of --data differ from the checkpoint's")
        }
        guard stored.state.completedEpochs <= epochs else {
            throw CommandError(
                file: path,
                problem: "cannot resume: it holds \(stored.state.completedEpochs) epochs, more than --epochs \(epochs)")
        }
        return stored.state
    }

    /// The network to train: the NeatMS network for the data, or the `--model` file, frozen and
    /// (re)compiled as asked.
    private func makeNetwork(dataset: PeakDataset, classes: [String]) throws -> Network {
        let network: Network
        if let model {
            network = try Network(model: try CommandSupport.loadModel(model), seed: seed)
            do {
                try network.validateTraining()
            } catch NetworkError.invalidArgument(let problem) {
                throw CommandError(file: model, problem: problem)
            }
            try NetworkClassifier.check(
                network, modelFile: model, matrixSize: dataset.options.size, matrices: data,
                classes: classes, source: .dataFile(data))
            if optimizer != nil || lr != nil {
                let current = network.compileConfig.optimizer
                let kind = optimizer?.kind ?? current.kind
                let rate = lr ?? current.learningRate
                try network.compile(optimizer: kind == .adam ? .adam(learningRate: rate) : .sgd(learningRate: rate))
            }
        } else {
            let kind = optimizer?.kind ?? .adam
            let rate = lr ?? 1e-5
            network = try Network.neatms(
                matrixSize: dataset.options.size, classes: classes.count,
                optimizer: kind == .adam ? .adam(learningRate: rate) : .sgd(learningRate: rate), seed: seed)
        }
        if let freeze {
            let names = CommandSupport.classList(freeze)
            let layers = network.layerSummaries.map(\.name)
            if let unknown = names.first(where: { !layers.contains($0) }) {
                let problem = "has no layer '\(unknown)' (layers: \(layers.joined(separator: ", ")))"
                // A model file's layers are its content (one error line naming it); NeatMS's own are fixed,
                // so there a wrong name is a usage error.
                guard let model else { throw ValidationError("--freeze: the NeatMS network \(problem)") }
                throw CommandError(file: model, problem: "--freeze: the model \(problem)")
            }
            try network.freeze(layers: names)
        } else if let n = freezeFirst {
            try network.freeze(firstLayers: n)
        }
        return network
    }

    /// One stderr paragraph: what is trained on what.
    private func describe(network: Network, batches: Batches) {
        let o = network.compileConfig.optimizer
        let counts = network.parameterCounts
        let frozen = network.layerSummaries.filter { !$0.trainable }.map(\.name)
        Diagnostics.note(
            "training \(network.architecture.name) on \(batches.training.count) peaks, \(batches.test.count) test peaks as "
                + "validation data, \(batches.validation.count) held out; classes \(batches.classes.joined(separator: ", "))"
        )
        Diagnostics.note(
            "\(o.kind == .adam ? "Adam" : "SGD") lr \(o.learningRate), batch size \(batchSize), \(epochs) epochs; "
                + "params \(counts.total) (trainable \(counts.trainable))"
                + (frozen.isEmpty ? "" : "; frozen: \(frozen.joined(separator: ", "))"))
    }
}

/// `--optimizer` values.
enum OptimizerChoice: String, ExpressibleByArgument, CaseIterable {
    case adam, sgd

    var kind: OptimizerConfig.Kind { self == .adam ? .adam : .sgd }
}
