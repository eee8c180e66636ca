import Foundation
import HDF5
import KerasFormat
import NeatMS
import NeuralNet
import Tensor
import TestSupport
import Testing

/// `neatms train` end to end on a small PEAKS.h5 made from Keras's reference inputs.
@Suite struct TrainCLI {
    let classes = ["High_quality", "Low_quality", "Noise"]

    /// 8 reference matrices (n = 16) × `copies`, the curve row scaled by 1 − 0.01·copy, labelled with
    /// the reference's synthetic classes; `invalid` more labelled peaks without a matrix (classes cycling).
    func makePeaks(_ dir: URL, copies: Int = 5, invalid: Int = 0, name: String = "peaks.h5") throws -> (
        URL, PeakDataset
    ) {
        let ref = try ReferenceForward("reference_forward_reduced.h5")
        let n = ref.shape[2]
        var x: [Float] = []
        var y: [Int] = []
        for copy in 0..<copies {
            for i in 0..<ref.shape[0] {
                var m = Array(ref.x[(i * 2 * n)..<((i + 1) * 2 * n)])
                for j in 0..<n { m[j] *= 1 - 0.01 * Float(copy) }
                x += m
                y.append(ref.y[i])
            }
        }
        let count = y.count
        let ds = PeakDataset(
            classes: classes, samples: ["demo.mzML"], options: MatrixOptions(size: n), x: x, y: y,
            sample: Array(repeating: 0, count: count), featureID: Array(0..<count),
            peakIndexInSample: Array(0..<count), mz: (0..<count).map { 100 + Double($0) },
            rt: (0..<count).map { Double($0) / 10 }, labelOrder: Array(0..<count),
            invalidY: (0..<invalid).map { $0 % 3 }, invalidLabelOrder: Array(count..<(count + invalid)))
        let url = dir.appendingPathComponent(name)
        try ds.write(to: url)
        return (url, ds)
    }

    /// Where a trained model goes: the interop directory (so real Keras checks it) or `dir`.
    func modelURL(_ name: String, in dir: URL) -> URL {
        InteropManifest.outputURL(name) ?? dir.appendingPathComponent(name)
    }

    func epochLines(_ stderr: String) -> [String] {
        stderr.split(separator: "\n").map(String.init).filter { $0.hasPrefix("Epoch ") }
    }

    /// NeatMSKit's predictions of the reference inputs with `model`, written as X/P for the interop check.
    func recordForInterop(
        _ model: URL, name: String, kind: InteropManifest.Kind = .h5, expect: InteropManifest.Expectation,
        test: String = #function
    ) throws {
        guard let dir = InteropManifest.directory else { return }
        let ref = try ReferenceForward("reference_forward_reduced.h5")
        let network = try Network(model: try KerasModelFile.read(model))
        let p = try network.predict(Tensor(shape: ref.shape, scalars: ref.x))
        let predictions = dir.appendingPathComponent("\(name).predictions.h5")
        let file = try HDF5File.create(predictions)
        try file.root.writeDataset("X", shape: ref.shape, values: ref.x)
        try file.root.writeDataset("P", shape: p.shape, values: p.scalars)
        try file.close()
        var e = expect
        e.predictionsFile = predictions.lastPathComponent
        e.classes = 3
        try InteropManifest.record(file: model, source: nil, kind: kind, expect: e, test: test)
    }

