import Support
import Tensor

/// Labels mapped onto one new label before batches are drawn (NeatMS's `merge_classes`), e.g.
/// `Low_quality` and `Noise` → `False`.
public struct ClassMerge: Sendable, Equatable {
    public var labels: [String]
    public var into: String

    public init(labels: [String], into: String) {
        self.labels = labels
        self.into = into
    }

    /// Same as `init(labels:into:)`.
    public init(from labels: [String], into: String) {
        self.init(labels: labels, into: into)
    }
}

/// How labelled peaks are split (NeatMS's `create_batches(validation_split, normalise_class,
/// merge_classes)` after `random.seed(seed)`).
public struct BatchOptions: Sendable, Equatable {
    /// Fraction of the valid peaks in the test set, and again in the validation set (80:10:10 with 0.1).
    /// 0 puts every peak in training. Must be in `[0, 0.5)`.
    public var validationSplit: Double
    /// Keep per class only as many peaks as the smallest class has.
    public var normaliseClass: Bool
    /// Labels to merge into one before anything else.
    public var mergeClasses: ClassMerge?
    /// Shuffle (twice, as NeatMS does); false keeps the input order throughout.
    public var shuffle: Bool
    /// The seed of Python's `random` (`random.seed(seed)`).
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

/// A problem with batch options or labels; one line, the problem.
public struct BatchError: LocatedError, Equatable, Sendable {
    public var problem: String
    /// The labels or peaks file, when one names it (nil from the batching itself).
    public var file: String?
    public init(_ problem: String) { self.problem = problem }
}

/// Training, test and validation batches, as NeatMS's `NN_handler.create_batches` makes them
/// (docs/NEATMS-BEHAVIOUR.md#batches):
/// 1. merge labels (optional); the class order is the sorted list of (merged) labels;
/// 2. shuffle all labelled peaks (Python's `random.shuffle`, seeded);
/// 3. with `normaliseClass`, keep per class (in shuffled order) as many peaks as the smallest class has
///    labelled peaks — counted over all labelled peaks, valid or not, merged labels counted together;
/// 4. shuffle again;
/// 5. drop invalid peaks;
/// 6. `s = round(validationSplit × valid count)` with halves to even; test = the first `s`, validation =
///    the next `s`, training = the rest.
/// Training uses the test peaks as its validation data; the validation peaks are kept apart for threshold
/// tuning. With the same labelled peaks in the same order and `random.seed(seed)`, the split is NeatMS's.
public struct Batches: Sendable, Equatable {
    /// Labels merged into one (NeatMS's `merge_classes`).
    public typealias Merge = ClassMerge

    /// The classes in target order: the sorted (merged) labels.
    public var classes: [String]
    /// Class index (into `classes`) of every input peak.
    public var labels: [Int]
    /// Input indices, in batch order.
    public var training: [Int]
    public var test: [Int]
    public var validation: [Int]
    /// Labelled peaks left out because their matrix is invalid (in draw order).
    public var invalid: [Int]
    /// Peaks left out by `normaliseClass`.
    public var normalisedAway: Int

    /// Draws the batches for peaks with `labels` and validity `valid`, taken in the order given (NeatMS's
    /// annotation order: classes in their order, labelling order within each).
    public init(labels: [String], valid: [Bool], options: BatchOptions) throws {
        var random = PythonRandom(seed: options.seed)
        try self.init(labels: labels, valid: valid, options: options, random: &random)
    }

    /// As `init(labels:valid:options:)`, shuffling with `random` (a generator already in use; the options'
    /// seed is ignored).
    public init(labels: [String], valid: [Bool], options: BatchOptions, random: inout PythonRandom) throws {
        guard labels.count == valid.count else {
            throw BatchError("\(labels.count) labels but \(valid.count) validity flags")
        }
        let split = options.validationSplit
        guard split.isFinite && split >= 0 && split < 0.5 else {
            throw BatchError("validation split \(split) must be in [0, 0.5) (test and validation each take that share)")
        }
        if let merge = options.mergeClasses, merge.labels.isEmpty {
            throw BatchError("merging classes needs at least one label to merge into '\(merge.into)'")
        }
        let merged = labels.map { label in
            options.mergeClasses.map { $0.labels.contains(label) ? $0.into : label } ?? label
        }
        let classes = Array(Set(merged)).sorted()
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        let classOf = merged.map { index[$0] ?? 0 }
        self.classes = classes
        self.labels = classOf

        var order = Array(labels.indices)
        if options.shuffle { random.shuffle(&order) }
        normalisedAway = 0
        if options.normaliseClass {
            // NeatMS: the minimum over the unmerged labels' sizes and the merged labels' total (starting
            // from 1,000,000).
            var sizes: [String: Int] = [:]
            for label in labels { sizes[label, default: 0] += 1 }
            var smallest = 1_000_000
            for (label, size) in sizes where !(options.mergeClasses?.labels.contains(label) ?? false) {
                smallest = min(smallest, size)
            }
            if let merge = options.mergeClasses {
                smallest = min(smallest, merge.labels.map { sizes[$0] ?? 0 }.reduce(0, +))
            }
            var kept = [Int](repeating: 0, count: classes.count)
            let before = order.count
            order = order.filter { i in
                guard kept[classOf[i]] < smallest else { return false }
                kept[classOf[i]] += 1
                return true
            }
            normalisedAway = before - order.count
        }
        if options.shuffle { random.shuffle(&order) }
        let validOrder = order.filter { valid[$0] }
        invalid = order.filter { !valid[$0] }
        let s = Int((split * Double(validOrder.count)).rounded(.toNearestOrEven))
        test = Array(validOrder[0..<s])
        validation = Array(validOrder[s..<(2 * s)])
        training = Array(validOrder[(2 * s)...])
    }

