import Support

/// Why a peak has no matrix (NeatMS marks such peaks invalid: never trained on, never labelled).
public enum InvalidPeakReason: Sendable, Equatable, CustomStringConvertible {
    /// The table gives no RT start/end or m/z min/max for the peak.
    case missingWindow
    /// At most one scan holds points in the peak's m/z range inside the margin window.
    case noSignal
    /// Fewer than `min_scan_num` scans with points fall inside [rt_start, rt_end].
    case tooFewScans(Int)
    /// After subtracting the minimum the chromatogram is zero everywhere (NeatMS would divide by zero
    /// and feed NaN to the network).
    case flatChromatogram

    public var description: String {
        switch self {
        case .missingWindow: return "the table gives no complete RT/m/z window"
        case .noSignal: return "at most one scan has signal in the window"
        case .tooFewScans(let n): return "only \(n) scan(s) with signal between RT start and RT end"
        case .flatChromatogram: return "flat chromatogram (all intensities equal)"
        }
    }
}

/// The matrix of one valid peak, or why there is none.
public enum PeakMatrixResult: Sendable, Equatable {
    /// `values` holds the (2, n) matrix row-major: n normalised intensities, then n mask values.
    /// `scanNumber` is NeatMS's `scan_number`: scans with signal inside [rt_start, rt_end].
    case valid(values: [Float], scanNumber: Int)
    case invalid(InvalidPeakReason)
}

/// Turns peaks into NeatMS's (2, n) matrices (docs/NEATMS-BEHAVIOUR.md#matrices), numerically as NeatMS 0.9 does:
/// the same window arithmetic, inclusive bounds, per-scan sums in numpy's pairwise order, numpy's
/// `linspace` and `interp`, baseline and normalisation in float64, then float32.
public enum PeakMatrixBuilder {
    /// The matrix for `window` in `scans`.
    public static func matrix(for window: PeakWindow?, in scans: MS1Scans, options: MatrixOptions) -> PeakMatrixResult {
        var buffers = ChromatogramBuffers()
        return matrix(for: window, in: scans, options: options, buffers: &buffers)
    }

    /// The chromatogram arrays of one peak, reused from peak to peak by callers that build many.
    struct ChromatogramBuffers {
        var rt: [Double] = []
        var intensity: [Double] = []
    }

    /// The matrix for `window` in `scans`, extracting the chromatogram into `buffers`.
    static func matrix(
        for window: PeakWindow?, in scans: MS1Scans, options: MatrixOptions, buffers: inout ChromatogramBuffers
    ) -> PeakMatrixResult {
        guard let window else { return .invalid(.missingWindow) }
        extractChromatogram(
            window: window, scans: scans, margin: options.margin, rt: &buffers.rt, intensity: &buffers.intensity)
        return matrix(
            window: window, chromatogramRT: buffers.rt, chromatogramIntensity: buffers.intensity, options: options)
    }

    /// What NeatMS sees of one peak, for display: the chromatogram over the margin window, the matrix (or
    /// why there is none), and the matrix's grid times with the scale that maps its normalised values back
    /// onto the chromatogram's intensities (`baseline + value * scale`).
    public struct Trace: Sendable, Equatable {
        /// Scans with signal in the m/z window inside the margin window: time (minutes) and summed intensity.
        public var rt: [Double]
        public var intensity: [Double]
        /// The margin window [lo, hi].
        public var lo: Double
        public var hi: Double
        public var matrix: PeakMatrixResult
        /// The n grid times of the matrix (`linspace(lo, hi, n)`); empty without signal.
        public var gridRT: [Double]
        /// The chromatogram's minimum (subtracted before interpolation) and the maximum of the interpolated
        /// values (divided by), so that `baseline + value * scale` is the matrix value in intensity units.
        public var baseline: Double
        public var scale: Double
    }

    /// The trace of `window` in `scans` (see `Trace`); the matrix is exactly `matrix(for:in:options:)`'s.
    public static func trace(for window: PeakWindow, in scans: MS1Scans, options: MatrixOptions) -> Trace {
        var rt: [Double] = []
        var intensity: [Double] = []
        extractChromatogram(window: window, scans: scans, margin: options.margin, rt: &rt, intensity: &intensity)
        let result = matrix(window: window, chromatogramRT: rt, chromatogramIntensity: intensity, options: options)
        let (lo, hi) = marginWindow(window, margin: options.margin)
        var trace = Trace(
            rt: rt, intensity: intensity, lo: lo, hi: hi, matrix: result, gridRT: [], baseline: 0, scale: 0)
        if let minimum = intensity.min(), rt.count > 1 {
            trace.gridRT = linspace(lo, hi, options.size)
            trace.baseline = minimum
            trace.scale = interpolate(trace.gridRT, rt, intensity.map { $0 - minimum }).max() ?? 0
        }
        return trace
    }

    /// NeatMS's margin window [lo, hi] around a peak.
    public static func marginWindow(_ window: PeakWindow, margin: Double) -> (lo: Double, hi: Double) {
        guard margin != 0 else { return (window.rtStart, window.rtEnd) }
        let width = window.rtEnd - window.rtStart
        return (window.rtStart - width * margin, window.rtEnd + width * margin)
    }

