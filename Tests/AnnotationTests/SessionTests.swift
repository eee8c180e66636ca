import Annotation
import Foundation
import NeatMS
import TestSupport
import Testing

/// The labelling session on the demo experiment: what a peak's view holds, labelling, skip, undo, resume.
@Suite struct SessionTests {
    let experiment: Experiment

    init() throws {
        let demo = TestPaths.fixture("demo")
        experiment = try Experiment(
            rawFolder: demo.appendingPathComponent("raw"),
            table: demo.appendingPathComponent("tables/mzmine_aligned.csv"),
            format: .mzmine)
    }

    func session(_ labels: URL, order: PeakOrder = .random) throws -> AnnotationSession {
        try AnnotationSession(
            experiment: experiment, options: SessionOptions(labelsPath: labels.path, order: order, seed: 3))
    }

    @Test func aPeaksViewIsItsChromatogramAndNeatMSsMatrix() throws {
        let labels = try TestPaths.temporaryDirectory("session").appendingPathComponent("labels.csv")
        let s = try session(labels)
        let view = try s.current()
        let peak = experiment.table.peaks[view.peak]
        let window = try #require(peak.window)
        // The window NeatMS uses: the peak plus one width on each side.
        let width = window.rtEnd - window.rtStart
        #expect(view.trace.lo == window.rtStart - width && view.trace.hi == window.rtEnd + width)
        #expect(!view.trace.rt.isEmpty && view.trace.rt.allSatisfy { $0 >= view.trace.lo && $0 <= view.trace.hi })
        // Its matrix points, scaled back, are the matrix `neatms extract` computes.
        let scans = try MS1Scans.load(experiment.rawFiles[peak.sample])
        guard case .valid(let values, _) = PeakMatrixBuilder.matrix(for: window, in: scans, options: .neatMSDefault)
        else {
            Issue.record("the first peak shown must be valid")
            return
        }
        #expect(view.trace.matrixRT.count == 120)
        let top = view.trace.matrixIntensity.max()!
        let bottom = view.trace.intensity.min()!
        for j in 0..<120 {
            #expect(abs((view.trace.matrixIntensity[j] - bottom) / (top - bottom) - Double(values[j])) < 1e-6)
        }
        // The same feature in the other samples.
        let others = experiment.table.features[peak.feature].peaks.filter { $0 != view.peak }
        #expect(view.others.map(\.peak) == others)
        #expect(view.sample == experiment.table.samples[peak.sample])
    }

    @Test func labelSkipUndoAndResume() throws {
        let labels = try TestPaths.temporaryDirectory("session").appendingPathComponent("labels.csv")
        let s = try session(labels)
        let queue = s.queue
        #expect(s.cursor == 0)
        let first = queue[0]
        try s.label(position: 0, as: "High_quality")
        #expect(s.cursor == 1)
        s.skip()
        #expect(s.cursor == 2)
        try s.label(position: 2, as: "Noise")
        #expect(try PeakLabels(url: labels, table: experiment.table).entries.map(\.peak) == [first, queue[2]])
        #expect(try s.undo())
        #expect(s.cursor == 2)
        #expect(try PeakLabels(url: labels, table: experiment.table).entries.map(\.peak) == [first])
        try s.label(position: 2, as: "Low_quality")
        #expect(s.progress.counts == [1, 1, 0])
        // A new session on the same file starts at the first unlabelled peak (the skipped one).
        let resumed = try session(labels)
        #expect(resumed.queue == queue)
        #expect(resumed.cursor == 1)
        #expect(resumed.progress.labelled == 2)
        #expect(try resumed.current().label == nil)
        #expect(try resumed.view(at: 0).label == "High_quality")
    }

    @Test func badInputIsARequestErrorWithAMessage() throws {
        let labels = try TestPaths.temporaryDirectory("session").appendingPathComponent("labels.csv")
        let s = try session(labels)
        #expect(
            throws: AnnotationError(
                file: "", problem: "'Good' is not one of the classes High_quality, Low_quality, Noise")
        ) {
            try s.label(position: 0, as: "Good")
        }
        #expect(throws: AnnotationError.self) { try s.label(position: 10_000, as: "Noise") }
        #expect(throws: AnnotationError.self) { try s.view(at: -1) }
        #expect(!FileManager.default.fileExists(atPath: labels.path))
        #expect(throws: AnnotationError.self) {
            try AnnotationSession(
                experiment: experiment, options: SessionOptions(labelsPath: labels.path, order: .uncertain))
        }
    }

    @Test func scansAreLoadedOnDemandAndBounded() throws {
        let labels = try TestPaths.temporaryDirectory("session").appendingPathComponent("labels.csv")
        let s = try AnnotationSession(
            experiment: experiment,
            options: SessionOptions(labelsPath: labels.path, order: .feature, cachedSamples: 2, maxOtherSamples: 0))
        _ = try s.current()
        // One peak of a feature, no other samples: one sample read, not the experiment.
        #expect(s.loadedSampleCount == 1)
        for position in 1..<8 { _ = try s.view(at: position) }
        #expect(s.heldSampleCount <= 2)
    }
}
