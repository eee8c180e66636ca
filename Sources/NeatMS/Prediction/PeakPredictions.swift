import Foundation
import MassSpec
import Support

/// What prediction produced for an experiment: a label (and the probabilities) for every valid peak.
public struct PeakPredictions: Sendable, Equatable {
    /// The model's classes.
    public var classes: [String]
    /// Per peak of `FeatureTable.peaks`: the label, or nil for a peak without a matrix.
    public var labels: [String?]
    /// Per peak: the predicted probabilities, or nil.
    public var probabilities: [[Float]?]

    public init(classes: [String], peakCount: Int) {
        self.classes = classes
        labels = Array(repeating: nil, count: peakCount)
        probabilities = Array(repeating: nil, count: peakCount)
    }

    /// Counts of each label over the labelled peaks.
    public var labelCounts: [String: Int] {
        var counts: [String: Int] = [:]
        for label in labels { if let label { counts[label, default: 0] += 1 } }
        return counts
    }
}

/// A problem running prediction; the description is the message.
public struct PredictionError: LocatedError, Sendable {
    public var message: String
    /// The file concerned, when one names it.
    public var file: String?
    public var problem: String { message }
}

extension Experiment {
    /// Predicts every valid peak, samples in parallel (docs/NEATMS-BEHAVIOUR.md#prediction): each sample's
    /// matrices are built and passed, as one batch, to `classifier`, which returns one probability row per
    /// matrix; the peaks are then labelled with `threshold` and `label`.
    ///
    /// - Parameters:
    ///   - classifier: the network (its classes are the labels, in output order; NeatMS: the sorted labels).
    ///     Called from several threads at once.
    ///   - progress: called (serially) after each sample with its matrices' summary.
    ///   - loader: reads a sample's scans; nil (the default) reads the mzML with `MassSpec` (as
    ///     `MS1Scans.load(_:keeping:)`).
    ///   - streaming: with the default loader, whether each sample is read on a thread of its own while
    ///     its first peaks go through the network (`StreamingSample`), so that the classifier may then be
    ///     asked several times per sample, with part of its peaks each time. nil (the default): when there
    ///     are more cores than samples worked on at once. The matrices are the same either way; the network
    ///     then sees other batches, which can move its outputs in the last bits of a float.
    ///   - samples: the samples to predict (indices into `table.samples`; nil: all). Peaks of the other
    ///     samples stay unlabelled. Each network copy then runs on one thread (see the body).
    public func predictPeaks(
        classifier: some PeakClassifier, threshold: Double, label: String = "High_quality",
        options: MatrixOptions = .neatMSDefault,
        concurrency: Int = Cores.available,
        loader: MS1Loader? = nil,
        streaming: Bool? = nil,
        samples: [Int]? = nil,
        progress: @escaping @Sendable (SampleMatrices) -> Void = { _ in }
    ) throws -> PeakPredictions {
        let classes = classifier.classes
        guard let target = classes.firstIndex(of: label) else {
            throw PredictionError(
                message: "class '\(label)' is not one of the model's classes \(classes.joined(separator: ", "))")
        }
        let box = Locked(PeakPredictions(classes: classes, peakCount: table.peaks.count))
        let table = self.table
        let chosen = samples ?? Array(table.samples.indices)
        let workers = min(max(concurrency, 1), chosen.count)
        let stream = loader == nil && (streaming ?? (Cores.available > workers))
        // A subset runs each network copy on one thread, as a run over more samples than cores does, so that
        // its probabilities equal that run's bit for bit (the split of a batch across threads moves outputs
        // in their last bits).
        classifier.prepare(concurrentCallers: samples == nil ? workers : max(workers, Cores.available))
        let load = loader ?? { try MS1Scans.load($0, keeping: $1) }
        try SampleRunner.run(
            samples: chosen, concurrency: concurrency,
            work: { sample -> (SampleMatrices, [[Float]]) in
                if stream {
                    let streamed = StreamingSample(
                        table: table, sample: sample, url: rawFiles[sample], options: options,
                        batchSize: Self.streamingBatch, spectraPerChunk: Self.streamingChunk)
                    return try streamed.run(predict: classifier.probabilities)
                }
                let scans = try load(rawFiles[sample], table.mzRanges(sample: sample))
                let matrices = SampleMatrices(table: table, sample: sample, scans: scans, options: options)
                let output = matrices.count == 0 ? [] : try classifier.probabilities(matrices)
                guard output.count == matrices.count else {
                    throw PredictionError(
                        message:
                            "\(matrices.sampleName): the model returned \(output.count) predictions for \(matrices.count) peaks"
                    )
                }
                return (matrices, output)
            },
            consume: { _, result in
                let (matrices, output) = result
                box.withLock { predictions in
                    for (i, peak) in matrices.peaks.enumerated() {
                        predictions.probabilities[peak] = output[i]
                        predictions.labels[peak] = PeakLabelling.label(
                            probabilities: output[i], classes: classes, target: target, threshold: threshold)
                    }
                }
                progress(matrices)
            })
        return box.current
    }
}

extension Experiment {
    /// Ready matrices per network call when streaming.
    static let streamingBatch = 256
    /// Spectra per chunk handed from the reader thread when streaming.
    static let streamingChunk = 16
}
