import Foundation
import HDF5
import NeuralNet
import Tensor
import TestSupport
import Testing

@testable import KerasFormat

/// The tf-keras full model (a): the reference every other reduced fixture was made from.
private func referenceModel() throws -> Model {
    try LegacyH5.read(kerasFixture("reduced_tfkeras2_full.h5")).model
}

/// The reduced architecture with zero weights (a container to load weights into).
private func emptyReducedModel() throws -> Model {
    try Model.zeros(Architecture.neatms(matrixSize: 16))
}

@Suite struct WeightsOnlyFiles {
    @Test(arguments: [WeightMatching.byOrder, .byName])
    func tfKerasSaveWeightsLoadsTheSameWeights(matching: WeightMatching) throws {
        let result = try KerasWeightsFile.load(
            kerasFixture("reduced_tfkeras2_weights.h5"), into: emptyReducedModel(), matching: matching)
        #expect(result.warnings.isEmpty)
        #expect(result.model.weights == (try referenceModel().weights))
    }

    @Test(arguments: [WeightMatching.byOrder, .byName])
    func keras3WeightsFileLoadsTheSameWeights(matching: WeightMatching) throws {
        let result = try KerasWeightsFile.load(
            kerasFixture("reduced_keras3.weights.h5"), into: emptyReducedModel(), matching: matching)
        #expect(result.model.weights == (try referenceModel().weights))
    }

    @Test func byNameIgnoresFileLayersTheModelLacks() throws {
        // A model whose classifier is renamed: by name only the matching layers are loaded.
        var model = try emptyReducedModel()
        model.architecture.layers[7].name = "new_head"
        let result = try KerasWeightsFile.load(
            kerasFixture("reduced_tfkeras2_weights.h5"), into: model, matching: .byName)
        let reference = try referenceModel()
        #expect(result.model.weights[1] == reference.weights[1])
        #expect(result.model.weights[7] == model.weights[7])
    }

    @Test func shapeMismatchIsAnErrorNamingLayerAndBothShapes() throws {
        let error = try #require(throws: KerasFormatError.self) {
            try KerasWeightsFile.load(kerasFixture("reduced_weights_dense1_mismatch.h5"), into: emptyReducedModel())
        }
        #expect(error.description.contains("dense_1"))
        #expect(error.description.contains("(1024, 128)") && error.description.contains("(256, 128)"), "\(error)")
    }

    @Test(arguments: [WeightMatching.byOrder, .byName])
    func skipMismatchWarnsAndLoadsTheRest(matching: WeightMatching) throws {
        let empty = try emptyReducedModel()
        let result = try KerasWeightsFile.load(
            kerasFixture("reduced_weights_dense1_mismatch.h5"), into: empty, matching: matching, skipMismatch: true)
        #expect(result.warnings.count == 1)
        #expect(result.warnings.first?.contains("dense_1") == true)
        #expect(result.model.weights[5] == empty.weights[5])  // dense_1 untouched
        #expect(result.model.weights[1] != empty.weights[1])  // conv2d_1 loaded
    }

    @Test func layerCountMismatchIsAnError() throws {
        var architecture = Architecture.neatms(matrixSize: 16)
        architecture.layers.remove(at: 3)  // drop conv2d_2: the model now has 3 layers with weights
        let model = try Model.zeros(architecture)
        let error = try #require(throws: KerasFormatError.self) {
            try KerasWeightsFile.load(kerasFixture("reduced_tfkeras2_weights.h5"), into: model)
        }
        #expect(error.description.contains("4") && error.description.contains("3"), "\(error)")
    }

    @Test(arguments: ["keras2", "keras3"])
    func writtenWeightsFilesReadBack(kind: String) throws {
        let source = try referenceModel()
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let name = kind == "keras2" ? "weights.h5" : "model.weights.h5"
        let url = dir.appendingPathComponent(name)
        if kind == "keras2" {
            try KerasWeightsFile.writeKeras2(source, to: url)
        } else {
            try KerasWeightsFile.writeKeras3(source, to: url)
        }
        #expect(try KerasWeightsFile.load(url, into: emptyReducedModel()).model.weights == source.weights)
        if let out = InteropManifest.outputURL("KerasFormat_weights_\(kind)_\(name)") {
            if kind == "keras2" {
                try KerasWeightsFile.writeKeras2(source, to: out)
            } else {
                try KerasWeightsFile.writeKeras3(source, to: out)
            }
            try InteropManifest.record(file: out, source: "Fixtures/keras/reduced_tfkeras2_full.h5", kind: .weightsH5)
        }
    }

    @Test func keras3LayerPathsFollowKerasNaming() {
        #expect(Keras3Weights.snakeCase("MaxPooling2D") == "max_pooling2d")
        #expect(Keras3Weights.snakeCase("InputLayer") == "input_layer")
        #expect(Keras3Weights.snakeCase("Conv2D") == "conv2d")
        // Keras 3 names paths by class (docs/KERAS-FILES.md#keras-3-weights): conv2d_2 → conv2d_1,
        // dense_prediction → dense_1.
        #expect(
            Keras3Weights.layerPaths(Architecture.neatms()) == [
                "input_layer", "conv2d", "max_pooling2d", "conv2d_1", "flatten", "dense", "dropout", "dense_1",
            ])
    }
}

