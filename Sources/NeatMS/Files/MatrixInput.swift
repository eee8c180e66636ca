import Foundation
import HDF5
import Support
import Tensor

// This file holds only the reader of plain matrix files for `neatms predict --matrices`; labelled peaks
// (PEAKS.h5) are `PeakDataset`, and their training batches `Batches`.

/// Reading peak matrices for prediction (`neatms predict --matrices FILE.h5`).
public enum MatrixInput {
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
        return try MatrixInputError.attributing(name) {
            let file = try HDF5File.open(url)
            defer { try? file.close() }
            var m = try readMatrices(file.root, dataset: dataset, file: name)
            if let bad = m.values.firstIndex(where: { !$0.isFinite }) {
                throw MatrixInputError(
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
            throw MatrixInputError(file: file, problem: "no dataset '\(dataset)' (the peak matrices)")
        }
        guard kind == .dataset else {
            throw MatrixInputError(file: file, problem: "'\(dataset)' is a \(kind), not a dataset")
        }
        let d = try root.dataset(dataset)
        switch d.elementType {
        case .float32, .float64: break
        default:
            throw MatrixInputError(file: file, problem: "\(dataset) has element type \(d.elementType), expected float32")
        }
        let shape = d.shape
        guard (shape.count == 4 && shape[3] == 1 || shape.count == 3) && shape[1] == 2 && shape[2] >= 1 else {
            throw MatrixInputError(
                file: file, problem: "\(dataset) has shape \(shapeText(shape)), expected (N, 2, n, 1) or (N, 2, n)")
        }
        let values: [Float] = shape[0] == 0 ? [] : try d.read()
        return Matrices(values: values, count: shape[0], matrixSize: shape[2], classes: nil)
    }
}

/// A matrices or peaks file (`predict --matrices`, `extract` output, PEAKS.h5) that cannot be read or
/// whose contents do not fit together; one line `<file>: <problem>`.
public struct MatrixInputError: LocatedError, Equatable, Sendable {
    /// The file as the user named it.
    public var file: String?
    public var problem: String

    public init(file: String, problem: String) {
        self.file = file
        self.problem = problem
    }

    /// Runs `body`, turning other errors into `MatrixInputError`s naming `file`: a `LocatedError` (HDF5)
    /// gives its location and problem, anything else its first line.
    static func attributing<T>(_ file: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as MatrixInputError {
            throw error
        } catch let error as any LocatedError {
            throw MatrixInputError(file: file, problem: error.withoutFile)
        } catch {
            throw MatrixInputError(file: file, problem: oneLine("\(error)"))
        }
    }
}

/// `(4, 2, 16, 1)`-style text for a shape.
func shapeText(_ shape: [Int]) -> String {
    shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
}