    /// The batches of a PEAKS.h5 dataset, drawn from all its labelled peaks in NeatMS's annotation order
    /// (its invalid labelled peaks included, as NeatMS shuffles them too). Indices refer to rows of the
    /// dataset's `X`; `invalid` is empty (invalid peaks have no row) and `labels` covers the rows.
    public init(dataset: PeakDataset, options: BatchOptions) throws {
        var random = PythonRandom(seed: options.seed)
        try self.init(dataset: dataset, options: options, random: &random)
    }

    /// NeatMS's `create_batches(validation_split, normalise_class, merge_classes)` on `dataset`, shuffling
    /// with `random` (seed it with `PythonRandom(seed:)` to match `random.seed(seed)` in Python).
    public init(
        dataset: PeakDataset, validationSplit: Double = 0.1, normaliseClass: Bool = false, merge: ClassMerge? = nil,
        random: inout PythonRandom
    ) throws {
        try self.init(
            dataset: dataset,
            options: BatchOptions(
                validationSplit: validationSplit, normaliseClass: normaliseClass, mergeClasses: merge),
            random: &random)
    }

    /// `init(dataset:options:)` shuffling with `random`.
    public init(dataset: PeakDataset, options: BatchOptions, random: inout PythonRandom) throws {
        let order = dataset.annotationOrder
        let all = try Batches(
            labels: order.map { dataset.classes[$0.classIndex] }, valid: order.map { $0.row != nil }, options: options,
            random: &random)
        func rows(_ indices: [Int]) -> [Int] { indices.compactMap { order[$0].row } }
        classes = all.classes
        training = rows(all.training)
        test = rows(all.test)
        validation = rows(all.validation)
        invalid = []
        normalisedAway = all.normalisedAway
        let merged = dataset.classes.map { label in
            options.mergeClasses.map { $0.labels.contains(label) ? $0.into : label } ?? label
        }
        labels = dataset.y.map { all.classes.firstIndex(of: merged[$0]) ?? 0 }
    }
}

extension PeakDataset {
    /// A dataset of valid peaks only, from its parts (labelling order = row order).
    /// - Throws: `BatchError` when the parts do not fit together.
    public init(classes: [String], matrixSize: Int, x: [Float], y: [Int]) throws {
        guard matrixSize >= 1, x.count == y.count * 2 * matrixSize else {
            throw BatchError("\(x.count) values do not make \(y.count) matrices of (2, \(matrixSize))")
        }
        if let bad = y.first(where: { $0 < 0 || $0 >= classes.count }) {
            throw BatchError("class index \(bad) is outside the \(classes.count) classes")
        }
        self.init(
            classes: classes, samples: [], options: MatrixOptions(size: matrixSize), x: x, y: y,
            sample: Array(repeating: -1, count: y.count), featureID: Array(repeating: -1, count: y.count),
            peakIndexInSample: Array(repeating: -1, count: y.count), mz: Array(repeating: .nan, count: y.count),
            rt: Array(repeating: .nan, count: y.count), labelOrder: Array(y.indices), invalidY: [],
            invalidLabelOrder: [])
    }

    /// n, the matrix width.
    public var matrixSize: Int { options.size }

    /// The rows `rows`, in that order, with their per-peak data (no invalid peaks).
    public func subset(_ rows: [Int]) -> PeakDataset {
        var copy = self
        copy.x = matrices(rows).scalars
        copy.y = rows.map { y[$0] }
        copy.sample = rows.map { sample[$0] }
        copy.featureID = rows.map { featureID[$0] }
        copy.peakIndexInSample = rows.map { peakIndexInSample[$0] }
        copy.mz = rows.map { mz[$0] }
        copy.rt = rows.map { rt[$0] }
        copy.labelOrder = rows.map { labelOrder[$0] }
        copy.invalidY = []
        copy.invalidLabelOrder = []
        return copy
    }
}
