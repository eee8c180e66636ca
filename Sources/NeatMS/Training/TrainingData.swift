import Foundation
import Tensor

/// What `neatms train` needs from a PEAKS.h5 dataset beyond reading it: finite matrices, tensors of
/// chosen rows, and the relabelled parts of a batch split (the held-out validation file).
extension PeakDataset {
    /// Throws when a matrix holds NaN or ±infinity (NeatMS produces NaN for a flat chromatogram);
    /// the error names `file`, the matrix row and the position in it.
    public func checkFinite(file: String) throws {
        let size = 2 * options.size
        guard let bad = x.firstIndex(where: { !$0.isFinite }) else { return }
        let within = bad % size
        throw MatrixInputError(
            file: file,
            problem: "X: matrix \(bad / size) holds \(x[bad]) at (\(within / options.size), \(within % options.size)) "
                + "(matrices must be finite)")
    }

    /// The matrices of `rows`, in that order, as a `(k, 2, n, 1)` tensor.
    public func matrices(_ rows: [Int]) -> Tensor {
        var values: [Float] = []
        values.reserveCapacity(rows.count * 2 * options.size)
        for r in rows { values += matrix(r) }
        return Tensor(shape: [rows.count, 2, options.size, 1], scalars: values)
    }

    /// The peaks at `rows` with `batches`' (merged, sorted) classes, every per-peak detail kept: e.g. the
    /// validation part that `neatms train` writes for `neatms threshold`.
    public func part(_ rows: [Int], of batches: Batches) -> PeakDataset {
        PeakDataset(
            classes: batches.classes, samples: samples, options: options, x: matrices(rows).scalars,
            y: rows.map { batches.labels[$0] }, sample: rows.map { sample[$0] }, featureID: rows.map { featureID[$0] },
            peakIndexInSample: rows.map { peakIndexInSample[$0] }, mz: rows.map { mz[$0] }, rt: rows.map { rt[$0] },
            labelOrder: rows.map { labelOrder[$0] }, invalidY: [], invalidLabelOrder: [])
    }
}
