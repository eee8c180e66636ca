import Foundation
import NeuralNet
import TestSupport
import Testing

@testable import KerasFormat

/// Fixtures written by real tf-keras / Keras 3 / h5py (Scripts/fixtures/make_keras_fixtures.py, Fixtures/keras/README.md).
func kerasFixture(_ name: String) -> URL { TestPaths.fixture("keras/\(name)") }

/// The reduced NeatMS network (n = 16) that every `reduced_*` fixture holds.
let reducedLayers = Architecture.neatms(matrixSize: 16).layers

@Suite struct LegacyH5Reading {
    @Test func tfKerasFullModelWithAdamState() throws {
        let loaded = try LegacyH5.read(kerasFixture("reduced_tfkeras2_full.h5"))
        #expect(loaded.format == .tfKerasH5)
        #expect(loaded.warnings.isEmpty)
        let model = loaded.model
        #expect(model.architecture.layers == reducedLayers)
        #expect(
            model.weights.map { $0.map(\.shape) } == [
                [], [[5, 5, 1, 32], [32]], [], [[3, 3, 32, 64], [64]], [], [[1024, 128], [128]], [], [[128, 3], [3]],
            ])
        #expect(model.compile == CompileConfig(optimizer: .adam(learningRate: 1e-5)))
        let state = try #require(model.optimizerState)
        #expect(state.iterations == 12)
        #expect(Set(state.slots.keys) == ["m", "v"])
        #expect(state.slots["m"]?.map { $0.map(\.shape) } == model.weights.map { $0.map(\.shape) })
        // Adam's second moments are non-negative and not all zero after 12 steps.
        let v = try #require(state.slots["v"]?[5][0].scalars)
        #expect(v.allSatisfy { $0 >= 0 } && v.contains { $0 > 0 })
    }

    @Test(arguments: [
        ("reduced_h5py2style.h5", ModelLayout.keras22H5),
        ("reduced_h5py2style_fixedlen.h5", .keras22H5),
        ("reduced_keras3_legacy.h5", .keras3LegacyH5),
        ("reduced_sequential.h5", .tfKerasH5),
    ])
    func everyLayoutHoldsTheSameWeightsAsTheTfKerasFile(file: String, format: ModelLayout) throws {
        let reference = try LegacyH5.read(kerasFixture("reduced_tfkeras2_full.h5")).model
        let loaded = try LegacyH5.read(kerasFixture(file))
        #expect(loaded.format == format)
        let weighted = { (m: Model) in m.weights.filter { !$0.isEmpty } }
        #expect(weighted(loaded.model) == weighted(reference))
    }

    @Test func keras22OptimizerStateEqualsTfKerasState() throws {
        // The h5py2style file stores (a)'s m and v as training/Adam/Variable_N:0 blocks (+ zero vhats).
        let reference = try #require(try LegacyH5.read(kerasFixture("reduced_tfkeras2_full.h5")).model.optimizerState)
        let loaded = try LegacyH5.read(kerasFixture("reduced_h5py2style.h5"))
        #expect(loaded.model.architecture.name == "model_1")
        #expect(loaded.model.compile == CompileConfig(optimizer: .adam(learningRate: 1e-5)))
        #expect(loaded.model.optimizerState == reference)
    }

    @Test func keras3LegacyUnbuiltOptimizer() throws {
        let model = try LegacyH5.read(kerasFixture("reduced_keras3_legacy.h5")).model
        #expect(model.compile == CompileConfig(optimizer: .adam(learningRate: 1e-5)))
        #expect(model.optimizerState == OptimizerState(iterations: 0))
    }

    @Test func sgdWithMomentumState() throws {
        let model = try LegacyH5.read(kerasFixture("reduced_sgd_full.h5")).model
        #expect(model.compile?.optimizer == OptimizerConfig(kind: .sgd, learningRate: 0.01, momentum: 0.9))
        let state = try #require(model.optimizerState)
        #expect(state.iterations == 3)
        #expect(Array(state.slots.keys) == ["momentum"])
    }

    @Test func sequentialGetsAnInputLayer() throws {
        let model = try LegacyH5.read(kerasFixture("reduced_sequential.h5")).model
        #expect(model.architecture.layers.dropFirst().map(\.kind) == reducedLayers.dropFirst().map(\.kind))
        #expect(model.architecture.layers[0].kind == .input(shape: [2, 16, 1]))
    }

    @Test func fullSizeNeatMSModel() throws {
        let model = try LegacyH5.read(kerasFixture("neatms_tfkeras2_full.h5")).model
        #expect(model.architecture.layers == Architecture.neatms().layers)
        #expect(try model.architecture.parameterCounts().reduce(0, +) == 1_002_883)
    }

    @Test(arguments: [
        ("truncated.h5", "truncated"),
        ("png_renamed.h5", "not an HDF5 file"),
        ("empty.h5", "empty"),
        ("no_model_config.h5", "model_config"),
        ("reduced_tfkeras2_weights.h5", "weights-only"),
        ("unsupported_batchnorm.h5", "BatchNormalization"),
        ("unsupported_dilation.h5", "dilation_rate"),
        ("unsupported_channels_first.h5", "channels_first"),
        ("unsupported_elu.h5", "elu"),
    ])
    func badFilesGiveOneLineErrorsNamingTheFile(file: String, mentions: String) throws {
        let url = kerasFixture(file)
        let error = try #require(throws: KerasFormatError.self) { try LegacyH5.read(url) }
        #expect(error.file == url.path)
        #expect(error.description.hasPrefix(url.path + ": "))
        #expect(error.description.contains(mentions), "\(error)")
        #expect(!error.description.contains("\n"))
    }
}
