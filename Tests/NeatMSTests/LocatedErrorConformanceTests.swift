import FileSupport
import Foundation
import HDF5
import KerasFormat
import MassSpec
import NeuralNet
import Support
import TestSupport
import Testing

@testable import NeatMS

/// Every public error type of the libraries is a `LocatedError`, and its one line is the text it had before
/// the protocol (the formats below are those of the types' own former `description`s).
@Suite struct LocatedErrorConformanceTests {
    /// Compiles only while every listed type conforms.
    @Test func everyPublicErrorTypeConforms() {
        func located<E: LocatedError>(_ type: E.Type) -> String { "\(type)" }
        let names = [
            located(HDF5Error.self), located(FileWriteError.self), located(KerasFormatError.self),
            located(ArchitectureError.self), located(NetworkError.self), located(MzMLError.self),
            located(MatrixInputError.self), located(MatrixOptionsError.self), located(TableError.self),
            located(ThresholdAnalysis.InputError.self), located(BatchError.self), located(PredictionError.self),
            located(XMLFileError.self),
        ]
        #expect(Set(names).count == 13)
    }

    @Test(arguments: [
        (
            HDF5Error(
                .notFound, file: "m.h5", object: "/model_weights", message: "no such group",
                stack: ["H5Fopen(): outer", "H5Gopen2(): unable to\nopen", "H5G__open_name(): not found"])
                as any LocatedError,
            "m.h5: /model_weights: no such group (H5Gopen2(): unable to open; H5G__open_name(): not found)"
        ),
        (
            HDF5Error(.notHDF5, file: "x.h5", message: "not an HDF5 file (empty file)"),
            "x.h5: not an HDF5 file (empty file)"
        ),
        (FileWriteError(path: "out/m.h5", problem: "is a folder, not a file"), "out/m.h5: is a folder, not a file"),
        (KerasFormatError("no model_config attribute", file: "m.h5"), "m.h5: no model_config attribute"),
        (KerasFormatError("unknown optimizer 'Foo'"), "unknown optimizer 'Foo'"),
        (ArchitectureError(layer: "dense_1", problem: "needs a flat input"), "layer 'dense_1': needs a flat input"),
        (NetworkError.weightCount(layer: "d", expected: 2, got: 1), "layer 'd': expected 2 weight arrays, got 1"),
        (
            NetworkError.weightShape(layer: "d", index: 1, expected: [3], got: [4]),
            "layer 'd': weight 1 has shape [4], expected [3]"
        ),
        (
            NetworkError.optimizerSlot(slot: "m", layer: "d", expected: [3], got: [4]),
            "layer 'd': optimizer slot 'm' has shape [4], expected [3]"
        ),
        (NetworkError.architecture(ArchitectureError(layer: "c", problem: "p")), "layer 'c': p"),
        (NetworkError.unknownLayer("nope"), "no layer named 'nope'"),
        (
            NetworkError.inputShape(expected: [2, 120, 1], got: [5, 2, 60, 1]),
            "input has shape [5, 2, 60, 1], expected (N, 2, 120, 1)"
        ),
        (NetworkError.targetShape(expected: [5, 3], got: [5, 2]), "targets have shape [5, 2], expected [5, 3]"),
        (NetworkError.invalidArgument("batch size must be positive"), "batch size must be positive"),
        (
            MzMLError(
                .corruptArray, path: "raw/a.mzML", spectrumID: "scan=3", spectrumIndex: 2, line: 47,
                detail: "bad\nbase64\n"),
            "raw/a.mzML:47: spectrum #2 (id \"scan=3\"): corrupt binary data array: bad base64"
        ),
        (MzMLError(.noSpectraOfLevel, path: "a.mzML", detail: "MS1 spectra"), "a.mzML: contains no MS1 spectra"),
        (MzMLError(.emptyFile, path: "a.mzML"), "a.mzML: file is empty, not an mzML file"),
        (
            MzMLError(.malformedXML, path: "a.mzML", line: 9, detail: "tag mismatch\n"),
            "a.mzML:9: not well-formed XML: tag mismatch"
        ),
        (
            MatrixInputError(file: "m.h5", problem: "no dataset 'X' (the peak matrices)"),
            "m.h5: no dataset 'X' (the peak matrices)"
        ),
        (MatrixOptionsError(message: "matrix size must be at least 2, got 1"), "matrix size must be at least 2, got 1"),
        (TableError(file: "t.csv", line: 3, message: "empty label"), "t.csv:3: empty label"),
        (
            TableError(file: "raw", line: nil, message: "the raw-data folder holds no .mzML file"),
            "raw: the raw-data folder holds no .mzML file"
        ),
        (ThresholdAnalysis.InputError(message: "the validation set is empty"), "the validation set is empty"),
        (BatchError("validation split must be in [0, 0.5)"), "validation split must be in [0, 0.5)"),
        (
            PredictionError(message: "class 'X' is not one of the model's classes A, B"),
            "class 'X' is not one of the model's classes A, B"
        ),
    ])
    func descriptionIsTheFormerOneLine(error: any LocatedError, expected: String) {
        #expect(error.description == expected)
        #expect(String(describing: error) == expected)
    }

