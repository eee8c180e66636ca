import Foundation
import HDF5
import NeatMS
import Testing
import TestSupport

/// The PEAKS.h5 format: round trip, the accepted shapes, and one clear error per kind of bad file.
@Suite struct PeakDatasetTests {
    let classes = ["High_quality", "Low_quality", "Noise"]

    func sample(n: Int = 4, size: Int = 3) throws -> PeakDataset {
        try PeakDataset(
            classes: classes, matrixSize: size, x: (0..<(n * 2 * size)).map { Float($0) / 7 },
            y: (0..<n).map { $0 % 3 }, valid: (0..<n).map { $0 != 1 },
            samples: (0..<n).map { $0 < 2 ? "a.mzML" : "b.mzML" }, featureID: (0..<n).map { 10 + $0 },
            mz: (0..<n).map { 100.5 + Double($0) }, rt: (0..<n).map { 1.25 * Double($0) })
    }

    @Test func roundTrip() throws {
        let dir = try TestPaths.temporaryDirectory()
        let url = dir.appendingPathComponent("peaks.h5")
        let ds = try sample()
        try ds.write(to: url)
        #expect(try PeakDataset.read(url) == ds)
        // Nothing else left in the folder (the temporary file was renamed).
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["peaks.h5"])
        // The layout on disk.
        let file = try HDF5File.open(url)
        defer { try? file.close() }
        #expect(try file.root.dataset("X").shape == [4, 2, 3, 1])
        #expect(try file.root.dataset("y").elementType == .int64)
        #expect(try file.root.stringListAttribute("classes") == classes)
        #expect(try file.root.stringListAttribute("sample_names") == ["a.mzML", "b.mzML"])
        #expect(try file.root.dataset("sample").read(as: Int64.self) == [0, 0, 1, 1])
        if let out = InteropManifest.outputURL("peakdataset_roundtrip.h5") {
            try ds.write(to: out)
            try InteropManifest.record(
                file: out, source: nil, kind: .hdf5,
                expect: .init(
                    datasets: [
                        "X": .init(dtype: "float32", shape: [4, 2, 3, 1], values: ds.x.map(Double.init), atol: 0),
                        "y": .init(dtype: "int64", shape: [4], values: [0, 1, 2, 0]),
                        "valid": .init(dtype: "uint8", shape: [4], values: [1, 0, 1, 1]),
                        "mz": .init(dtype: "float64", shape: [4], values: ds.mz, atol: 0),
                    ],
                    attributes: ["/": ["classes": .strings(classes), "sample_names": .strings(["a.mzML", "b.mzML"])]]))
        }
    }

    @Test func minimalFileWithRank3MatricesAndInt32Labels() throws {
        let url = try TestPaths.temporaryDirectory().appendingPathComponent("min.h5")
        let file = try HDF5File.create(url)
        try file.root.writeDataset("X", shape: [2, 2, 3], values: (0..<12).map(Float.init))
        try file.root.writeDataset("y", shape: [2], values: [Int32(1), Int32(0)])
        try file.root.setAttribute("classes", .strings(["A", "B"], .vlenUTF8))
        try file.close()
        let ds = try PeakDataset.read(url)
        #expect(ds.matrixSize == 3 && ds.count == 2 && ds.y == [1, 0] && ds.valid == nil)
        #expect(ds.matrices([1]).scalars == (6..<12).map(Float.init))
        #expect(ds.matrices([1]).shape == [1, 2, 3, 1])
    }

    /// Writes a file with `build`, reads it, and returns the error's description.
    func readError(_ build: (HDF5Group) throws -> Void) throws -> String {
        let url = try TestPaths.temporaryDirectory().appendingPathComponent("bad.h5")
        let file = try HDF5File.create(url)
        try build(file.root)
        try file.close()
        do {
            _ = try PeakDataset.read(url)
            return "no error"
        } catch let error as PeakDatasetError {
            #expect(error.file == url.path)
            return error.problem
        }
    }

    func good(_ root: HDF5Group, skip: String = "") throws {
        if skip != "X" { try root.writeDataset("X", shape: [3, 2, 2, 1], values: [Float](repeating: 0.5, count: 12)) }
        if skip != "y" { try root.writeDataset("y", shape: [3], values: [Int64(0), 1, 0]) }
        if skip != "classes" { try root.setAttribute("classes", .strings(["A", "B"], .vlenUTF8)) }
    }

    @Test func missingParts() throws {
        #expect(try readError { try good($0, skip: "X") } == "no dataset 'X' (the peak matrices)")
        #expect(try readError { try good($0, skip: "y") } == "no dataset 'y' (class indices)")
        #expect(try readError { try good($0, skip: "classes") }.hasPrefix("no 'classes' attribute"))
    }

    @Test func wrongShapes() throws {
        #expect(
            try readError { root in
                try good(root, skip: "X")
                try root.writeDataset("X", shape: [3, 3, 2, 1], values: [Float](repeating: 0, count: 18))
            } == "X has shape (3, 3, 2, 1), expected (N, 2, n, 1) or (N, 2, n)")
        #expect(
            try readError { root in
                try good(root, skip: "y")
                try root.writeDataset("y", shape: [2], values: [Int64(0), 1])
            } == "y has shape (2,), expected (3,) to match X")
        #expect(
            try readError { root in
                try good(root)
                try root.writeDataset("mz", shape: [4], values: [1.0, 2, 3, 4])
            } == "mz has shape (4,), expected (3,) to match X")
        #expect(
            try readError { root in
                try good(root, skip: "y")
                try root.writeDataset("y", shape: [3], values: [0.0, 1, 0])
            } == "y has element type float64, expected integers")
    }

    @Test func labelsOutOfRange() throws {
        #expect(
            try readError { root in
                try good(root, skip: "y")
                try root.writeDataset("y", shape: [3], values: [Int64(0), 2, 0])
            } == "y: value 2 at row 1 is not a class index in 0..<2 (classes [\"A\", \"B\"])")
        #expect(
            try readError { root in
                try good(root, skip: "y")
                try root.writeDataset("y", shape: [3], values: [Int64(0), -1, 0])
            }.hasPrefix("y: value -1 at row 1"))
    }

    @Test func nanInValidMatrixIsAnErrorButIgnoredInInvalidOnes() throws {
        var values = [Float](repeating: 0.5, count: 12)
        values[4 + 3] = .nan  // matrix 1, row 1, column 1
        let x = values
        #expect(
            try readError { root in
                try good(root, skip: "X")
                try root.writeDataset("X", shape: [3, 2, 2, 1], values: x)
            } == "X: matrix 1 holds nan at (1, 1) (valid peaks' matrices must be finite)")
        let url = try TestPaths.temporaryDirectory().appendingPathComponent("invalid.h5")
        let file = try HDF5File.create(url)
        try good(file.root, skip: "X")
        try file.root.writeDataset("X", shape: [3, 2, 2, 1], values: x)
        try file.root.writeDataset("valid", shape: [3], values: [UInt8(1), 0, 1])
        try file.close()
        let ds = try PeakDataset.read(url)
        #expect(ds.valid == [true, false, true])
    }

    @Test func notAnHDF5FileOrMissing() throws {
        let dir = try TestPaths.temporaryDirectory()
        let missing = dir.appendingPathComponent("nope.h5")
        #expect(throws: PeakDatasetError(file: missing.path, problem: "no such file")) { try PeakDataset.read(missing) }
        do {
            _ = try PeakDataset.read(TestPaths.fixture("keras/png_renamed.h5"))
            Issue.record("a PNG was read as PEAKS.h5")
        } catch let error as PeakDatasetError {
            #expect(!error.description.contains("\n"))
            #expect(error.description.hasPrefix(TestPaths.fixture("keras/png_renamed.h5").path + ": "))
        }
    }

    @Test func writerRejectsInconsistentParts() throws {
        #expect(throws: PeakDatasetError.self) {
            try PeakDataset(classes: ["A", "A"], matrixSize: 1, x: [0, 0], y: [0])
        }
        #expect(throws: PeakDatasetError.self) {
            try PeakDataset(classes: ["A"], matrixSize: 2, x: [0, 0], y: [0])
        }
        #expect(throws: PeakDatasetError.self) {
            try PeakDataset(classes: ["A"], matrixSize: 1, x: [0, .infinity], y: [0])
        }
    }

    @Test func matricesReaderTakesClassesFromTheFile() throws {
        let url = try TestPaths.temporaryDirectory().appendingPathComponent("m.h5")
        let file = try HDF5File.create(url)
        try file.root.writeDataset("M", shape: [1, 2, 2], values: [Float](repeating: 1, count: 4))
        try file.root.setAttribute("classes", .strings(["x", "y"], .vlenUTF8))
        try file.close()
        let m = try PeakDataset.readMatrices(url, dataset: "M")
        #expect(m.count == 1 && m.matrixSize == 2 && m.classes == ["x", "y"] && m.tensor.shape == [1, 2, 2, 1])
        #expect(throws: PeakDatasetError(file: url.path, problem: "no dataset 'X' (the peak matrices)")) {
            try PeakDataset.readMatrices(url)
        }
    }
}
