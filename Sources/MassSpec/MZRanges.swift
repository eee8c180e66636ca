/// A set of closed m/z intervals: the points a reader keeps (`MzMLReader.readMS1Run(keeping:)`).
///
/// Built from (min, max) pairs: pairs with a NaN bound or with min > max select nothing and are dropped;
/// the rest are sorted and overlapping or touching intervals merged, so `intervals` is ascending and
/// disjoint. Bounds are inclusive, as NeatMS's `mz_min <= m/z <= mz_max`.
public struct MZRanges: Sendable, Hashable, CustomStringConvertible {
    /// The merged intervals, ascending, disjoint (each upper bound below the next lower bound).
    public let intervals: [ClosedRange<Double>]
    /// For many intervals (tables with thousands of peaks): a uniform grid over the intervals' span whose
    /// bucket `b` holds the index of the first interval ending at or above the bucket's lower edge, so a
    /// point finds its interval in a step or two. Empty for few intervals or an infinite span.
    private let bucketStart: [Int32]
    private let bucketLow: Double
    private let bucketScale: Double

    /// The union of the closed intervals [min, max] of `pairs`.
    public init<Pairs: Sequence>(_ pairs: Pairs) where Pairs.Element == (min: Double, max: Double) {
        let valid = pairs.filter { !$0.min.isNaN && !$0.max.isNaN && $0.min <= $0.max }
            .sorted { $0.min < $1.min }
        var merged: [ClosedRange<Double>] = []
        merged.reserveCapacity(valid.count)
        for pair in valid {
            if let last = merged.last, pair.min <= last.upperBound {
                if pair.max > last.upperBound { merged[merged.count - 1] = last.lowerBound...pair.max }
            } else {
                merged.append(pair.min...pair.max)
            }
        }
        intervals = merged
        if merged.count >= 64, let low = merged.first?.lowerBound, let high = merged.last?.upperBound,
            low.isFinite, high.isFinite, high > low
        {
            let buckets = min(1 << 16, merged.count * 4)
            let scale = Double(buckets) / (high - low)
            var starts = [Int32](repeating: 0, count: buckets)
            var k = 0
            for b in 0..<buckets {
                let edge = low + Double(b) / scale
                while k < merged.count, merged[k].upperBound < edge { k += 1 }
                starts[b] = Int32(k)
            }
            (bucketStart, bucketLow, bucketScale) = (starts, low, scale)
        } else {
            (bucketStart, bucketLow, bucketScale) = ([], 0, 0)
        }
    }

    public static func == (lhs: MZRanges, rhs: MZRanges) -> Bool { lhs.intervals == rhs.intervals }

    public func hash(into hasher: inout Hasher) { hasher.combine(intervals) }

    /// Index of the first interval whose upper bound is >= `value` (not NaN), through the bucket grid
    /// (which must exist); the grid's guess is corrected both ways, so rounding never misplaces a value.
    private func bucketedInterval(endingAtOrAbove value: Double, _ intervals: UnsafeBufferPointer<ClosedRange<Double>>)
        -> Int
    {
        let position = (value - bucketLow) * bucketScale
        let b = position <= 0 ? 0 : min(bucketStart.count - 1, Int(min(position, Double(bucketStart.count))))
        var k = Int(bucketStart[b])
        while k > 0, intervals[k - 1].upperBound >= value { k -= 1 }
        while k < intervals.count, intervals[k].upperBound < value { k += 1 }
        return k
    }

    /// No interval: keeps nothing.
    public static let empty = MZRanges([(min: Double, max: Double)]())

    /// Whether no value is inside.
    public var isEmpty: Bool { intervals.isEmpty }

    /// Whether `mz` lies in one of the intervals (never for NaN).
    public func contains(_ mz: Double) -> Bool {
        let k = firstInterval(endingAtOrAbove: mz, from: 0)
        return k < intervals.count && intervals[k].lowerBound <= mz
    }

    public var description: String {
        intervals.map { "[\($0.lowerBound), \($0.upperBound)]" }.joined(separator: " ∪ ")
    }