    /// The root group says nothing as a location: a reader that quotes an HDF5 error leaves it out.
    @Test func hdf5RootGroupIsNoLocation() {
        let error = HDF5Error(.corrupt, file: "m.h5", object: "/", message: "cannot open the root group")
        #expect(error.location == nil)
        #expect(error.withoutFile == "cannot open the root group")
        let inner = HDF5Error(
            .notFound, file: "/tmp/copy.h5", object: "/layers", message: "no such group", stack: ["f(): x"])
        #expect(inner.withoutFile == "/layers: no such group")
    }

    /// Setting `file` through the protocol names the file in the one line (what a reader or the CLI does
    /// with an error that knew none); NeuralNet's enum never names one.
    @Test func fileCanBeFilledThroughTheProtocol() {
        var architecture: any LocatedError = ArchitectureError(layer: "d", problem: "p")
        architecture.file = "model.h5"
        #expect(architecture.description == "model.h5: layer 'd': p")
        var mzML: any LocatedError = MzMLError(.emptyFile, path: "/abs/a.mzML")
        mzML.file = "a.mzML"
        #expect(mzML.description == "a.mzML: file is empty, not an mzML file")
        var network: any LocatedError = NetworkError.unknownLayer("x")
        network.file = "model.h5"
        #expect(network.file == nil && network.description == "no layer named 'x'")
    }

    /// A URL made from a relative path (here relative to a temporary folder, as `URL(fileURLWithPath:)`
    /// makes it relative to the working directory) is named as given, not as the absolute path.
    @Test func librariesNameTheFileAsGiven() throws {
        let dir = try TestPaths.temporaryDirectory("located-relative")
        defer { try? FileManager.default.removeItem(at: dir) }
        func given(_ name: String) -> URL { URL(fileURLWithPath: name, relativeTo: dir) }
        try FileManager.default.createDirectory(at: given("raw"), withIntermediateDirectories: true)
        try Data("not HDF5".utf8).write(to: given("bad.h5"))
        try Data("<mzML><run".utf8).write(to: given("raw/cut.mzML"))
        try Data("mz,rt\n\"1,2\n".utf8).write(to: given("t.csv"))
        #expect(given("none.h5").path == dir.appendingPathComponent("none.h5").path)

        let missingHDF5 = try #require(throws: HDF5Error.self) { try HDF5File.open(given("none.h5")) }
        #expect(missingHDF5.description == "none.h5: no such file")
        let notHDF5 = try #require(throws: HDF5Error.self) { try HDF5File.open(given("bad.h5")) }
        #expect(notHDF5.description.hasPrefix("bad.h5: not an HDF5 file"), "\(notHDF5)")
        let peaks = try #require(throws: HDF5Error.self) { try PeakDataset.read(given("none.h5")) }
        #expect(peaks.description == "none.h5: no such file")
        let matrices = try #require(throws: MatrixInputError.self) { try MatrixInput.readMatrices(given("bad.h5")) }
        #expect(matrices.description == "bad.h5: not an HDF5 file")
        let keras = try #require(throws: KerasFormatError.self) { try KerasModelFile.load(given("bad.h5")) }
        #expect(keras.description == "bad.h5: not an HDF5 file")
        let missingModel = try #require(throws: KerasFormatError.self) { try KerasModelFile.load(given("none.keras")) }
        #expect(missingModel.description == "none.keras: no such file")

        let missingMzML = try #require(throws: MzMLError.self) {
            try MzMLReader(url: given("raw/none.mzML")).forEachSpectrum { _ in }
        }
        #expect(missingMzML.description == "raw/none.mzML: cannot open mzML file: no such file")
        let cut = try #require(throws: MzMLError.self) {
            try MzMLReader(url: given("raw/cut.mzML")).forEachSpectrum { _ in }
        }
        #expect(
            cut.description.hasPrefix("raw/cut.mzML:") && cut.description.contains(": not well-formed XML"), "\(cut)")
        let noRaw = try #require(throws: TableError.self) { try listRawFiles(in: given("bad.h5")) }
        #expect(noRaw.description.hasPrefix("bad.h5: cannot list the raw-data folder"), "\(noRaw)")
        let table = try #require(throws: TableError.self) { try FeatureTable.read(given("t.csv"), format: .xcms) }
        #expect(table.description == "t.csv:2: a quoted field is never closed")
        let missingTable = try #require(throws: TableError.self) {
            try FeatureTable.read(given("none.csv"), format: .mzmine)
        }
        #expect(missingTable.description == "none.csv: no such file or folder")

        let folder = try #require(throws: FileWriteError.self) { try AtomicFile.checkDestination(given("out/m.h5")) }
        #expect(folder.description == "out/m.h5: the folder out does not exist")
    }
}
