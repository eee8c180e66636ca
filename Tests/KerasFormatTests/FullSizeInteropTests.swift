import Foundation
import NeuralNet
import TestSupport
import Testing

@testable import KerasFormat

/// The full-size NeatMS model (n = 120, 1,002,883 parameters) written by NeatMSKit in every writable
/// format: read back here, and loaded by real tf-keras and Keras 3 in the interop check of `.ci/run`.
@Suite struct FullSizeNeatMSModelWriting {
    static let source = "neatms_tfkeras2_full.h5"

    @Test(arguments: ["tfKeras2.h5", "keras22.h5", "model.keras"])
    func neatmsModelRoundTrips(name: String) throws {
        let model = try KerasModelFile.read(kerasFixture(Self.source))
        #expect(try model.architecture.parameterCounts().reduce(0, +) == 1_002_883)
        let format: ModelLayout =
            name.hasSuffix(".keras") ? .kerasArchive : .h5(name.hasPrefix("keras22") ? .keras22 : .tfKeras2)
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent(name)
        try KerasModelFile.write(model, to: url, format: format)
        let back = try KerasModelFile.read(url)
        #expect(back.architecture.layers == model.architecture.layers)
        #expect(back.weights == model.weights)

        if let out = InteropManifest.outputURL("FullSize_\(name)") {
            try KerasModelFile.write(model, to: out, format: format)
            try InteropManifest.record(
                file: out, source: "Fixtures/keras/\(Self.source)", kind: name.hasSuffix(".keras") ? .keras : .h5)
        }
    }
}