    /// Index of the first interval (from `start`) whose upper bound is >= `mz` (`intervals.count` when none
    /// or when `mz` is NaN).
    private func firstInterval(endingAtOrAbove mz: Double, from start: Int) -> Int {
        guard !mz.isNaN else { return intervals.count }
        var low = start
        var high = intervals.count
        while low < high {
            let mid = (low + high) / 2
            if intervals[mid].upperBound < mz { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Writes the points of `mz` / `intensity` (same length) that lie inside the intervals to `keptMZ` /
    /// `keptIntensity`, in their original order, and returns how many there are. The destinations must
    /// have room for `mz.count` values.
    ///
    /// Ascending m/z (the usual spectrum) is merged with the intervals: with fewer intervals than points,
    /// a galloping search skips to each interval's first point; with more (and at least 64), the points
    /// are walked and the bucket grid finds each point's interval. Other spectra (unsorted, or with NaN)
    /// are walked point by point.
    func select(
        mz: UnsafeBufferPointer<Double>, intensity: UnsafeBufferPointer<Double>,
        into keptMZ: UnsafeMutablePointer<Double>, _ keptIntensity: UnsafeMutablePointer<Double>
    ) -> Int {
        let count = min(mz.count, intensity.count)
        guard count > 0, !intervals.isEmpty else { return 0 }
        var kept = 0
        func keep(_ p: Int) {
            keptMZ[kept] = mz[p]
            keptIntensity[kept] = intensity[p]
            kept += 1
        }
        let ascending = Self.isAscending(mz, count: count)
        if ascending && !bucketStart.isEmpty && intervals.count > count {
            // More intervals than points: walk the points; each one that passed its interval finds the
            // next through the bucket grid.
            intervals.withUnsafeBufferPointer { intervals in
                var k = 0
                for p in 0..<count {
                    let value = mz[p]
                    if intervals[k].upperBound < value {
                        k = bucketedInterval(endingAtOrAbove: value, intervals)
                        if k == intervals.count { break }
                    }
                    if intervals[k].lowerBound <= value { keep(p) }
                }
            }
            return kept
        }
        if ascending {
            intervals.withUnsafeBufferPointer { intervals in
                var p = 0
                for interval in intervals {
                    // Gallop to the first point >= the lower bound, then take the points up to the upper one.
                    var step = 1
                    var low = p
                    var high = p
                    while high < count, mz[high] < interval.lowerBound {
                        low = high + 1
                        high = min(high + step, count)
                        step &*= 2
                    }
                    while low < high {
                        let mid = (low + high) / 2
                        if mz[mid] < interval.lowerBound { low = mid + 1 } else { high = mid }
                    }
                    p = low
                    while p < count, mz[p] <= interval.upperBound {
                        keep(p)
                        p += 1
                    }
                    if p == count { break }
                }
            }
            return kept
        }
        var k = 0
        var previous = -Double.infinity
        for p in 0..<count {
            let value = mz[p]
            if value < previous {
                k = firstInterval(endingAtOrAbove: value, from: 0)
            } else if k < intervals.count, intervals[k].upperBound < value {
                k = firstInterval(endingAtOrAbove: value, from: k + 1)
            }
            if !value.isNaN { previous = value }
            if k < intervals.count, intervals[k].lowerBound <= value { keep(p) }
        }
        return kept
    }

    /// Whether the first `count` values ascend (non-strictly) without NaN.
    private static func isAscending(_ values: UnsafeBufferPointer<Double>, count: Int) -> Bool {
        guard let base = values.baseAddress, count > 0, !base[0].isNaN else { return false }
        // Four comparisons at a time (NaN compares false, so it fails the check too).
        let raw = UnsafeRawPointer(base)
        var ordered = SIMDMask<SIMD4<Int64>>(repeating: true)
        var p = 1
        while p + 4 <= count {
            let previous = raw.loadUnaligned(fromByteOffset: (p - 1) * 8, as: SIMD4<Double>.self)
            let current = raw.loadUnaligned(fromByteOffset: p * 8, as: SIMD4<Double>.self)
            ordered .&= previous .<= current
            p += 4
            if p & 1023 == 1, !all(ordered) { return false }
        }
        guard all(ordered) else { return false }
        while p < count {
            guard base[p - 1] <= base[p] else { return false }
            p += 1
        }
        return true
    }
}