    @Test func fromScratchWritesModelAndValidationFile() throws {
        let dir = try TestPaths.temporaryDirectory()
        let (peaks, ds) = try makePeaks(dir)
        let out = modelURL("train_from_scratch.h5", in: dir)
        let r = try runNeatms([
            "train", "--data", peaks.path, "--epochs", "3", "--lr", "0.001", "--seed", "1", "-o", out.path,
        ])
        #expect(r.status == 0, "\(r.stderr)")
        // 40 valid peaks, split 0.1: s = 4 → 4 test, 4 validation, 32 training = 1 batch per epoch.
        let lines = epochLines(r.stderr)
        #expect(lines.count == 3)
        // Keras's layout: `Epoch 1/3 - 0s - loss: 1.0986 - accuracy: 0.3333 - mae: 0.4444 - val_loss: …`.
        let number = #"\d+\.\d{4}(e[-+]\d+)?"#
        let names = ["loss", "accuracy", "mae", "val_loss", "val_accuracy", "val_mae"]
        for (i, line) in lines.enumerated() {
            let pattern = "^Epoch \(i + 1)/3 - \\d+s" + names.map { " - \($0): \(number)" }.joined() + "$"
            #expect(line.range(of: pattern, options: .regularExpression) != nil, "\(line)")
        }
        let model = try KerasModelFile.read(out)
        #expect(
            model.architecture.layers.map(\.name) == [
                "input_1", "conv2d_1", "max_pooling2d_1", "conv2d_2", "flatten_1", "dense_1", "dropout_1",
                "dense_prediction",
            ])
        let compile = try #require(model.compile)
        #expect(compile.optimizer.kind == .adam && compile.optimizer.learningRate == 0.001)
        #expect(model.optimizerState?.iterations == 3)
        #expect(model.optimizerState?.slots["m"] != nil && model.optimizerState?.slots["v"] != nil)

