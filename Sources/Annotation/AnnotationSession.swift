import Foundation
import NeatMS
import Support

/// How a labelling session is set up (`neatms annotate`'s options).
public struct SessionOptions: Sendable {
    /// LABELS.csv, as the user gave it.
    public var labelsPath: String
    /// The classes in key order: key 1 labels with `classes[0]`.
    public var classes: [String]
    public var order: PeakOrder
    public var seed: UInt64
    /// A Keras model file: its probabilities are shown, `uncertain` order and retraining use it.
    public var modelPath: String?
    /// A `neatms predict` results CSV: review its labels instead of labelling from scratch.
    public var resultsPath: String?
    public var matrixOptions: MatrixOptions
    /// Samples whose scans are kept in memory at once.
    public var cachedSamples: Int
    /// Other samples of the same feature shown beside the peak.
    public var maxOtherSamples: Int

    public init(
        labelsPath: String, classes: [String] = ["High_quality", "Low_quality", "Noise"], order: PeakOrder = .random,
        seed: UInt64 = 0, modelPath: String? = nil, resultsPath: String? = nil,
        matrixOptions: MatrixOptions = .neatMSDefault, cachedSamples: Int = 16, maxOtherSamples: Int = 11
    ) {
        self.labelsPath = labelsPath
        self.classes = classes
        self.order = order
        self.seed = seed
        self.modelPath = modelPath
        self.resultsPath = resultsPath
        self.matrixOptions = matrixOptions
        self.cachedSamples = cachedSamples
        self.maxOtherSamples = maxOtherSamples
    }

    /// Checks the class names: at least two, distinct, non-empty, and writable into a CSV field as they are.
    /// - Throws: `AnnotationError` with the problem.
    public static func checkClasses(_ classes: [String]) throws {
        guard classes.count >= 2 else {
            throw AnnotationError(file: "", problem: "--classes needs at least two classes")
        }
        guard classes.count <= 9 else {
            throw AnnotationError(file: "", problem: "--classes takes at most nine classes (keys 1-9)")
        }
        guard Set(classes).count == classes.count else {
            throw AnnotationError(file: "", problem: "--classes lists a class twice")
        }
        for name in classes where name.isEmpty || name.contains(where: { ",\"\n\r".contains($0) }) {
            throw AnnotationError(file: "", problem: "--classes: '\(name)' is not a usable class name")
        }
    }
}

/// One labelling session over an experiment: the queue of peaks, the labels file, what the page shows of
/// a peak, the model's probabilities and retraining. Independent of HTTP; every method is thread-safe.
///
/// Nothing is extracted up front: the table is read, the queue ordered, and a peak's chromatograms are
/// built when it is shown, from its samples' scans (`ScanCache`).
///
/// The queue: every table peak with an RT/m/z window, in `order` (review mode: the peaks the results file
/// labels). The cursor is the shown peak. Labelling writes LABELS.csv (see `LabelStore`) and only then
/// moves on to the next peak that is unlabelled, not skipped in this session, and valid for NeatMS (a peak
/// without a matrix is never labelled, as in NeatMS's tool). A new session starts at the first such peak,
/// so restarting the same command resumes.
public final class AnnotationSession: Sendable {
    public let experiment: Experiment
    public let options: SessionOptions
    /// The model's classes (sorted, as `neatms dataset` orders the labels), when there is a model.
    public let modelClasses: [String]
    /// Lines of an existing labels file that name no peak of the table (kept in the file).
    public let unresolvedLabels: [LabelStore.Unresolved]
    let scans: ScanCache
    let model: SessionModel?

    struct State {
        var store: LabelStore
        var queue: [Int]
        var cursor: Int
        var skipped: Set<Int> = []
        var validity: [Int: String?] = [:]
        var predicted: [Int: String] = [:]
        var sessionLabels = 0
        var firstLabel: Date?
        var finished = false
        var reorderings = 0
    }

    let state: Locked<State>