@Suite struct KerasArchives {
    @Test func readsKeras3Archive() throws {
        let loaded = try KerasArchive.read(kerasFixture("reduced_keras3.keras"))
        #expect(loaded.format == .kerasArchive)
        #expect(loaded.model.architecture.layers == reducedLayers)
        #expect(loaded.model.weights == (try referenceModel().weights))
        #expect(loaded.model.compile == CompileConfig(optimizer: .adam(learningRate: 1e-5)))
        #expect(loaded.model.optimizerState == OptimizerState(iterations: 0))
    }

    @Test func roundTripWithOptimizerState() throws {
        let source = try referenceModel()
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("model.keras")
        try KerasArchive.write(source, to: url)
        let back = try KerasModelFile.load(url)
        #expect(back.format == .kerasArchive)
        #expect(back.warnings.isEmpty)
        var expected = source
        expected.architecture.name = source.architecture.name
        #expect(back.model == expected)
        if let out = InteropManifest.outputURL("KerasFormat_archive.keras") {
            try KerasArchive.write(source, to: out)
            try InteropManifest.record(file: out, source: "Fixtures/keras/reduced_tfkeras2_full.h5", kind: .keras)
        }
    }

    @Test func notAnArchiveIsAnError() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("broken.keras")
        try Data([0x50, 0x4B, 0x03, 0x04, 1, 2, 3]).write(to: url)
        let error = try #require(throws: KerasFormatError.self) { try KerasModelFile.read(url) }
        #expect(error.description.hasPrefix(url.path + ": "))
    }
}

@Suite struct ModelFileDetection {
    @Test(arguments: [
        ("reduced_tfkeras2_full.h5", ModelLayout.tfKerasH5),
        ("reduced_h5py2style.h5", .keras22H5),
        ("reduced_keras3_legacy.h5", .keras3LegacyH5),
        ("reduced_keras3.keras", .kerasArchive),
    ])
    func detectsTheLayout(file: String, format: ModelLayout) throws {
        #expect(try KerasModelFile.load(kerasFixture(file)).format == format)
    }

    @Test func emptyAndMissingFiles() throws {
        let empty = try #require(throws: KerasFormatError.self) { try KerasModelFile.read(kerasFixture("empty.h5")) }
        #expect(empty.description.contains("empty"))
        let missing = try #require(throws: KerasFormatError.self) { try KerasModelFile.read(kerasFixture("nope.h5")) }
        #expect(missing.description.contains("no such file"))
    }
}

@Suite struct SplitNameLists {
    @Test func layerNamesSplitIntoNumberedAttributesAreRead() throws {
        // Keras splits name lists over 64,512 bytes into layer_names0, layer_names1, …; build such a file
        // from a written weights file and check it loads the same.
        let source = try LegacyH5.read(kerasFixture("reduced_tfkeras2_full.h5")).model
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("split.h5")
        try KerasWeightsFile.writeKeras2(source, to: url)
        do {
            let file = try HDF5File.open(url, writable: true)
            defer { try? file.close() }
            let names = source.architecture.layers.map(\.name)
            try file.root.deleteAttribute("layer_names")
            try file.root.setAttribute("layer_names0", .strings(Array(names[..<3]), .fixedASCII(fitting: names)))
            try file.root.setAttribute("layer_names1", .strings(Array(names[3...]), .fixedASCII(fitting: names)))
        }
        let loaded = try KerasWeightsFile.load(url, into: Model.zeros(Architecture.neatms(matrixSize: 16)))
        #expect(loaded.model.weights == source.weights)
    }
}
