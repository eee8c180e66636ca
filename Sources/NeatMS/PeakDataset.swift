import Foundation
import HDF5
import Tensor

/// Labelled peak matrices: what `neatms dataset` writes and `neatms train` / `neatms threshold` read
/// (the PEAKS.h5 format), and what `neatms train` writes beside a trained model as
/// `<model stem>.validation.h5` (the held-out validation peaks).
///
/// ## The PEAKS.h5 format (HDF5)
/// ```
/// /                 attributes:
///                     classes       1-D string array (UTF-8)  the class labels; y indexes into it. NeatMS's
///                                   order is the sorted label list (High_quality, Low_quality, Noise).
///                     sample_names  1-D string array (UTF-8)  optional: the samples `sample` indexes into
///                     format        string "neatmskit-peaks", version int64 1 (written; not required)
/// /X                float32 (N, 2, n, 1) or (N, 2, n)   one NeatMS matrix per peak (REFERENCE §2)
/// /y                integer (N)            class index of each peak, in 0..<classes.count
/// /valid            uint8 (N)              optional: 1 = valid matrix, 0 = invalid peak (its X row is
///                                          ignored; kept so batches are drawn exactly as NeatMS draws
///                                          them, REFERENCE §4). Absent: every peak is valid.
/// /sample           int64 (N)              optional: index into `sample_names` (the raw file of the peak)
/// /feature_id       int64 (N)              optional: the peak's feature ID in its table
/// /mz, /rt          float64 (N)            optional: the peak's m/z and retention time (minutes)
/// ```
/// Reading checks everything: the datasets `X`, `y` and the attribute `classes` must exist, `X` must
/// have one of the two shapes, `y` and every optional dataset must have N values, `y` must lie in
/// `0..<classes.count`, `classes` must be distinct, and valid peaks' matrices must be finite. Each
/// problem is a ``PeakDatasetError`` naming the file and the object. Files are written atomically.
public struct PeakDataset: Sendable, Equatable {
    /// Class labels; `y` holds indices into this list.
    public var classes: [String]
    /// n, the matrix width (matrices are `(2, n)`).
    public var matrixSize: Int
    /// The matrices, `N × 2 × n` floats, row-major.
    public var x: [Float]
    /// Class index of each peak.
    public var y: [Int]
    /// Whether each peak has a valid matrix (nil: all valid).
    public var valid: [Bool]?
    /// Sample (raw file) name of each peak.
    public var samples: [String]?
    /// Feature ID of each peak.
    public var featureID: [Int]?
    /// m/z of each peak.
    public var mz: [Double]?
    /// Retention time of each peak, minutes.
    public var rt: [Double]?

    /// Number of peaks N (valid or not).
    public var count: Int { y.count }

    /// A dataset from its parts; throws ``PeakDatasetError`` (file `"<memory>"`) when they do not fit
    /// together (same checks as reading).
    public init(
        classes: [String], matrixSize: Int, x: [Float], y: [Int], valid: [Bool]? = nil, samples: [String]? = nil,
        featureID: [Int]? = nil, mz: [Double]? = nil, rt: [Double]? = nil
    ) throws {
        self.classes = classes
        self.matrixSize = matrixSize
        self.x = x
        self.y = y
        self.valid = valid
        self.samples = samples
        self.featureID = featureID
        self.mz = mz
        self.rt = rt
        try validate(file: "<memory>")
    }

    /// Whether peak `i` has a valid matrix.
    public func isValid(_ i: Int) -> Bool { valid?[i] ?? true }

    /// The label of peak `i`.
    public func label(_ i: Int) -> String { classes[y[i]] }

    /// The matrices of `indices` as a `(k, 2, n, 1)` tensor, in that order.
    public func matrices(_ indices: [Int]) -> Tensor {
        let size = 2 * matrixSize
        var values = [Float](repeating: 0, count: indices.count * size)
        for (r, i) in indices.enumerated() {
            values.replaceSubrange((r * size)..<((r + 1) * size), with: x[(i * size)..<((i + 1) * size)])
        }
        return Tensor(shape: [indices.count, 2, matrixSize, 1], scalars: values)
    }

