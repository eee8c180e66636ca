import Foundation

/// pymzml's centroiding of profile spectra — what `spectrum.peaks("centroided")` returns for a spectrum
/// marked "profile spectrum" (MS:1000128) in pymzml 2.x, and so what NeatMS reads from profile data.
///
/// For every point at position 2 … count − 2 that is a strict local maximum with both neighbours above zero
/// (`0 < y[i-1] < y[i] > y[i+1] > 0`), a Gaussian is fitted through the three points (x1, y1), (x2, y2),
/// (x3, y3) and its centre μ and height A become one centroid. As in pymzml:
/// - positions 0 and 1 are never centroided, nor is the last point;
/// - a maximum whose two spacings differ by more than a factor of ten is skipped;
/// - when y3 == y1, y3 is raised by 1% of y1 before the fit;
/// - a fit that divides by zero is skipped (pymzml catches `ZeroDivisionError`); fits whose logarithm or
///   exponential is undefined or overflows (where pymzml itself stops with an error) are skipped too.
/// The arithmetic follows pymzml's expressions operation by operation, so the centroids are the same
/// binary64 numbers.
public enum ProfileCentroiding {
    /// Appends the centroids of one profile spectrum (points in file order) to `centroidMZ` and
    /// `centroidIntensity`.
    public static func appendCentroids(
        mz: UnsafeBufferPointer<Double>, intensity: UnsafeBufferPointer<Double>,
        to centroidMZ: inout [Double], _ centroidIntensity: inout [Double]
    ) {
        let count = min(mz.count, intensity.count)
        guard count >= 4 else { return }
        for position in 2..<(count - 1) {
            let y1 = intensity[position - 1]
            let y2 = intensity[position]
            var y3 = intensity[position + 1]
            guard 0 < y1, y1 < y2, y2 > y3, y3 > 0 else { continue }
            let x1 = mz[position - 1]
            let x2 = mz[position]
            let x3 = mz[position + 1]
            if x2 - x1 > (x3 - x2) * 10 || (x2 - x1) * 10 < x3 - x2 { continue }
            if y3 == y1 { y3 += 0.01 * y1 }
            guard let centroid = fit(x1, y1, x2, y2, x3, y3) else { continue }
            centroidMZ.append(centroid.mz)
            centroidIntensity.append(centroid.intensity)
        }
    }

    /// The centroids of one profile spectrum.
    public static func centroids(mz: [Double], intensity: [Double]) -> (mz: [Double], intensity: [Double]) {
        var outMZ: [Double] = []
        var outIntensity: [Double] = []
        mz.withUnsafeBufferPointer { mzBuffer in
            intensity.withUnsafeBufferPointer { intensityBuffer in
                appendCentroids(mz: mzBuffer, intensity: intensityBuffer, to: &outMZ, &outIntensity)
            }
        }
        return (outMZ, outIntensity)
    }

    /// pymzml's Gauss fit through three points; nil where pymzml divides by zero (or fails).
    private static func fit(
        _ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, _ x3: Double, _ y3: Double
    ) -> (mz: Double, intensity: Double)? {
        let logRatio31 = log(y3 / y1)
        guard logRatio31 != 0, logRatio31.isFinite else { return nil }
        let doubleLog = log(y2 / y1) / logRatio31
        let muDenominator = 2 * (x2 - x1) - 2 * doubleLog * (x3 - x1)
        guard muDenominator != 0 else { return nil }
        let mu = (doubleLog * (x1 * x1 - x3 * x3) - x1 * x1 + x2 * x2) / muDenominator
        let cDenominator = 2 * log(y1 / y2)
        guard cDenominator != 0 else { return nil }
        let cSquared = (x2 * x2 - x1 * x1 - 2 * x2 * mu + 2 * x1 * mu) / cDenominator
        guard cSquared != 0 else { return nil }
        let height = y1 * exp((x1 - mu) * (x1 - mu) / (2 * cSquared))
        guard mu.isFinite, height.isFinite else { return nil }
        return (mu, height)
    }
}
