import Foundation
import HDF5
import Support
import Tensor

// This file holds only the reader of plain matrix files for `neatms predict --matrices`; labelled peaks
// (PEAKS.h5) are `PeakDataset`, and their training batches `Batches`.

/// Reading peak matrices for prediction (`neatms predict --matrices FILE.h5`).
public enum MatrixInput {
    /// Arrays read from an HDF5 file for prediction: a float dataset `(N, …)` — NeatMS's peak matrices
    /// `(N, 2, n, 1)` or `(N, 2, n)`, or any model's inputs `(N, H, W, C)` or `(N, H, W)` — plus the
    /// file's `classes` attribute (on the dataset or the root) when present.
    public struct Matrices: Sendable, Equatable {
        /// `N × …sampleShape` floats, row-major.
        public var values: [Float]
        public var count: Int
        /// The shape of one sample (the dataset's shape without `N`).
        public var sampleShape: [Int]
        /// The `classes` attribute of the dataset or the root, if any.
        public var classes: [String]?

        /// `n` of NeatMS's `(2, n)` / `(2, n, 1)` matrices; nil for other shapes.
        public var matrixSize: Int? {
            guard sampleShape.count >= 2, sampleShape[0] == 2, sampleShape.count == 2 || sampleShape[2...] == [1]
            else { return nil }
            return sampleShape[1]
        }

        /// The samples as a `(N, …sampleShape)` tensor.
        public var tensor: Tensor { Tensor(shape: [count] + sampleShape, scalars: values) }
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
                    file: name,
                    problem:
                        "\(dataset): matrix \(bad / max(m.sampleShape.reduce(1, *), 1)) holds \(m.values[bad]) (values must be finite)"
                )
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
            throw MatrixInputError(
                file: file, problem: "\(dataset) has element type \(d.elementType), expected float32")
        }
        let shape = d.shape
        guard shape.count >= 2, shape.dropFirst().allSatisfy({ $0 >= 1 }) else {
            throw MatrixInputError(
                file: file,
                problem:
                    "\(dataset) has shape \(shapeText(shape)), expected (N, H, W, C) or (N, H, W) (e.g. (N, 2, n, 1))")
        }
        let values: [Float] = shape[0] == 0 ? [] : try d.read()
        return Matrices(values: values, count: shape[0], sampleShape: Array(shape.dropFirst()), classes: nil)
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