    /// The peaks at `indices`, in that order, with all their per-peak data.
    public func subset(_ indices: [Int]) -> PeakDataset {
        var copy = self
        copy.x = matrices(indices).scalars
        copy.y = indices.map { y[$0] }
        copy.valid = valid.map { v in indices.map { v[$0] } }
        copy.samples = samples.map { s in indices.map { s[$0] } }
        copy.featureID = featureID.map { f in indices.map { f[$0] } }
        copy.mz = mz.map { m in indices.map { m[$0] } }
        copy.rt = rt.map { r in indices.map { r[$0] } }
        return copy
    }

    // MARK: Reading

    /// Reads and checks a PEAKS.h5 file.
    public static func read(_ url: URL) throws -> PeakDataset {
        let name = url.relativePath
        return try PeakDatasetError.attributing(name) {
            let file = try HDF5File.open(url)
            defer { try? file.close() }
            let root = file.root
            guard let classes = try root.stringListAttribute("classes") else {
                throw PeakDatasetError(file: name, problem: "no 'classes' attribute on the root (the class labels y indexes into)")
            }
            let matrices = try readMatrices(root, dataset: "X", file: name)
            let n = matrices.count
            guard root.contains("y") else { throw PeakDatasetError(file: name, problem: "no dataset 'y' (class indices)") }
            let y = try integers(root, "y", count: n, file: name)
            var valid: [Bool]? = nil
            if root.contains("valid") { valid = try integers(root, "valid", count: n, file: name).map { $0 != 0 } }
            var samples: [String]? = nil
            if root.contains("sample") {
                let index = try integers(root, "sample", count: n, file: name)
                let names = try root.stringListAttribute("sample_names") ?? []
                samples = try index.enumerated().map { i, s in
                    guard s >= 0 && s < names.count else {
                        throw PeakDatasetError(
                            file: name,
                            problem: "sample: value \(s) at row \(i) is not an index into sample_names (\(names.count) names)")
                    }
                    return names[s]
                }
            }
            let featureID = root.contains("feature_id") ? try integers(root, "feature_id", count: n, file: name) : nil
            let mz = root.contains("mz") ? try doubles(root, "mz", count: n, file: name) : nil
            let rt = root.contains("rt") ? try doubles(root, "rt", count: n, file: name) : nil
            var dataset = PeakDataset(
                unchecked: classes, matrixSize: matrices.matrixSize, x: matrices.values, y: y)
            dataset.valid = valid
            dataset.samples = samples
            dataset.featureID = featureID
            dataset.mz = mz
            dataset.rt = rt
            try dataset.validate(file: name)
            return dataset
        }
    }

    /// Matrices read from an HDF5 file for prediction: a float dataset `(N, 2, n, 1)` or `(N, 2, n)`
    /// plus the file's `classes` attribute (on the dataset or the root) when present.
    public struct Matrices: Sendable, Equatable {
        /// `N × 2 × n` floats, row-major.
        public var values: [Float]
        public var count: Int
        public var matrixSize: Int
        /// The `classes` attribute of the dataset or the root, if any.
        public var classes: [String]?

        /// The matrices as a `(N, 2, n, 1)` tensor.
        public var tensor: Tensor { Tensor(shape: [count, 2, matrixSize, 1], scalars: values) }
    }

    /// Reads the matrices in `dataset` (default `X`) of an HDF5 file, e.g. for `neatms predict
    /// --matrices`. Every value must be finite.
    public static func readMatrices(_ url: URL, dataset: String = "X") throws -> Matrices {
        let name = url.relativePath
        return try PeakDatasetError.attributing(name) {
            let file = try HDF5File.open(url)
            defer { try? file.close() }
            var m = try readMatrices(file.root, dataset: dataset, file: name)
            if let bad = m.values.firstIndex(where: { !$0.isFinite }) {
                throw PeakDatasetError(
                    file: name, problem: "\(dataset): matrix \(bad / (2 * m.matrixSize)) holds \(m.values[bad]) (values must be finite)")
            }
            if file.root.contains(dataset), let c = try file.root.dataset(dataset).stringListAttribute("classes") {
                m.classes = c
            } else {
                m.classes = try file.root.stringListAttribute("classes")
            }
            return m
        }
    }