        let validationPath = out.deletingPathExtension().path + ".validation.h5"
        #expect(r.stdout.contains("wrote \(out.path)"))
        #expect(r.stdout.contains("wrote \(validationPath)"))
        let validation = try PeakDataset.read(URL(fileURLWithPath: validationPath))
        #expect(validation.count == 4 && validation.classes == classes)
        // The held-out peaks are peaks of the input, with their labels.
        for (k, id) in validation.featureID.enumerated() {
            #expect(validation.y[k] == ds.y[id])
            #expect(validation.matrix(k) == ds.matrix(id))
        }
        try recordForInterop(
            out, name: "train_from_scratch",
            expect: .init(
                optimizer: "Adam", learningRate: 0.001, optimizerIterations: 3, optimizerStateRestored: true))
        if InteropManifest.directory != nil {
            try InteropManifest.record(
                file: URL(fileURLWithPath: validationPath), source: nil, kind: .hdf5,
                expect: .init(
                    datasets: [
                        "X": .init(
                            dtype: "float32", shape: [4, 2, 16, 1], values: validation.x.map(Double.init), atol: 0),
                        "y": .init(dtype: "int64", shape: [4], values: validation.y.map(Double.init)),
                    ],
                    attributes: ["/": ["classes": .strings(classes)]]))
        }
    }

    @Test func fineTuneFrozenBaseWithSGD() throws {
        let dir = try TestPaths.temporaryDirectory()
        let (peaks, _) = try makePeaks(dir)
        let source = fixturePath("reduced_tfkeras2_full.h5")
        let out = modelURL("train_finetune_frozen_sgd.h5", in: dir)
        let r = try runNeatms([
            "train", "--data", peaks.path, "--model", source, "--freeze-first", "4", "--optimizer", "sgd", "--lr",
            "0.01",
            "--epochs", "2", "-o", out.path,
        ])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(epochLines(r.stderr).count == 2)
        let before = try KerasModelFile.read(URL(fileURLWithPath: source))
        let after = try KerasModelFile.read(out)
        let names = after.architecture.layers.map(\.name)
        for (i, name) in names.enumerated() {
            if ["conv2d_1", "conv2d_2"].contains(name) {
                #expect(after.weights[i] == before.weights[i], "\(name) changed although frozen")
                #expect(!after.architecture.layers[i].trainable)
            }
            if ["dense_1", "dense_prediction"].contains(name) {
                #expect(after.weights[i] != before.weights[i], "\(name) did not train")
            }
        }
        let compile = try #require(after.compile)
        #expect(compile.optimizer.kind == .sgd && compile.optimizer.learningRate == 0.01)
        // Recompiled: the source's 12 Adam iterations are gone; 2 epochs × 1 batch.
        #expect(after.optimizerState?.iterations == 2)
        try recordForInterop(
            out, name: "train_finetune_frozen_sgd",
            expect: .init(
                optimizer: "SGD", learningRate: 0.01, optimizerIterations: 2, optimizerStateRestored: true,
                trainable: ["conv2d_1": false, "conv2d_2": false, "dense_1": true, "dense_prediction": true]))
        if InteropManifest.directory != nil {
            try InteropManifest.record(
                file: out.deletingPathExtension().appendingPathExtension("validation.h5"), source: nil, kind: .hdf5,
                expect: .init(
                    datasets: [
                        "X": .init(dtype: "float32", shape: [4, 2, 16, 1]), "y": .init(dtype: "int64", shape: [4]),
                    ],
                    attributes: ["/": ["classes": .strings(classes)]]))
        }
    }

    @Test func continuesWithTheModelsOwnOptimizerState() throws {
        let dir = try TestPaths.temporaryDirectory()
        let (peaks, _) = try makePeaks(dir)
        let out = dir.appendingPathComponent("continued.h5")
        let r = try runNeatms([
            "train", "--data", peaks.path, "--model", fixturePath("reduced_tfkeras2_full.h5"), "--freeze",
            "conv2d_1,max_pooling2d_1,conv2d_2", "--epochs", "1", "-o", out.path,
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let after = try KerasModelFile.read(out)
        // The fixture's Adam (lr 1e-5, 12 iterations) goes on: 13 iterations.
        #expect(after.compile?.optimizer.kind == .adam && after.compile?.optimizer.learningRate == 1e-5)
        #expect(after.optimizerState?.iterations == 13)
    }

    /// A loss NeatMSKit cannot train with is one error line naming the model file and the losses it can.
    @Test func anUnsupportedLossIsRefusedNamingTheFile() throws {
        let dir = try TestPaths.temporaryDirectory()
        let (peaks, _) = try makePeaks(dir)
        var model = try KerasModelFile.read(TestPaths.fixture("keras/reduced_tfkeras2_full.h5"))
        model.compile?.loss = "hinge"
        let source = dir.appendingPathComponent("hinge.h5")
        try KerasModelFile.write(model, to: source, format: .h5(.tfKeras2))
        let r = try runNeatms([
            "train", "--data", peaks.path, "--model", source.path, "--epochs", "1", "-o",
            dir.appendingPathComponent("out.h5").path,
        ])
        #expect(r.status == 1)
        #expect(
            singleErrorLine(r)
                == "neatms: error: \(source.path): loss 'hinge' is not supported (\(Loss.supportedNames))")
    }

    @Test func validationSplitZeroTrainsOnEverything() throws {
        let dir = try TestPaths.temporaryDirectory()
        let (peaks, _) = try makePeaks(dir, invalid: 2)
        // A .keras name gets a Keras 3 archive.
        let out = modelURL("train_split0_all.keras", in: dir)
        let r = try runNeatms([
            "train", "--data", peaks.path, "--validation-split", "0", "--epochs", "2", "-o", out.path,
        ])
        #expect(r.status == 0, "\(r.stderr)")
        // 40 peaks with matrices, all trained on: 2 batches (32 + 8) per epoch; no val_ metrics.
        let loaded = try KerasModelFile.load(out)
        #expect(loaded.format == .kerasArchive)
        #expect(loaded.model.optimizerState?.iterations == 4)
        #expect(epochLines(r.stderr).allSatisfy { !$0.contains("val_") })
        #expect(r.stderr.contains("2 labelled peak(s) have no valid matrix"))
        #expect(!FileManager.default.fileExists(atPath: out.deletingPathExtension().path + ".validation.h5"))
        #expect(r.stdout.contains("no validation file written"))
        try recordForInterop(out, name: "train_split0_all", kind: .keras, expect: .init())
    }

    @Test func sameSeedSameModelAndNoShuffleKeepsTheSplit() throws {
        let dir = try TestPaths.temporaryDirectory()
        let (peaks, _) = try makePeaks(dir)
        var models: [Model] = []
        var validation: [PeakDataset] = []
        let runs = [["--seed", "5"], ["--seed", "5"], ["--seed", "5", "--no-shuffle"], ["--seed", "6"]]
        for (k, extra) in runs.enumerated() {
            let out = dir.appendingPathComponent("m\(k).h5")
            let r = try runNeatms(
                ["train", "--data", peaks.path, "--epochs", "2", "--lr", "0.001", "-o", out.path] + extra)
            #expect(r.status == 0, "\(r.stderr)")
            models.append(try KerasModelFile.read(out))
            validation.append(try PeakDataset.read(dir.appendingPathComponent("m\(k).validation.h5")))
        }
        #expect(models[0].weights == models[1].weights)
        // --no-shuffle: same split, other batch order, so other weights.
        #expect(validation[2] == validation[0])
        #expect(models[2].weights != models[0].weights)
        // Another seed draws another split.
        #expect(validation[3].featureID != validation[0].featureID)
    }

    @Test func earlyStoppingRestoresAndCheckpointIsWrittenEveryEpoch() throws {
        let dir = try TestPaths.temporaryDirectory()
        let (peaks, _) = try makePeaks(dir)
        let out = dir.appendingPathComponent("es.h5")
        let checkpoint = dir.appendingPathComponent("ck.h5")
        // lr 1e-30 leaves every float32 weight (and so val_loss) unchanged: no epoch after the first
        // improves. Keras counts an epoch without improvement before comparing with the patience, so
        // patience 2 stops after epoch 3.
        let r = try runNeatms([
            "train", "--data", peaks.path, "--model", fixturePath("reduced_tfkeras2_full.h5"), "--lr", "1e-30",
            "--epochs", "20", "--early-stopping", "2", "--checkpoint", checkpoint.path, "-o", out.path,
        ])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(epochLines(r.stderr).count == 3)
        #expect(r.stderr.contains("early stopping after epoch 3"))
        #expect(r.stderr.contains("restored the weights of epoch 1"))
        let ck = try KerasModelFile.read(checkpoint)
        #expect(ck.optimizerState?.iterations == 3)
        #expect(try KerasModelFile.read(out).weights == ck.weights)
        // No temporary files left behind.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty)
    }

    @Test func badInputsGiveOneErrorLine() throws {
        let dir = try TestPaths.temporaryDirectory()
        let (peaks, _) = try makePeaks(dir)
        let out = dir.appendingPathComponent("o.h5").path
        let missing = dir.appendingPathComponent("missing.h5").path

        var r = try runNeatms(["train", "--data", missing, "--epochs", "1", "-o", out])
        #expect(r.status == 1)
        #expect(singleErrorLine(r) == "neatms: error: \(missing): no such file")

        // X of the wrong shape.
        let wrong = dir.appendingPathComponent("wrong.h5")
        var file = try HDF5File.create(wrong)
        try file.root.writeDataset("X", shape: [2, 3, 16, 1], values: [Float](repeating: 0, count: 96))
        try file.root.writeDataset("y", shape: [2], values: [Int64(0), 1])
        try file.root.setAttribute("classes", .strings(["A", "B"], .vlenUTF8))
        try file.close()
        r = try runNeatms(["train", "--data", wrong.path, "--epochs", "1", "-o", out])
        #expect(r.status == 1)
        #expect(singleErrorLine(r) == "neatms: error: \(wrong.path): X has shape [2, 3, 16, 1], expected (N, 2, n, 1)")

        // NaN in a valid matrix.
        let nan = dir.appendingPathComponent("nan.h5")
        file = try HDF5File.create(nan)
        var values = [Float](repeating: 0.25, count: 2 * 32)
        values[32 + 5] = .nan
        try file.root.writeDataset("X", shape: [2, 2, 16, 1], values: values)
        try file.root.writeDataset("y", shape: [2], values: [Int64(0), 1])
        try file.root.setAttribute("classes", .strings(["A", "B"], .vlenUTF8))
        try file.close()
        r = try runNeatms(["train", "--data", nan.path, "--epochs", "1", "-o", out])
        #expect(r.status == 1)
        #expect(
            singleErrorLine(r)
                == "neatms: error: \(nan.path): X: matrix 1 holds nan at (0, 5) (matrices must be finite)")

        // Classes of the data vs the model's outputs: merging leaves 2 classes for a 3-output model.
        r = try runNeatms([
            "train", "--data", peaks.path, "--model", fixturePath("reduced_tfkeras2_full.h5"), "--merge-classes",
            "Low_quality,Noise=Bad", "--epochs", "1", "-o", out,
        ])
        #expect(r.status == 1)
        let line = try #require(singleErrorLine(r), "\(r.stderr)")
        #expect(line.contains("the model has 3 output classes but") && line.contains("has 2 (Bad, High_quality)"))

        // Matrix size of the data vs the model's input.
        r = try runNeatms([
            "train", "--data", peaks.path, "--model", fixturePath("neatms_tfkeras2_full.h5"), "--epochs", "1", "-o",
            out,
        ])
        #expect(r.status == 1)
        #expect(singleErrorLine(r)?.contains("(N, 2, 120, 1) but \(peaks.path) holds matrices (N, 2, 16, 1)") == true)
        #expect(!FileManager.default.fileExists(atPath: out))

        // A layer the given model file lacks: its content, so one error line naming it.
        let source = fixturePath("reduced_tfkeras2_full.h5")
        r = try runNeatms([
            "train", "--data", peaks.path, "--model", source, "--freeze", "nosuch", "--epochs", "1", "-o", out,
        ])
        #expect(r.status == 1)
        #expect(
            singleErrorLine(r)?.hasPrefix(
                "neatms: error: \(source): --freeze: the model has no layer 'nosuch' (layers: ") == true)

        // NaN weights in the starting model.
        var nanModel = try KerasModelFile.read(URL(fileURLWithPath: source))
        nanModel.weights[1][0].scalars[3] = .nan
        let nanModelURL = dir.appendingPathComponent("nan-model.h5")
        try KerasModelFile.write(nanModel, to: nanModelURL, format: .h5(.tfKeras2))
        r = try runNeatms(["train", "--data", peaks.path, "--model", nanModelURL.path, "--epochs", "1", "-o", out])
        #expect(r.status == 1)
        #expect(singleErrorLine(r)?.hasPrefix("neatms: error: \(nanModelURL.path): layer '") == true, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    /// A learning rate that makes the weights overflow: the model is not written, nor a checkpoint of
    /// overflowed weights.
    @Test func aDivergedTrainingWritesNoModel() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (peaks, _) = try makePeaks(dir)
        let out = dir.appendingPathComponent("o.h5")
        let checkpoint = dir.appendingPathComponent("ck.keras")
        let r = try runNeatms([
            "train", "--data", peaks.path, "--epochs", "2", "--lr", "1e30", "--seed", "1", "-o", out.path,
            "--checkpoint", checkpoint.path,
        ])
        #expect(r.status == 1)
        let errors = r.stderr.split(separator: "\n").filter { $0.hasPrefix("neatms: error: ") }
        #expect(errors.count == 1)
        #expect(errors.first?.contains("not written: training diverged (layer '") == true, "\(r.stderr)")
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(!left.contains { $0.hasPrefix("o.") || $0.hasSuffix(".tmp") }, "\(left)")
        // A checkpoint of an epoch before the weights overflowed may stand; it must be a finite model.
        if left.contains("ck.keras") { _ = try KerasModelFile.load(checkpoint) }
    }

    @Test(arguments: [
        ["--freeze", "conv2d_1", "--freeze-first", "2"], ["--validation-split", "0.5"], ["--lr", "-1"],
        ["--batch-size", "0"], ["--optimizer", "rmsprop"], ["--merge-classes", "A,B"], ["--freeze", "conv2d_1,nosuch"],
        ["--checkpoint", "x.weights.h5"],
    ])
    func usageErrorsExit64(extra: [String]) throws {
        let dir = try TestPaths.temporaryDirectory()
        let (peaks, _) = try makePeaks(dir, copies: 1)
        let r = try runNeatms(["train", "--data", peaks.path, "-o", dir.appendingPathComponent("o.h5").path] + extra)
        #expect(r.status == 64, "\(r.stderr)")
    }
}
