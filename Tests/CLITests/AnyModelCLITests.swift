import Foundation
import HDF5
import TestSupport
import Testing

/// Commands on models that are not NeatMS's: small random chains made in real Keras
/// (Scripts/fixtures/make_random_models.py; Fixtures/random/).
@Suite struct AnyModelCLI {
    /// `x` and Keras's predictions `y` of a random model's `.io.h5`.
    private func io(_ name: String) throws -> (shape: [Int], x: [Float], y: [Float]) {
        let file = try HDF5File.open(TestPaths.fixture("random/\(name).io.h5"))
        defer { try? file.close() }
        let x = try file.root.dataset("x")
        return (x.shape, try x.read(), try file.root.dataset("y").read())
    }

    /// A Sequential tf-keras model compiled with loss='mse' (input (3, 11, 1), two outputs): predict takes
    /// (N, H, W) and (N, H, W, C) arrays of its own input shape, names the columns output_0, output_1, and
    /// gives Keras's predictions within 1e-5.
    @Test(arguments: [false, true])
    func predictRunsARegressionModelOnItsOwnInputShape(keepChannelAxis: Bool) throws {
        let (shape, x, y) = try io("random_2_tf_keras")
        #expect(shape == [5, 3, 11, 1])
        let dir = try TestPaths.temporaryDirectory()
        let data = dir.appendingPathComponent("x.h5")
        let file = try HDF5File.create(data)
        try file.root.writeDataset("X", shape: keepChannelAxis ? shape : Array(shape.dropLast()), values: x)
        try file.close()
        let model = TestPaths.fixture("random/random_2_tf_keras.h5").path
        let r = try runNeatms(["predict", "--model", model, "--matrices", data.path])
        #expect(r.status == 0, "\(r.stderr)")
        let (header, rows) = try parsePredictionCSV(r.stdout)
        #expect(header == ["index", "output_0", "output_1"])
        #expect(rows.count == 5)
        let ours = rows.flatMap { $0.1 }
        #expect(zip(ours, y).allSatisfy { abs($0 - Double($1)) <= 1e-5 })
    }

    /// Data of another shape is one error line naming the model and both shapes.
    @Test func predictRefusesAnotherShape() throws {
        let dir = try TestPaths.temporaryDirectory()
        let data = dir.appendingPathComponent("x.h5")
        let file = try HDF5File.create(data)
        try file.root.writeDataset("X", shape: [2, 3, 10], values: [Float](repeating: 0, count: 60))
        try file.close()
        let model = TestPaths.fixture("random/random_2_tf_keras.h5").path
        let r = try runNeatms(["predict", "--model", model, "--matrices", data.path])
        #expect(r.status == 1)
        #expect(
            singleErrorLine(r)
                == "neatms: error: \(model): the model expects inputs (N, 3, 11, 1) but \(data.path) holds matrices (N, 3, 10, 1)"
        )
    }

    /// `summary` of a Sequential model lists the layers Keras's summary lists: no InputLayer row.
    @Test func summaryOfASequentialModelHasNoInputLayerRow() throws {
        let r = try runNeatms(["summary", TestPaths.fixture("random/random_2_tf_keras.h5").path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stdout.contains("InputLayer"))
        #expect(r.stdout.contains("conv_0 (Conv2D)"))
    }
}