    /// Opens the session: reads the labels file (and the results file in review mode), orders the queue and
    /// finds the first peak to show. With a model, loading it and (for `uncertain`) computing every peak's
    /// probabilities run in the background; the queue is re-ordered when they are ready.
    /// - Throws: `AnnotationError` naming the file (labels, results, model) with the problem.
    public init(experiment: Experiment, options: SessionOptions) throws {
        try SessionOptions.checkClasses(options.classes)
        self.experiment = experiment
        self.options = options
        let table = experiment.table
        let store = try LabelStore(path: options.labelsPath, table: table)
        unresolvedLabels = store.unresolved
        scans = ScanCache(experiment: experiment, capacity: options.cachedSamples)
        modelClasses = options.classes.sorted()
        if let modelPath = options.modelPath {
            model = try SessionModel(
                path: modelPath, classes: modelClasses, matrixSize: options.matrixOptions.size,
                matrices: table.path)
        } else {
            model = nil
            if options.order == .uncertain {
                throw AnnotationError(file: "", problem: "--order uncertain needs --model")
            }
        }
        var peaks: [Int]
        var predicted: [Int: String] = [:]
        if let resultsPath = options.resultsPath {
            let results = try PredictedLabels(path: resultsPath, table: table)
            peaks = results.entries.map(\.peak)
            for (peak, label) in results.entries { predicted[peak] = label }
        } else {
            peaks = table.peaks.indices.filter { table.peaks[$0].window != nil }
        }
        for (line, label) in store.labelledPeaks.map({ ($0.peak, $0.label) }) where !options.classes.contains(label) {
            throw AnnotationError(
                file: options.labelsPath,
                problem:
                    "peak \(table.samples[table.peaks[line].sample]) feature \(table.features[table.peaks[line].feature].name) "
                    + "is labelled '\(label)', which is not one of the classes \(options.classes.joined(separator: ","))"
            )
        }
        let queue = options.order.arrange(peaks, table: table, seed: options.seed)
        var initial = State(store: store, queue: queue, cursor: 0)
        initial.predicted = predicted
        state = Locked(initial)
        state.withLock { state in
            state.cursor = 0
            if !isOpen(queue.first ?? -1, state) { advance(&state) }
        }
        if let model, options.order == .uncertain {
            model.predictAllInBackground(session: self) { [weak self] in self?.reorderRemaining() }
        }
    }

    // MARK: Queue

    /// Whether `peak` still needs a label: unlabelled, not skipped, and valid (checked on demand).
    private func isOpen(_ peak: Int, _ state: State) -> Bool {
        guard peak >= 0, state.store.label(of: peak) == nil, !state.skipped.contains(peak) else { return false }
        return invalidReason(peak, cached: state.validity) == nil
    }