    private static func readMatrices(_ root: HDF5Group, dataset: String, file: String) throws -> Matrices {
        guard let kind = try root.kind(of: dataset) else {
            throw PeakDatasetError(file: file, problem: "no dataset '\(dataset)' (the peak matrices)")
        }
        guard kind == .dataset else {
            throw PeakDatasetError(file: file, problem: "'\(dataset)' is a \(kind), not a dataset")
        }
        let d = try root.dataset(dataset)
        switch d.elementType {
        case .float32, .float64: break
        default:
            throw PeakDatasetError(file: file, problem: "\(dataset) has element type \(d.elementType), expected float32")
        }
        let shape = d.shape
        guard (shape.count == 4 && shape[3] == 1 || shape.count == 3) && shape[1] == 2 && shape[2] >= 1 else {
            throw PeakDatasetError(
                file: file, problem: "\(dataset) has shape \(shapeText(shape)), expected (N, 2, n, 1) or (N, 2, n)")
        }
        let values: [Float] = shape[0] == 0 ? [] : try d.read()
        return Matrices(values: values, count: shape[0], matrixSize: shape[2], classes: nil)
    }

    private static func integers(_ root: HDF5Group, _ key: String, count: Int, file: String) throws -> [Int] {
        let d = try root.dataset(key)
        switch d.elementType {
        case .int32, .int64, .uint8: break
        default: throw PeakDatasetError(file: file, problem: "\(key) has element type \(d.elementType), expected integers")
        }
        guard d.shape == [count] else {
            throw PeakDatasetError(file: file, problem: "\(key) has shape \(shapeText(d.shape)), expected (\(count),) to match X")
        }
        return count == 0 ? [] : try d.read(as: Int64.self).map { Int($0) }
    }

    private static func doubles(_ root: HDF5Group, _ key: String, count: Int, file: String) throws -> [Double] {
        let d = try root.dataset(key)
        guard d.shape == [count] else {
            throw PeakDatasetError(file: file, problem: "\(key) has shape \(shapeText(d.shape)), expected (\(count),) to match X")
        }
        return count == 0 ? [] : try d.read(as: Double.self)
    }

    // MARK: Writing

