import Foundation
import KerasFormat
import NeuralNet
import TestSupport
import Testing

/// The quick start's pipeline (`Scripts/quickstart`) on the bundled model and demo, with the debug binary:
/// `dataset` → `train --model … --freeze-first 4` (2 epochs) → `threshold` → `predict --raw`.
/// Independent references: Fixtures/demo/neatms_reference.json (what real NeatMS 0.9 computes from the demo:
/// peaks and valid peaks per sample) and NeatMS's split arithmetic (docs/NEATMS-BEHAVIOUR.md#batches).
@Suite(.serialized) struct QuickstartPipeline {
    let demo = TestPaths.fixture("demo")
    let defaultModel = TestPaths.fixture("neatms_default_model.h5")

    /// What NeatMS 0.9 found in Fixtures/demo (Scripts/demo/check_demo_with_neatms.py).
    func reference() throws -> DemoReference { try DemoReference.load() }

    /// `neatms …`, failing the test with the command's stderr when it does not exit 0.
    func neatms(_ arguments: [String]) throws -> CommandResult {
        let result = try runNeatms(arguments)
        try #require(
            result.status == 0, "neatms \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
        return result
    }

    /// The number after `prefix` on a line of `text` that starts with it.
    func value(after prefix: String, in text: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(prefix) }
            .flatMap { Double($0.dropFirst(prefix.count).split(separator: " ").first ?? "") }
    }

    /// Fixtures/neatms_default_model.h5 (Scripts/fixtures/train_default_model): NeatMS's network (docs/NEATMS-BEHAVIOUR.md#network: layer
    /// names, 1,002,883 parameters) in the Keras 2.2-era layout, with its training config but no optimizer state.
    @Test func bundledDefaultModelIsTheNeatMSNetworkInTheKeras22Layout() throws {
        let loaded = try KerasModelFile.load(defaultModel)
        #expect(loaded.format == .keras22H5)
        #expect(loaded.warnings.isEmpty)
        let layers = loaded.model.architecture.layers
        #expect(
            layers.map(\.name) == [
                "input_1", "conv2d_1", "max_pooling2d_1", "conv2d_2", "flatten_1", "dense_1", "dropout_1",
                "dense_prediction",
            ])
        #expect(layers == Architecture.neatms().layers)
        #expect(try loaded.model.architecture.parameterCounts() == [0, 832, 0, 18_496, 0, 983_168, 0, 387])
        #expect(loaded.model.compile?.optimizer.kind == .adam)
        #expect(loaded.model.optimizerState == nil)
        let summary = try neatms(["summary", defaultModel.path]).stdout
        #expect(summary.contains("Total params: 1,002,883"))
        // Real Keras must open the bundled file too (tf-keras compiles it from its training config).
        if let copy = InteropManifest.outputURL("QuickstartPipeline_bundled_default_model.h5") {
            try? FileManager.default.removeItem(at: copy)
            try FileManager.default.copyItem(at: defaultModel, to: copy)
            try InteropManifest.record(
                file: copy, source: nil, kind: .h5, expect: .init(classes: 3, optimizer: "Adam", learningRate: 1e-3))
        }
    }

    /// `convert --drop-optimizer-state`, as Scripts/fixtures/train_default_model uses it: same weights and training
    /// config, no optimizer state.
    @Test func convertCanDropTheOptimizerState() throws {
        let folder = try TestPaths.temporaryDirectory("quickstart-convert")
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = TestPaths.fixture("keras/reduced_tfkeras2_full.h5")
        let original = try KerasModelFile.read(source)
        try #require(original.optimizerState != nil, "the fixture should carry optimizer state")
        let output = folder.appendingPathComponent("no_state.h5")
        _ = try neatms(["convert", source.path, output.path, "--style", "keras22", "--drop-optimizer-state"])
        let converted = try KerasModelFile.load(output)
        #expect(converted.format == .keras22H5)
        #expect(converted.model.optimizerState == nil)
        #expect(converted.model.compile?.optimizer.kind == original.compile?.optimizer.kind)
        #expect(converted.model.compile?.optimizer.learningRate == original.compile?.optimizer.learningRate)
        #expect(converted.model.weights == original.weights)
    }

    @Test func datasetTrainFrozenThresholdPredictOnTheDemo() throws {
        let folder = try TestPaths.temporaryDirectory("quickstart")
        defer { try? FileManager.default.removeItem(at: folder) }
        let reference = try reference()
        let experiment = [
            "--raw", demo.appendingPathComponent("raw").path,
            "--features", demo.appendingPathComponent("tables/mzmine_aligned.csv").path, "--format", "mzmine",
        ]

        // 1. Labelled peaks: every labelled peak of the demo, NeatMS's invalid ones left out.
        let peaks = folder.appendingPathComponent("peaks.h5")
        _ = try neatms(
            ["dataset"] + experiment + ["--labels", demo.appendingPathComponent("labels.csv").path, "-o", peaks.path])
        #expect(FileManager.default.fileExists(atPath: peaks.path))

        // 2. Fine-tune with the convolutional base frozen (input_1, conv2d_1, max_pooling2d_1, conv2d_2).
        let tunedName = "QuickstartPipeline_finetuned.h5"
        let tuned = InteropManifest.outputURL(tunedName) ?? folder.appendingPathComponent(tunedName)
        let validation = tuned.deletingLastPathComponent()
            .appendingPathComponent("QuickstartPipeline_finetuned.validation.h5")
        defer { try? FileManager.default.removeItem(at: validation) }
        _ = try neatms([
            "train", "--data", peaks.path, "--model", defaultModel.path, "--freeze-first", "4", "--optimizer", "adam",
            "--lr", "1e-3", "--epochs", "2", "--seed", "1", "--validation-split", "0.1", "-o", tuned.path,
        ])
        #expect(FileManager.default.fileExists(atPath: validation.path))

        let before = try KerasModelFile.read(defaultModel)
        let after = try KerasModelFile.read(tuned)
        #expect(after.architecture.layers.map(\.name) == before.architecture.layers.map(\.name))
        // Keras stores no trainable flag for an InputLayer, so only the other layers' flags are compared.
        #expect(
            after.architecture.layers.dropFirst().map(\.trainable) == [false, false, false, true, true, true, true])
        for (i, layer) in before.architecture.layers.enumerated() {
            if ["conv2d_1", "conv2d_2"].contains(layer.name) {
                #expect(after.weights[i] == before.weights[i], "frozen \(layer.name) changed")
            }
            if ["dense_1", "dense_prediction"].contains(layer.name) {
                #expect(after.weights[i] != before.weights[i], "trainable \(layer.name) did not change")
            }
        }
        // create_batches: s = round(0.1 × 427 valid peaks) = 43 test and 43 validation peaks, 341 to train on:
        // 2 epochs × ⌈341 / 32⌉ = 22 Adam steps on a freshly compiled optimizer (--lr recompiles).
        #expect(reference.valid_peaks == 427)
        #expect(after.compile?.optimizer.kind == .adam)
        #expect(after.compile?.optimizer.learningRate == 1e-3)
        if let dir = InteropManifest.directory, tuned.path.hasPrefix(dir.path) {
            try InteropManifest.record(
                file: tuned, source: "Fixtures/neatms_default_model.h5", kind: .h5,
                expect: .init(
                    sameWeights: false, classes: 3, optimizer: "Adam", learningRate: 1e-3, optimizerIterations: 22,
                    trainable: [
                        "conv2d_1": false, "max_pooling2d_1": false, "conv2d_2": false, "dense_1": true,
                        "dense_prediction": true,
                    ]))
        }

        // 3. Threshold on the held-out validation peaks.
        let svg = folder.appendingPathComponent("roc.svg")
        let table = folder.appendingPathComponent("threshold.csv")
        let tuning = try neatms([
            "threshold", "--model", tuned.path, "--data", validation.path, "--svg", svg.path, "--csv", table.path,
        ]).stdout
        #expect(tuning.contains("peaks: 43 "), "\(tuning)")
        let threshold = try #require(value(after: "threshold: ", in: tuning), "\(tuning)")
        let auc = try #require(value(after: "ROC AUC: ", in: tuning), "\(tuning)")
        #expect(threshold >= 0 && threshold <= 0.99)
        #expect(auc >= 0 && auc <= 1)
        let svgText = try String(contentsOf: svg, encoding: .utf8)
        #expect(svgText.contains("<svg") && svgText.contains("</svg>"))
        // The header and one row for each p = 0.00…0.99.
        #expect(try String(contentsOf: table, encoding: .utf8).split(separator: "\n").count == 101)

        // 4. Label every peak of the demo: one row per valid peak (every class exported by default).
        let results = folder.appendingPathComponent("results.csv")
        _ = try neatms(
            ["predict", "--model", tuned.path] + experiment
                + ["--threshold", String(format: "%.2f", threshold), "-o", results.path])
        let lines = try String(contentsOf: results, encoding: .utf8).split(separator: "\n").map(String.init)
        // NeatMS's export is a pandas to_csv: an unnamed index column, then feature ID and sample (the raw
        // file's name without its extension).
        let header = try #require(lines.first).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        #expect(Array(header.prefix(3)) == ["", "feature ID", "sample"])
        let labelColumn = try #require(header.firstIndex(of: "label"), "\(header)")
        let sampleColumn = 2
        let rows = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows.count == reference.valid_peaks)
        #expect(rows.allSatisfy { $0.count == header.count })
        #expect(Set(rows.map { $0[labelColumn] }).isSubset(of: ["High_quality", "Low_quality", "Noise"]))
        for (name, sample) in reference.samples {
            let stem = URL(fileURLWithPath: name).deletingPathExtension().lastPathComponent
            #expect(rows.filter { $0[sampleColumn] == stem }.count == sample.valid_peaks, "\(name)")
        }
    }
}