    /// Why `peak` has no matrix, or nil when it has one (computed from its sample's scans; a sample that
    /// cannot be read makes its peaks invalid with the reader's message).
    private func invalidReason(_ peak: Int, cached: [Int: String?]) -> String? {
        if let known = cached[peak] { return known }
        guard let window = experiment.table.peaks[peak].window else {
            return InvalidPeakReason.missingWindow.description
        }
        do {
            let scans = try scans.scans(experiment.table.peaks[peak].sample)
            if case .invalid(let reason) = PeakMatrixBuilder.matrix(
                for: window, in: scans, options: options.matrixOptions)
            {
                return reason.description
            }
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// Moves the cursor to the next open peak after it, wrapping around to skipped-over positions
    /// before it; marks the session finished when no peak is open.
    private func advance(_ state: inout State) {
        let n = state.queue.count
        guard n > 0 else {
            state.finished = true
            return
        }
        for step in 1...n {
            let position = (state.cursor + step) % n
            let peak = state.queue[position]
            if state.validity[peak] == nil { state.validity[peak] = .some(invalidReason(peak, cached: state.validity)) }
            if isOpen(peak, state) {
                state.cursor = position
                state.finished = false
                return
            }
        }
        // Everything is labelled, skipped or invalid: offer the skipped peaks again, else finished.
        if !state.skipped.isEmpty {
            state.skipped = []
            advance(&state)
            return
        }
        state.finished = true
    }

    /// Re-orders the queue after the cursor by the current model's uncertainty (least confident first).
    func reorderRemaining() {
        guard let model else { return }
        state.withLock { state in
            let head = Array(state.queue[...state.cursor])
            let tail = Array(state.queue[(state.cursor + 1)...])
            let arranged = PeakOrder.uncertain.arrange(tail, table: experiment.table, seed: options.seed) {
                model.confidence(of: $0)
            }
            state.queue = head + arranged
            state.reorderings += 1
        }
    }

    /// How often the queue has been re-ordered by the model's uncertainty (after the start-up predictions
    /// of `--order uncertain` and after each retraining round).
    public var reorderings: Int { state.withLock { $0.reorderings } }

    // MARK: Actions

    /// The peak at the cursor.
    public func current() throws -> PeakView { try view(at: nil) }

    /// The peak at queue `position` (nil: the cursor), which becomes the cursor.
    /// - Throws: `AnnotationError` for a position outside the queue; the reader's error when a sample
    ///   cannot be read.
    public func view(at position: Int?) throws -> PeakView {
        let (peak, pos, label, predicted) = try state.withLock { state -> (Int, Int, String?, String?) in
            if let position {
                guard state.queue.indices.contains(position) else {
                    throw AnnotationError(
                        file: "", problem: "position \(position) is outside the queue (0..<\(state.queue.count))")
                }
                state.cursor = position
            }
            let peak = state.queue.isEmpty ? -1 : state.queue[state.cursor]
            return (peak, state.cursor, peak >= 0 ? state.store.label(of: peak) : nil, state.predicted[peak])
        }
        guard peak >= 0 else {
            throw AnnotationError(file: "", problem: "the queue is empty: the table has no peak to label")
        }
        let view = try PeakView.make(
            session: self, peak: peak, position: pos, label: label, predicted: predicted)
        return view
    }

    /// Labels the peak at `position` with `label` (written to LABELS.csv before returning), then moves on.
    /// - Throws: `AnnotationError` for an unknown class or position, or when the file cannot be written.
    public func label(position: Int, as label: String) throws {
        guard options.classes.contains(label) else {
            throw AnnotationError(
                file: "", problem: "'\(label)' is not one of the classes \(options.classes.joined(separator: ", "))")
        }
        try state.withLock { state in
            guard state.queue.indices.contains(position) else {
                throw AnnotationError(
                    file: "", problem: "position \(position) is outside the queue (0..<\(state.queue.count))")
            }
            let peak = state.queue[position]
            try state.store.set(label, for: peak)
            state.sessionLabels += 1
            if state.firstLabel == nil { state.firstLabel = Date() }
            state.skipped.remove(peak)
            state.cursor = position
            advance(&state)
        }
    }

    /// Skips the peak at the cursor for this session (it comes back when nothing else is open).
    public func skip() {
        state.withLock { state in
            guard !state.queue.isEmpty else { return }
            let peak = state.queue[state.cursor]
            if state.store.label(of: peak) == nil { state.skipped.insert(peak) }
            advance(&state)
        }
    }

    /// Removes the most recent label from LABELS.csv and shows that peak again.
    /// - Returns: false when nothing was labelled.
    public func undo() throws -> Bool {
        try state.withLock { state in
            guard let peak = try state.store.removeLast() else { return false }
            state.sessionLabels = max(0, state.sessionLabels - 1)
            if let position = state.queue.firstIndex(of: peak) {
                state.cursor = position
                state.finished = false
            }
            return true
        }
    }

    /// Moves the cursor one step (-1 previous, +1 next) through the queue, labelled peaks included.
    public func step(_ delta: Int) {
        state.withLock { state in
            guard !state.queue.isEmpty else { return }
            state.cursor = min(max(state.cursor + delta, 0), state.queue.count - 1)
        }
    }

    // MARK: Progress

    /// Labels per class, totals and pace.
    public var progress: LabelProgress {
        state.withLock { state in
            var counts: [String: Int] = [:]
            for (_, label) in state.store.labelledPeaks { counts[label, default: 0] += 1 }
            var perHour: Double? = nil
            if let first = state.firstLabel, state.sessionLabels >= 2 {
                let elapsed = Date().timeIntervalSince(first)
                if elapsed > 0 { perHour = Double(state.sessionLabels - 1) / elapsed * 3600 }
            }
            return LabelProgress(
                classes: options.classes, counts: options.classes.map { counts[$0, default: 0] },
                labelled: state.store.labelledPeaks.count, queue: state.queue.count, position: state.cursor,
                sessionLabels: state.sessionLabels, perHour: perHour, finished: state.finished,
                unresolvedLines: state.store.unresolved.count)
        }
    }

    /// The labels in the file, in labelling order (for tests and the page's summary).
    public var labels: [(peak: Int, label: String)] { state.withLock { $0.store.labelledPeaks } }

    /// The queue (peaks in showing order).
    public var queue: [Int] { state.withLock { $0.queue } }

    /// Raw files read so far, and samples whose scans are held now (at most `cachedSamples`).
    public var loadedSampleCount: Int { scans.loads }
    public var heldSampleCount: Int { scans.held.count }

    /// The cursor's queue position.
    public var cursor: Int { state.withLock { $0.cursor } }

    // MARK: Model

    /// Starts a retraining round in the background (see `SessionModel.retrain`).
    /// - Throws: `AnnotationError` without a model, while a round runs, or with too few labels.
    public func retrain() throws {
        guard let model else {
            throw AnnotationError(file: "", problem: "retraining needs a model: start with --model")
        }
        let labelled = labels.filter { modelClasses.contains($0.label) }
        try model.retrain(session: self, labelled: labelled) { [weak self] in self?.reorderRemaining() }
    }

    /// The retraining rounds so far and whether one is running.
    public var retraining: RetrainStatus? { model?.status }

    /// Writes the current fine-tuned model as a Keras `.h5` beside LABELS.csv (`<stem>.retrained.h5`).
    /// - Returns: its path.
    public func saveModel() throws -> String {
        guard let model else { throw AnnotationError(file: "", problem: "no model to save: start with --model") }
        let labels = options.labelsPath
        let folder = (labels as NSString).deletingLastPathComponent
        let stem = ((labels as NSString).lastPathComponent as NSString).deletingPathExtension
        let name = stem + ".retrained.h5"
        let path = folder.isEmpty ? name : (folder as NSString).appendingPathComponent(name)
        try model.save(to: path)
        return path
    }
}

/// The progress line's numbers.
public struct LabelProgress: Codable, Sendable, Equatable {
    public var classes: [String]
    public var counts: [Int]
    public var labelled: Int
    public var queue: Int
    public var position: Int
    public var sessionLabels: Int
    public var perHour: Double?
    public var finished: Bool
    public var unresolvedLines: Int
}
