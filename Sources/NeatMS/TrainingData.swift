import Foundation
import Tensor

/// What `neatms train` needs from a PEAKS.h5 dataset beyond reading it: finite matrices (tensors of
/// chosen rows and relabelled parts of a batch split are in Batches.swift).
extension PeakDataset {
    /// Throws when a matrix holds NaN or ±infinity (NeatMS produces NaN for a flat chromatogram);
    /// the error names `file`, the matrix row and the position in it.
    public func checkFinite(file: String) throws {
        let size = 2 * options.size
        guard let bad = x.firstIndex(where: { !$0.isFinite }) else { return }
        let within = bad % size
        throw MatrixFile.FormatError(
            file: file,
            message: "X: matrix \(bad / size) holds \(x[bad]) at (\(within / options.size), \(within % options.size)) "
                + "(matrices must be finite)")
    }
}