    /// Sums, per scan in [lo, hi], the intensities of points with mz_min <= m/z <= mz_max; scans without
    /// such points are left out.
    static func extractChromatogram(
        window: PeakWindow, scans: MS1Scans, margin: Double,
        rt: inout [Double], intensity: inout [Double]
    ) {
        rt.removeAll(keepingCapacity: true)
        intensity.removeAll(keepingCapacity: true)
        let (lo, hi) = marginWindow(window, margin: margin)
        // No m/z satisfies mz_min <= m/z <= mz_max when mz_min > mz_max or either bound is NaN.
        guard lo <= hi, window.mzMin <= window.mzMax else { return }
        var scan = scans.firstScan(atOrAfter: lo)
        while scan < scans.count, scans.rt[scan] <= hi {
            // The scan's points in [mz_min, mz_max] are contiguous (ascending m/z): sum them in place.
            let first = scans.firstPoint(inScan: scan, atOrAbove: window.mzMin)
            let end = scans.offsets[scan + 1]
            var p = first
            while p < end, scans.mz[p] <= window.mzMax { p += 1 }
            if p > first {
                rt.append(scans.rt[scan])
                intensity.append(pairwiseSum(scans.intensity, first, p - first))
            }
            scan += 1
        }
    }

    /// The matrix from an extracted chromatogram (ascending, distinct times).
    static func matrix(
        window: PeakWindow, chromatogramRT: [Double], chromatogramIntensity: [Double], options: MatrixOptions
    ) -> PeakMatrixResult {
        let scansWithSignal = chromatogramRT.count
        guard scansWithSignal > 1 else { return .invalid(.noSignal) }
        var scanNumber = 0
        for time in chromatogramRT where time >= window.rtStart && time <= window.rtEnd { scanNumber += 1 }
        guard scanNumber >= options.minScans else { return .invalid(.tooFewScans(scanNumber)) }

        var minimum = chromatogramIntensity[0]
        for value in chromatogramIntensity where value < minimum { minimum = value }
        let baseline = chromatogramIntensity.map { $0 - minimum }

        let n = options.size
        let (lo, hi) = marginWindow(window, margin: options.margin)
        let x = linspace(lo, hi, n)
        var y = interpolate(x, chromatogramRT, baseline)
        var maximum = -Double.infinity
        for value in y where value > maximum { maximum = value }
        guard maximum > 0, maximum.isFinite else { return .invalid(.flatChromatogram) }
        for j in 0..<n { y[j] /= maximum }

        var values = [Float](repeating: 0, count: 2 * n)
        for j in 0..<n {
            values[j] = Float(y[j])
            values[n + j] = x[j] >= window.rtStart && x[j] <= window.rtEnd ? 1 : 0
        }
        return .valid(values: values, scanNumber: scanNumber)
    }

    /// numpy's `linspace(start, stop, num)`: `j * step + start`, the last value exactly `stop`.
    static func linspace(_ start: Double, _ stop: Double, _ count: Int) -> [Double] {
        guard count > 0 else { return [] }
        guard count > 1 else { return [start] }
        let divisions = Double(count - 1)
        let delta = stop - start
        let step = delta / divisions
        var values = [Double](repeating: 0, count: count)
        for j in 0..<count {
            values[j] = step == 0 ? (Double(j) / divisions) * delta + start : Double(j) * step + start
        }
        values[count - 1] = stop
        return values
    }

    /// numpy's `interp(x, xp, fp, left=0, right=0)` for ascending `xp` (same branches and arithmetic).
    static func interpolate(_ x: [Double], _ xp: [Double], _ fp: [Double]) -> [Double] {
        let count = xp.count
        var result = [Double](repeating: 0, count: x.count)
        guard count > 0 else { return result }
        for (i, value) in x.enumerated() {
            if value.isNaN {
                result[i] = value
            } else if value > xp[count - 1] || value < xp[0] {
                result[i] = 0
            } else if value == xp[count - 1] {
                result[i] = fp[count - 1]
            } else {
                // Largest j with xp[j] <= value (value < xp[last] here).
                var low = 0
                var high = count - 1
                while high - low > 1 {
                    let mid = (low + high) / 2
                    if xp[mid] <= value { low = mid } else { high = mid }
                }
                let j = low
                if xp[j] == value {
                    result[i] = fp[j]
                } else {
                    let slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j])
                    var y = slope * (value - xp[j]) + fp[j]
                    if y.isNaN {
                        y = slope * (value - xp[j + 1]) + fp[j + 1]
                        if y.isNaN, fp[j] == fp[j + 1] { y = fp[j] }
                    }
                    result[i] = y
                }
            }
        }
        return result
    }

    /// numpy's pairwise summation of `values[start ..< start + count]` (8 accumulators below 128 values,
    /// halves above), so per-scan sums round as NeatMS's do.
    static func pairwiseSum(_ values: [Double], _ start: Int, _ count: Int) -> Double {
        if count < 8 {
            var sum = 0.0
            for i in start..<(start + count) { sum += values[i] }
            return sum
        } else if count <= 128 {
            var r0 = values[start]
            var r1 = values[start + 1]
            var r2 = values[start + 2]
            var r3 = values[start + 3]
            var r4 = values[start + 4]
            var r5 = values[start + 5]
            var r6 = values[start + 6]
            var r7 = values[start + 7]
            var i = 8
            let blockEnd = count - count % 8
            while i < blockEnd {
                r0 += values[start + i]
                r1 += values[start + i + 1]
                r2 += values[start + i + 2]
                r3 += values[start + i + 3]
                r4 += values[start + i + 4]
                r5 += values[start + i + 5]
                r6 += values[start + i + 6]
                r7 += values[start + i + 7]
                i += 8
            }
            var sum = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
            while i < count {
                sum += values[start + i]
                i += 1
            }
            return sum
        } else {
            var half = count / 2
            half -= half % 8
            return pairwiseSum(values, start, half) + pairwiseSum(values, start + half, count - half)
        }
    }
}
