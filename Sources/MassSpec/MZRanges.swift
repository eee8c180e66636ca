/// A set of closed m/z intervals: the points a reader keeps (`MzMLReader.readMS1Run(keeping:)`).
///
/// Built from (min, max) pairs: pairs with a NaN bound or with min > max select nothing and are dropped;
/// the rest are sorted and overlapping or touching intervals merged, so `intervals` is ascending and
/// disjoint. Bounds are inclusive, as NeatMS's `mz_min <= m/z <= mz_max`.
public struct MZRanges: Sendable, Hashable, CustomStringConvertible {
    /// The merged intervals, ascending, disjoint (each upper bound below the next lower bound).
    public let intervals: [ClosedRange<Double>]

    /// The union of the closed intervals [min, max] of `pairs`.
    public init<Pairs: Sequence>(_ pairs: Pairs) where Pairs.Element == (min: Double, max: Double) {
        let valid = pairs.filter { !$0.min.isNaN && !$0.max.isNaN && $0.min <= $0.max }
            .sorted { $0.min < $1.min }
        var merged: [ClosedRange<Double>] = []
        merged.reserveCapacity(valid.count)
        for pair in valid {
            if let last = merged.last, pair.min <= last.upperBound {
                if pair.max > last.upperBound { merged[merged.count - 1] = last.lowerBound ... pair.max }
            } else {
                merged.append(pair.min ... pair.max)
            }
        }
        intervals = merged
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
        var low = start, high = intervals.count
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
    /// Ascending m/z (the usual spectrum) is merged with the intervals: a galloping search skips to each
    /// interval's first point. Other spectra (unsorted, or with NaN) are walked point by point.
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
        if Self.isAscending(mz, count: count) {
            intervals.withUnsafeBufferPointer { intervals in
                var p = 0
                for interval in intervals {
                    // Gallop to the first point >= the lower bound, then take the points up to the upper one.
                    var step = 1
                    var low = p, high = p
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
        for p in 0 ..< count {
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
