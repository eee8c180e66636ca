import Foundation
import HDF5
import NeatMS
import TestSupport
import Testing

/// `PeakDataset` helpers `neatms train` uses: finite check, row tensors, relabelled parts.
@Suite struct TrainingDataTests {
    /// 4 peaks of (2, 3) matrices whose values are their flat positions; classes A, B, C.
    func dataset(_ x: [Float]? = nil) -> PeakDataset {
        let n = 4
        return PeakDataset(
            classes: ["A", "B", "C"], samples: ["s1", "s2"], options: MatrixOptions(size: 3),
            x: x ?? (0..<(n * 6)).map(Float.init), y: [0, 1, 2, 1], sample: [0, 0, 1, 1], featureID: [10, 11, 12, 13],
            peakIndexInSample: [0, 1, 0, 1], mz: [100, 101, 102, 103], rt: [1, 2, 3, 4], labelOrder: [3, 2, 1, 0],
            invalidY: [2], invalidLabelOrder: [4])
    }

    @Test func matricesOfRowsInOrder() {
        let t = dataset().matrices([2, 0])
        #expect(t.shape == [2, 2, 3, 1])
        #expect(t.scalars == (12..<18).map(Float.init) + (0..<6).map(Float.init))
        #expect(dataset().matrices([]).shape == [0, 2, 3, 1])
    }

    @Test func checkFiniteNamesMatrixAndPosition() throws {
        try dataset().checkFinite(file: "p.h5")
        var x = (0..<24).map(Float.init)
        x[6 + 4] = -.infinity  // matrix 1, row 1, column 1
        #expect(throws: MatrixInputError.self) { try dataset(x).checkFinite(file: "p.h5") }
        do {
            try dataset(x).checkFinite(file: "p.h5")
        } catch let e as MatrixInputError {
            #expect(e.description == "p.h5: X: matrix 1 holds -inf at (1, 1) (matrices must be finite)")
        }
    }

    /// A PEAKS.h5 whose `y` holds floats, or whose classes repeat a name, is refused (not truncated to
    /// integers, not merged into fewer classes).
    @Test func floatLabelsAndRepeatedClassesAreRefused() throws {
        let folder = try TestPaths.temporaryDirectory("peaks-bad")
        defer { try? FileManager.default.removeItem(at: folder) }
        let good = folder.appendingPathComponent("good.h5")
        try dataset().write(to: good)
        #expect(try PeakDataset.read(good).y == [0, 1, 2, 1])

        let floatY = folder.appendingPathComponent("float-y.h5")
        try FileManager.default.copyItem(at: good, to: floatY)
        do {
            let file = try HDF5File.open(floatY, writable: true)
            try file.root.deleteLink("y")
            try file.root.writeDataset("y", shape: [4], values: [0.5, 1.5, 2.5, 1.5] as [Double])
            try file.close()
        }
        let floatError = try #require(throws: MatrixInputError.self) { try PeakDataset.read(floatY) }
        #expect(floatError.description == "\(floatY.path): y holds float64 values, integers expected")

        let repeated = folder.appendingPathComponent("repeated.h5")
        try FileManager.default.copyItem(at: good, to: repeated)
        do {
            let file = try HDF5File.open(repeated, writable: true)
            try file.root.setAttribute("classes", .strings(["A", "B", "A"], .vlenUTF8))
            try file.close()
        }
        let repeatedError = try #require(throws: MatrixInputError.self) { try PeakDataset.read(repeated) }
        #expect(repeatedError.description == "\(repeated.path): the classes attribute lists 'A' twice (A, B, A)")
    }

    @Test func partKeepsPeakDetailsWithMergedLabels() throws {
        let ds = dataset()
        let batches = try Batches(
            dataset: ds,
            options: BatchOptions(validationSplit: 0, mergeClasses: ClassMerge(labels: ["B", "C"], into: "BC")))
        #expect(batches.classes == ["A", "BC"])
        let part = ds.part([3, 0], of: batches)
        #expect(part.classes == ["A", "BC"])
        #expect(part.y == [1, 0])
        #expect(part.x == (18..<24).map(Float.init) + (0..<6).map(Float.init))
        #expect(part.featureID == [13, 10])
        #expect(part.sample == [1, 0])
        #expect(part.mz == [103, 100])
        #expect(part.rt == [4, 1])
        #expect(part.labelOrder == [0, 3])
        #expect(part.samples == ["s1", "s2"])
        #expect(part.invalidY.isEmpty && part.invalidLabelOrder.isEmpty)
    }
}
