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

    /// Appends the points of `mz` / `intensity` (same length) that lie inside the intervals to `keptMZ` /
    /// `keptIntensity`, in their original order.
    ///
    /// Ascending m/z (the usual spectrum) is merged with the intervals: a galloping search skips to each
    /// interval's first point and its points are copied as one block. Other spectra (unsorted, or with
    /// NaN) are walked point by point.
    func select(
        mz: UnsafeBufferPointer<Double>, intensity: UnsafeBufferPointer<Double>,
        into keptMZ: inout [Double], _ keptIntensity: inout [Double]
    ) {
        let count = min(mz.count, intensity.count)
        guard count > 0, !intervals.isEmpty else { return }
        func keep(_ range: Range<Int>) {
            guard !range.isEmpty else { return }
            keptMZ.append(contentsOf: UnsafeBufferPointer(rebasing: mz[range]))
            keptIntensity.append(contentsOf: UnsafeBufferPointer(rebasing: intensity[range]))
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
                    var end = low
                    while end < count, mz[end] <= interval.upperBound { end += 1 }
                    keep(low ..< end)
                    p = end
                    if p == count { break }
                }
            }
            return
        }
        var k = 0
        var previous = -Double.infinity
        var blockStart = 0, blockEnd = 0
        for p in 0 ..< count {
            let value = mz[p]
            if value < previous {
                k = firstInterval(endingAtOrAbove: value, from: 0)
            } else if k < intervals.count, intervals[k].upperBound < value {
                k = firstInterval(endingAtOrAbove: value, from: k + 1)
            }
            if !value.isNaN { previous = value }
            if k < intervals.count, intervals[k].lowerBound <= value {
                if blockEnd != p {
                    keep(blockStart ..< blockEnd)
                    blockStart = p
                }
                blockEnd = p + 1
            }
        }
        keep(blockStart ..< blockEnd)
    }

    /// Whether the first `count` values ascend (non-strictly) without NaN.
    private static func isAscending(_ values: UnsafeBufferPointer<Double>, count: Int) -> Bool {
        if values[0].isNaN { return false }
        var unordered: UInt8 = 0
        var p = 1
        // Branch-free blocks, so the check costs little more than reading the values.
        while p < count {
            let blockEnd = min(p + 256, count)
            for q in p ..< blockEnd { unordered |= values[q - 1] <= values[q] ? 0 : 1 }
            if unordered != 0 { return false }
            p = blockEnd
        }
        return true
    }
}
