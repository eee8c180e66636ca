import Annotation
import Foundation
import KerasFormat
import NeatMS
import TestSupport
import Testing

/// Sessions with the bundled model: probabilities, uncertain order, retraining with the convolutional base
/// frozen, the saved fine-tuned model; and review of `neatms predict` results.
@Suite(.serialized) struct ModelSessionTests {
    let experiment: Experiment
    let model = TestPaths.fixture("neatms_default_model.h5")
    /// The demo's ground truth (Fixtures/demo/labels.csv, from the generator).
    let truth: [Int: String]

    init() throws {
        let demo = TestPaths.fixture("demo")
        experiment = try Experiment(
            rawFolder: demo.appendingPathComponent("raw"),
            table: demo.appendingPathComponent("tables/mzmine_aligned.csv"),
            format: .mzmine)
        let labels = try PeakLabels(url: demo.appendingPathComponent("labels.csv"), table: experiment.table)
        truth = Dictionary(uniqueKeysWithValues: labels.entries.map { ($0.peak, $0.label) })
    }

    /// Waits (bounded) until `condition` holds.
    func wait(_ what: String, seconds: Double = 300, _ condition: () -> Bool) throws {
        let end = Date().addingTimeInterval(seconds)
        while !condition() {
            guard Date() < end else { throw AnnotationError(file: "", problem: "gave up waiting for \(what)") }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    @Test func retrainFineTunesTheClassifierOnlyAndSavesAKerasFile() throws {
        let folder = try TestPaths.temporaryDirectory("annotate-model")
        let labels = folder.appendingPathComponent("labels.csv")
        let session = try AnnotationSession(
            experiment: experiment,
            options: SessionOptions(labelsPath: labels.path, order: .random, seed: 2, modelPath: model.path))
        let first = try session.current()
        let probabilities = try #require(first.probabilities)
        #expect(first.modelClasses == ["High_quality", "Low_quality", "Noise"])
        #expect(abs(probabilities.reduce(0, +) - 1) < 1e-4)
        #expect(throws: AnnotationError.self) { try session.retrain() }  // fewer than 10 labels
        for _ in 0..<25 {
            let view = try session.current()
            try session.label(position: view.position, as: truth[view.peak] ?? "Noise")
        }
        let savedPath = folder.appendingPathComponent("labels.retrained.h5").path
        #expect(throws: AnnotationError(file: savedPath, problem: "not written: no retraining round has finished yet"))
        {
            try session.saveModel()
        }
        try session.retrain()
        try wait("the retraining round") { session.retraining?.running == false }
        let status = try #require(session.retraining)
        #expect(status.error == nil)
        let round = try #require(status.rounds.first)
        #expect(round.heldOut == 5 && round.trained == 20)
        #expect(round.heldOutAccuracy >= 0 && round.heldOutAccuracy <= 1)
        let path = try session.saveModel()
        #expect(path == savedPath)
        let saved = try KerasModelFile.load(URL(fileURLWithPath: path)).model
        let base = try KerasModelFile.load(model).model
        // The convolutional base (conv2d_1, max_pooling2d_1, conv2d_2) is frozen: unchanged, non-trainable; the
        // classifier moved.
        for layer in 0..<4 { #expect(saved.weights[layer].map(\.scalars) == base.weights[layer].map(\.scalars)) }
        #expect(saved.architecture.layers[1...3].map(\.trainable) == [false, false, false])
        #expect(saved.weights[4...].map { $0.map(\.scalars) } != base.weights[4...].map { $0.map(\.scalars) })
        // The new model's probabilities are shown from now on.
        #expect(try session.view(at: 0).probabilities != probabilities)
    }

    @Test func uncertainOrderShowsTheLeastConfidentPeaksFirst() throws {
        let labels = try TestPaths.temporaryDirectory("annotate-model").appendingPathComponent("labels.csv")
        let session = try AnnotationSession(
            experiment: experiment,
            options: SessionOptions(labelsPath: labels.path, order: .uncertain, modelPath: model.path))
        // The probabilities are computed in the background; the queue after the cursor is then re-ordered.
        try wait("the re-ordered queue") { session.reorderings == 1 }
        let confidences = (1..<40).compactMap { try? session.view(at: $0).probabilities?.max() }
        #expect(confidences == confidences.sorted())
        #expect(confidences.first! < 0.6)
    }

    @Test func reviewWalksThePredictedLabels() throws {
        let folder = try TestPaths.temporaryDirectory("annotate-review")
        let results = folder.appendingPathComponent("results.csv")
        // The first rows of a `neatms predict --raw` export of the demo (NeatMS's export_csv layout).
        try """
        ,feature ID,sample,m/z,retention time,height,area,label
        0,0,sample_2,100.495077,2.251322,428398.0,6750585.9,Low_quality
        1,0,sample_3,100.495077,2.251322,709052.7,7201250.0,High_quality
        2,5,sample_1,1,1,1,1,Noise

        """.write(to: results, atomically: true, encoding: .utf8)
        let predicted = try PredictedLabels(path: results.path, table: experiment.table)
        let table = experiment.table
        #expect(
            predicted.entries.map { table.samples[table.peaks[$0.peak].sample] } == [
                "sample_2.mzML", "sample_3.mzML", "sample_1.mzML",
            ])
        #expect(predicted.entries.map { table.peaks[$0.peak].feature } == [0, 0, 5])
        let session = try AnnotationSession(
            experiment: experiment,
            options: SessionOptions(
                labelsPath: folder.appendingPathComponent("labels.csv").path, order: .feature, resultsPath: results.path
            ))
        #expect(session.queue.count == 3)
        let view = try session.current()
        #expect(view.predicted == "Low_quality")
        try session.label(position: view.position, as: view.predicted!)
        #expect(session.labels.map(\.label) == ["Low_quality"])

        try ",feature ID,sample,label\n0,999,sample_2,Noise\n".write(to: results, atomically: true, encoding: .utf8)
        #expect(
            throws: AnnotationError(file: results.path, problem: "line 2: feature ID '999' is not in the feature table")
        ) {
            try PredictedLabels(path: results.path, table: table)
        }
    }
}
