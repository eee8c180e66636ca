import MassSpec

/// The MS1 scans of one run, prepared for chromatogram extraction: one entry per distinct retention time,
/// ascending, each with its points sorted by m/z, stored in three flat arrays.
///
/// NeatMS groups a peak's points by retention-time value and sums the intensities of each group, so two
/// spectra with the same scan time act as one scan; merging them here gives the same chromatograms.
public struct MS1Scans: Sendable, Equatable {
    /// Retention time (minutes) of each scan, strictly ascending.
    public private(set) var rt: [Double]
    /// `rt.count + 1` offsets: scan `i` owns points `offsets[i] ..< offsets[i + 1]`.
    public private(set) var offsets: [Int]
    /// m/z of all points, ascending within each scan.
    public private(set) var mz: [Double]
    /// Intensity of each point.
    public private(set) var intensity: [Double]

    /// Builds the scans from spectra in any order (file order is typical).
    ///
    /// Spectra of another MS level are skipped. Within a scan, points keep their file order when it is
    /// already ascending in m/z (the normal case); otherwise they are sorted by m/z, stably.
    public init(spectra: [Spectrum]) {
        let ms1 = spectra.filter { $0.msLevel == 1 }
        var rt: [Double] = []
        var offsets: [Int] = [0]
        var offsetsIn: [Int] = [0]
        var mz: [Double] = []
        var intensity: [Double] = []
        for spectrum in ms1 {
            rt.append(spectrum.retentionTimeMinutes)
            let count = min(spectrum.mz.count, spectrum.intensity.count)
            mz.append(contentsOf: spectrum.mz.prefix(count))
            intensity.append(contentsOf: spectrum.intensity.prefix(count))
            offsetsIn.append(mz.count)
        }
        offsets = offsetsIn
        self.init(rt: rt, offsets: offsets, mz: mz, intensity: intensity)
    }

    /// Builds the scans from flat arrays in file order: spectrum `i` has time `rt[i]` and points
    /// `offsets[i] ..< offsets[i + 1]` of `mz` / `intensity`. Offsets out of range are clamped.
    public init(rt fileRT: [Double], offsets fileOffsets: [Int], mz fileMZ: [Double], intensity fileIntensity: [Double])
    {
        let pointCount = min(fileMZ.count, fileIntensity.count)
        let scanCount = max(0, min(fileRT.count, fileOffsets.count - 1))
        // Fast path (the normal file): times strictly ascending, offsets consistent, each scan sorted by
        // m/z — the arrays are used as they are, without copying.
        if Self.isPrepared(rt: fileRT, offsets: fileOffsets, mz: fileMZ, intensity: fileIntensity) {
            self.rt = fileRT
            self.offsets = fileOffsets
            self.mz = fileMZ
            self.intensity = fileIntensity
            return
        }
        func range(_ i: Int) -> Range<Int> {
            let lower = min(max(fileOffsets[i], 0), pointCount)
            let upper = min(max(fileOffsets[i + 1], lower), pointCount)
            return lower..<upper
        }
        // Scans in ascending time; stable, so equal times keep file order.
        let order = (0..<scanCount).filter { !fileRT[$0].isNaN }.sorted {
            fileRT[$0] < fileRT[$1] || (fileRT[$0] == fileRT[$1] && $0 < $1)
        }
        var rt: [Double] = []
        var offsets: [Int] = [0]
        var mz: [Double] = []
        var intensity: [Double] = []
        rt.reserveCapacity(scanCount)
        mz.reserveCapacity(pointCount)
        intensity.reserveCapacity(pointCount)
        var i = 0
        while i < order.count {
            let time = fileRT[order[i]]
            var j = i
            var points: [(mz: Double, intensity: Double)] = []
            var sorted = true
            var merged = false
            while j < order.count, fileRT[order[j]] == time {
                let r = range(order[j])
                if j > i { merged = true }
                for p in r {
                    if let last = points.last, fileMZ[p] < last.mz { sorted = false }
                    points.append((fileMZ[p], fileIntensity[p]))
                }
                j += 1
            }
            if merged || !sorted {
                // Stable sort by m/z (sorted(by:) is not guaranteed stable: sort indices instead).
                let indices = points.indices.sorted {
                    points[$0].mz < points[$1].mz || (points[$0].mz == points[$1].mz && $0 < $1)
                }
                points = indices.map { points[$0] }
            }
            rt.append(time)
            for point in points {
                mz.append(point.mz)
                intensity.append(point.intensity)
            }
            offsets.append(mz.count)
            i = j
        }
        self.rt = rt
        self.offsets = offsets
        self.mz = mz
        self.intensity = intensity
    }

    /// Appends spectra read after the ones already held (a chunk of `MzMLReader.forEachMS1Chunk`: spectrum
    /// `i` has time `rt[i]` and points `offsets[i] ..< offsets[i + 1]`), when the result keeps the prepared
    /// form without reordering: every time later than the last one held and ascending, each spectrum's
    /// points sorted by m/z. Otherwise returns false and leaves the scans unchanged (the spectra then need
    /// `init(rt:offsets:mz:intensity:)`, which sorts and merges).
    mutating func appendInOrder(
        rt chunkRT: [Double], offsets chunkOffsets: [Int], mz chunkMZ: [Double], intensity chunkIntensity: [Double]
    ) -> Bool {
        guard Self.isPrepared(rt: chunkRT, offsets: chunkOffsets, mz: chunkMZ, intensity: chunkIntensity) else {
            return false
        }
        if let last = rt.last, let first = chunkRT.first, !(last < first) { return false }
        let base = mz.count
        rt.append(contentsOf: chunkRT)
        offsets.append(contentsOf: chunkOffsets.dropFirst().lazy.map { $0 + base })
        mz.append(contentsOf: chunkMZ)
        intensity.append(contentsOf: chunkIntensity)
        return true
    }

    /// True when the arrays already have the prepared form (see the type's documentation).
    private static func isPrepared(rt: [Double], offsets: [Int], mz: [Double], intensity: [Double]) -> Bool {
        guard offsets.count == rt.count + 1, offsets.first == 0, offsets.last == mz.count, mz.count == intensity.count
        else { return false }
        for i in 0..<rt.count {
            if rt[i].isNaN || (i > 0 && !(rt[i - 1] < rt[i])) { return false }
            let lower = offsets[i]
            let upper = offsets[i + 1]
            guard lower <= upper else { return false }
            if upper - lower > 1 {
                for p in (lower + 1)..<upper where !(mz[p - 1] <= mz[p]) { return false }
            }
        }
        return true
    }

    /// Number of scans.
    public var count: Int { rt.count }

    /// Index of the first scan with `rt >= time` (`count` when none).
    func firstScan(atOrAfter time: Double) -> Int {
        var low = 0
        var high = rt.count
        while low < high {
            let mid = (low + high) / 2
            if rt[mid] < time { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Index of the first point of scan `scan` with `mz >= value`.
    func firstPoint(inScan scan: Int, atOrAbove value: Double) -> Int {
        var low = offsets[scan]
        var high = offsets[scan + 1]
        while low < high {
            let mid = (low + high) / 2
            if mz[mid] < value { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
