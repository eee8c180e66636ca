import Foundation
import NeuralNet

/// Labels mapped onto one new label before batches are drawn (NeatMS's `merge_classes`), e.g.
/// `Low_quality` and `Noise` → `False`.
public struct ClassMerge: Sendable, Equatable {
    public var labels: [String]
    public var into: String

    public init(labels: [String], into: String) {
        self.labels = labels
        self.into = into
    }
}

/// How labelled peaks are split (NeatMS's `create_batches(validation_split, normalise_class)`).
public struct BatchOptions: Sendable, Equatable {
    /// Fraction of the valid peaks in the test set, and again in the validation set (80:10:10 with 0.1).
    /// 0 puts every peak in training. Must be in `[0, 0.5)`.
    public var validationSplit: Double
    /// Keep per class only as many peaks as the smallest class has.
    public var normaliseClass: Bool
    /// Labels to merge into one before anything else.
    public var mergeClasses: ClassMerge?
    /// Shuffle (twice, as NeatMS does) with `seed`; false keeps the input order throughout.
    public var shuffle: Bool
    public var seed: UInt64

    public init(
        validationSplit: Double = 0.1, normaliseClass: Bool = false, mergeClasses: ClassMerge? = nil,
        shuffle: Bool = true, seed: UInt64 = 0
    ) {
        self.validationSplit = validationSplit
        self.normaliseClass = normaliseClass
        self.mergeClasses = mergeClasses
        self.shuffle = shuffle
        self.seed = seed
    }
}

/// A problem with batch options or labels; one line.
public struct BatchError: Error, CustomStringConvertible, Equatable, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Training, test and validation peaks drawn exactly as REFERENCE §4 describes:
/// 1. merge labels (optional); the class order is the sorted list of (merged) labels;
/// 2. shuffle all labelled peaks (seeded);
/// 3. with `normaliseClass`, keep per class the first `k` peaks, `k` the size of the smallest class;
/// 4. shuffle again;
/// 5. drop invalid peaks;
/// 6. `s = round(validationSplit × valid count)` with Python's rounding (halves to even);
///    test = the first `s`, validation = the next `s`, training = the rest.
/// Training uses the test peaks as its validation data; the validation peaks are kept apart for
/// threshold tuning. All index lists refer to positions in the input.
public struct Batches: Sendable, Equatable {
    /// The classes in target order: the sorted (merged) labels.
    public var classes: [String]
    /// Class index (into `classes`) of every input peak.
    public var labels: [Int]
    public var training: [Int]
    public var test: [Int]
    public var validation: [Int]
    /// Labelled peaks left out because their matrix is invalid (in draw order).
    public var invalid: [Int]
    /// Peaks left out by `normaliseClass`.
    public var normalisedAway: Int

    /// Draws the batches for peaks with `labels` (strings) and validity `valid`.
    public init(labels: [String], valid: [Bool], options: BatchOptions) throws {
        guard labels.count == valid.count else {
            throw BatchError("\(labels.count) labels but \(valid.count) validity flags")
        }
        let split = options.validationSplit
        guard split.isFinite && split >= 0 && split < 0.5 else {
            throw BatchError("validation split \(split) must be in [0, 0.5) (test and validation each take that share)")
        }
        // 1. Merge, then the sorted class list.
        var mapped = labels
        if let merge = options.mergeClasses {
            let from = Set(merge.labels)
            mapped = labels.map { from.contains($0) ? merge.into : $0 }
        }
        let classes = Array(Set(mapped)).sorted()
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        let classOf = mapped.map { index[$0] ?? 0 }

        var rng = SeededGenerator(seed: options.seed)
        func shuffled(_ items: [Int]) -> [Int] {
            guard options.shuffle else { return items }
            return rng.permutation(items.count).map { items[$0] }
        }
        // 2. Shuffle all labelled peaks.
        var order = shuffled(Array(labels.indices))
        // 3. Normalise class sizes.
        var normalisedAway = 0
        if options.normaliseClass, !order.isEmpty {
            var counts = [Int](repeating: 0, count: classes.count)
            for i in order { counts[classOf[i]] += 1 }
            let smallest = counts.filter { $0 > 0 }.min() ?? 0
            var kept = [Int](repeating: 0, count: classes.count)
            order = order.filter { i in
                guard kept[classOf[i]] < smallest else { return false }
                kept[classOf[i]] += 1
                return true
            }
            normalisedAway = labels.count - order.count
        }
        // 4. Shuffle again.
        order = shuffled(order)
        // 5. Drop invalid peaks.
        let validOrder = order.filter { valid[$0] }
        // 6. Split.
        let s = Int((split * Double(validOrder.count)).rounded(.toNearestOrEven))
        self.classes = classes
        self.labels = classOf
        self.test = Array(validOrder[0..<s])
        self.validation = Array(validOrder[s..<(2 * s)])
        self.training = Array(validOrder[(2 * s)...])
        self.invalid = order.filter { !valid[$0] }
        self.normalisedAway = normalisedAway
    }

    /// The batches of a PEAKS.h5 dataset (its labels and validity).
    public init(dataset: PeakDataset, options: BatchOptions) throws {
        try self.init(
            labels: dataset.y.map { dataset.classes[$0] }, valid: (0..<dataset.count).map(dataset.isValid),
            options: options)
    }
}

extension PeakDataset {
    /// The peaks at `indices` relabelled with `batches`' classes (merged and sorted), e.g. the training
    /// part: `dataset.part(batches.training, of: batches)`.
    public func part(_ indices: [Int], of batches: Batches) -> PeakDataset {
        var p = subset(indices)
        p.classes = batches.classes
        p.y = indices.map { batches.labels[$0] }
        return p
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
