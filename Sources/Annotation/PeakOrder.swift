import NeatMS

/// The order in which peaks are shown.
public enum PeakOrder: String, Sendable, CaseIterable, CustomStringConvertible {
    /// A seeded shuffle (Python's Mersenne Twister, as NeatMS's tool draws its random peaks).
    case random
    /// Least confident first: ascending highest class probability (needs a model).
    case uncertain
    /// Feature by feature, every sample of one feature in a row (features in table order).
    case feature

    public var description: String { rawValue }

    /// `peaks` in this order.
    /// - Parameters:
    ///   - seed: the shuffle's seed (`random`, and the tie order of `uncertain`).
    ///   - confidence: the highest class probability of a peak, when known (`uncertain`; peaks without one
    ///     come last, in random order).
    public func arrange(
        _ peaks: [Int], table: FeatureTable, seed: UInt64, confidence: (Int) -> Float? = { _ in nil }
    ) -> [Int] {
        switch self {
        case .feature:
            return peaks.sorted { a, b in
                let pa = table.peaks[a]
                let pb = table.peaks[b]
                return (pa.feature, pa.sample, a) < (pb.feature, pb.sample, b)
            }
        case .random, .uncertain:
            var shuffled = peaks
            var random = PythonRandom(seed: seed)
            random.shuffle(&shuffled)
            guard self == .uncertain else { return shuffled }
            let keyed = shuffled.enumerated().map {
                (rank: $0.offset, peak: $0.element, confidence: confidence($0.element))
            }
            return keyed.sorted { a, b in
                switch (a.confidence, b.confidence) {
                case (let x?, let y?): return x != y ? x < y : a.rank < b.rank
                case (.some, nil): return true
                case (nil, .some): return false
                case (nil, nil): return a.rank < b.rank
                }
            }.map(\.peak)
        }
    }
}
