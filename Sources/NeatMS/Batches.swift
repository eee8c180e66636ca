/// Training, test and validation batches, as NeatMS's `NN_handler.create_batches` makes them (REFERENCE §4).
public struct Batches: Sendable, Equatable {
    /// The class list after merging (sorted).
    public var classes: [String]
    /// Rows of the dataset's `X`, in batch order.
    public var training: [Int]
    public var test: [Int]
    public var validation: [Int]
    /// Class index (into `classes`) of every row of the dataset's `X` (after merging).
    public var labels: [Int]

    /// Labels to merge before batching: every label in `from` becomes `into` (NeatMS's `merge_classes`).
    public struct Merge: Sendable, Equatable {
        public var from: [String]
        public var into: String

        public init(from: [String], into: String) {
            self.from = from
            self.into = into
        }
    }

    /// A problem with the batch options.
    public struct OptionsError: Error, CustomStringConvertible, Sendable {
        public var message: String
        public var description: String { message }
    }

    /// Splits `dataset` as NeatMS does:
    /// 1. all labelled peaks in annotation order (classes in order, labelling order within) are shuffled;
    /// 2. with `normaliseClass`, per class only as many peaks are kept (in shuffled order) as the smallest
    ///    class has labelled peaks (after merging; counted over all labelled peaks, valid or not);
    /// 3. shuffled again; peaks without a matrix are dropped;
    /// 4. s = round(validationSplit × valid count) with halves to even; test = the first s, validation =
    ///    the next s, training = the rest.
    /// `random` plays Python's `random` module: seeded with `PythonRandom(seed:)`, the split equals
    /// `random.seed(seed); nn_handler.create_batches(...)` on the same labelled peaks.
    public init(
        dataset: PeakDataset, validationSplit: Double = 0.1, normaliseClass: Bool = false, merge: Merge? = nil,
        random: inout PythonRandom
    ) throws {
        guard validationSplit >= 0, validationSplit < 0.5 else {
            throw OptionsError(message: "validation split must be in [0, 0.5), got \(validationSplit)")
        }
        // Class list after merging, and each original class's new index.
        var mergedClasses = dataset.classes
        if let merge {
            guard !merge.from.isEmpty else { throw OptionsError(message: "merge needs at least one class to merge") }
            mergedClasses = Array(Set(dataset.classes.map { merge.from.contains($0) ? merge.into : $0 })).sorted()
        }
        let newIndex = dataset.classes.map { label in
            mergedClasses.firstIndex(of: merge.map { $0.from.contains(label) ? $0.into : label } ?? label) ?? 0
        }
        classes = mergedClasses
        labels = dataset.y.map { newIndex[$0] }

        var peaks = dataset.annotationOrder
        random.shuffle(&peaks)
        if normaliseClass {
            // Smallest class over all labelled peaks; merged classes count together (as NeatMS does).
            var originalSizes = [Int](repeating: 0, count: dataset.classes.count)
            for peak in peaks { originalSizes[peak.classIndex] += 1 }
            // NeatMS takes the minimum over the unmerged classes' sizes and the merged total (with its
            // 1,000,000 starting value, so no labelled class means no limit).
            var smallest = 1_000_000
            for (c, size) in originalSizes.enumerated() where !(merge?.from.contains(dataset.classes[c]) ?? false) {
                smallest = min(smallest, size)
            }
            if let merge {
                let mergedTotal = zip(dataset.classes, originalSizes).filter { merge.from.contains($0.0) }.map(\.1)
                    .reduce(0, +)
                smallest = min(smallest, mergedTotal)
            }
            var kept: [(classIndex: Int, row: Int?)] = []
            var counts = [Int](repeating: 0, count: mergedClasses.count)
            for peak in peaks where counts[newIndex[peak.classIndex]] < smallest {
                kept.append(peak)
                counts[newIndex[peak.classIndex]] += 1
            }
            peaks = kept
        }
        random.shuffle(&peaks)
        let valid = peaks.compactMap(\.row)
        let split = Int((validationSplit * Double(valid.count)).rounded(.toNearestOrEven))
        test = Array(valid[0..<min(split, valid.count)])
        validation = Array(valid[min(split, valid.count)..<min(2 * split, valid.count)])
        training = Array(valid[min(2 * split, valid.count)...])
    }
}