    /// Writes the dataset to `url` atomically (a temporary file in the same folder, then a rename).
    /// `X` is written `(N, 2, n, 1)`; optional per-peak data only when present.
    public func write(to url: URL) throws {
        let name = url.relativePath
        try validate(file: name)
        let folder = url.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try PeakDatasetError.attributing(name) {
                let file = try HDF5File.create(temporary)
                defer { try? file.close() }
                let root = file.root
                try root.setAttribute("classes", .strings(classes, .vlenUTF8))
                try root.setAttribute("format", .string("neatmskit-peaks", .vlenUTF8))
                try root.setAttribute("version", .int64(1))
                let n = count
                if n == 0 {
                    try root.createDataset("X", type: .float32, shape: [0, 2, matrixSize, 1])
                } else {
                    try root.writeDataset("X", shape: [n, 2, matrixSize, 1], values: x)
                }
                func ints(_ key: String, _ values: [Int64]) throws {
                    if values.isEmpty {
                        try root.createDataset(key, type: .int64, shape: [0])
                    } else {
                        try root.writeDataset(key, shape: [values.count], values: values)
                    }
                }
                func doubles(_ key: String, _ values: [Double]) throws {
                    if values.isEmpty {
                        try root.createDataset(key, type: .float64, shape: [0])
                    } else {
                        try root.writeDataset(key, shape: [values.count], values: values)
                    }
                }
                try ints("y", y.map { Int64($0) })
                if let valid {
                    if valid.isEmpty {
                        try root.createDataset("valid", type: .uint8, shape: [0])
                    } else {
                        try root.writeDataset("valid", shape: [n], values: valid.map { UInt8($0 ? 1 : 0) })
                    }
                }
                if let samples {
                    var names: [String] = []
                    var index: [String: Int] = [:]
                    let positions = samples.map { s -> Int64 in
                        if let i = index[s] { return Int64(i) }
                        index[s] = names.count
                        names.append(s)
                        return Int64(names.count - 1)
                    }
                    if !names.isEmpty { try root.setAttribute("sample_names", .strings(names, .vlenUTF8)) }
                    try ints("sample", positions)
                }
                if let featureID { try ints("feature_id", featureID.map { Int64($0) }) }
                if let mz { try doubles("mz", mz) }
                if let rt { try doubles("rt", rt) }
                try file.close()
            }
            guard rename(temporary.path, url.path) == 0 else {
                throw PeakDatasetError(
                    file: name, problem: "cannot move the written file into place: \(String(cString: strerror(errno)))")
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }

    // MARK: Checks

    private init(unchecked classes: [String], matrixSize: Int, x: [Float], y: [Int]) {
        self.classes = classes
        self.matrixSize = matrixSize
        self.x = x
        self.y = y
    }

    /// Checks that the parts fit together; errors name `file`.
    func validate(file: String) throws {
        func fail(_ problem: String) -> PeakDatasetError { PeakDatasetError(file: file, problem: problem) }
        guard !classes.isEmpty else { throw fail("classes is empty (at least one class label is needed)") }
        guard Set(classes).count == classes.count else {
            throw fail("classes \(classes) holds a label twice")
        }
        guard matrixSize >= 1 else { throw fail("matrix size \(matrixSize) must be at least 1") }
        let n = y.count
        let size = 2 * matrixSize
        guard x.count == n * size else {
            throw fail("X holds \(x.count) values, expected \(n) matrices of (2, \(matrixSize)) = \(n * size)")
        }
        if let bad = y.firstIndex(where: { $0 < 0 || $0 >= classes.count }) {
            throw fail("y: value \(y[bad]) at row \(bad) is not a class index in 0..<\(classes.count) (classes \(classes))")
        }
        func checkCount(_ key: String, _ c: Int?) throws {
            if let c, c != n { throw fail("\(key) has \(c) values, expected \(n) to match X") }
        }
        try checkCount("valid", valid?.count)
        try checkCount("sample", samples?.count)
        try checkCount("feature_id", featureID?.count)
        try checkCount("mz", mz?.count)
        try checkCount("rt", rt?.count)
        for i in 0..<n where isValid(i) {
            for j in (i * size)..<((i + 1) * size) where !x[j].isFinite {
                throw fail("X: matrix \(i) holds \(x[j]) at (\(j % size / matrixSize), \(j % matrixSize)) (valid peaks' matrices must be finite)")
            }
        }
    }
}

/// A PEAKS.h5 or matrices file that cannot be read or written; one line `<file>: <problem>`.
public struct PeakDatasetError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file as the user named it.
    public var file: String
    public var problem: String

    public init(file: String, problem: String) {
        self.file = file
        self.problem = problem
    }

    public var description: String { "\(file): \(problem)" }

    /// Runs `body`, turning HDF5 errors into `PeakDatasetError`s naming `file`.
    static func attributing<T>(_ file: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PeakDatasetError {
            throw error
        } catch let error as HDF5Error {
            var text = error.object.map { $0 == "/" || $0.isEmpty ? "" : "\($0): " } ?? ""
            text += error.message
            throw PeakDatasetError(file: file, problem: text)
        } catch {
            let text = String(describing: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            throw PeakDatasetError(file: file, problem: text)
        }
    }
}

/// `(4, 2, 16, 1)`-style text for a shape.
func shapeText(_ shape: [Int]) -> String {
    shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
}
