import Annotation
import Foundation
import NeatMS
import TestSupport
import Testing

/// LABELS.csv as the labelling session writes it: read back by `PeakLabels` (what `neatms dataset --labels`
/// uses), in labelling order, durable after each change, unresolvable lines kept.
@Suite struct LabelStoreTests {
    let table: FeatureTable

    init() throws {
        table = try FeatureTable.read(TestPaths.fixture("demo/tables/mzmine_aligned.csv"), format: .mzmine)
    }

    func folder() throws -> URL { try TestPaths.temporaryDirectory("label-store") }

    @Test func writesWhatTheDatasetReaderReadsInLabellingOrder() throws {
        let url = try folder().appendingPathComponent("labels.csv")
        var store = try LabelStore(path: url.path, table: table)
        #expect(!FileManager.default.fileExists(atPath: url.path))
        let peaks = [17, 3, 250, 99]
        let classes = ["Noise", "High_quality", "Low_quality", "High_quality"]
        for (peak, label) in zip(peaks, classes) { try store.set(label, for: peak) }
        // Relabelling keeps the peak's place in the labelling order.
        try store.set("Noise", for: 3)
        let read = try PeakLabels(url: url, table: table)
        #expect(read.entries.map(\.peak) == peaks)
        #expect(read.entries.map(\.label) == ["Noise", "Noise", "Low_quality", "High_quality"])
        // The file's first line and one row, as README's Labels CSV shows them.
        let text = try String(contentsOf: url, encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.first == "sample,feature_id,mz,rt,label")
        let p = table.peaks[17]
        #expect(
            lines[1]
                == "\(table.samples[p.sample]),\(table.features[p.feature].name),\(String(format: "%.4f", p.mz!)),\(String(format: "%.3f", p.rt!)),Noise"
        )
        // No temporary file is left beside it.
        let names = try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path)
        #expect(names == ["labels.csv"])
    }

    @Test func reopeningResumesAndUndoRemovesTheLastLabel() throws {
        let url = try folder().appendingPathComponent("labels.csv")
        var store = try LabelStore(path: url.path, table: table)
        try store.set("Noise", for: 5)
        try store.set("High_quality", for: 6)
        var reopened = try LabelStore(path: url.path, table: table)
        #expect(reopened.labelledPeaks.map(\.peak) == [5, 6])
        #expect(try reopened.removeLast() == 6)
        #expect(try PeakLabels(url: url, table: table).entries.map(\.peak) == [5])
        #expect(try reopened.removeLast() == 5)
        #expect(try reopened.removeLast() == nil)
        #expect(try PeakLabels(url: url, table: table).entries.isEmpty)
    }

    @Test func linesNamingNoPeakAreReportedAndKept() throws {
        let url = try folder().appendingPathComponent("labels.csv")
        try """
        sample,feature_id,mz,rt,label
        gone.mzML,3,1,1,Noise
        sample_1.mzML,1,,,High_quality

        """.write(to: url, atomically: true, encoding: .utf8)
        var store = try LabelStore(path: url.path, table: table)
        #expect(store.unresolved.map(\.line) == [2])
        #expect(store.unresolved.first?.problem.contains("gone.mzML") == true)
        #expect(store.labelledPeaks.count == 1)
        try store.set("Noise", for: 0)
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.contains("gone.mzML,3,1,1,Noise\n"))
        #expect(text.split(separator: "\n").count == 4)
    }

    @Test func aFileThatIsNotALabelsFileIsAnErrorNamingIt() throws {
        let url = try folder().appendingPathComponent("labels.csv")
        try "a,b\n1,2\n".write(to: url, atomically: true, encoding: .utf8)
        #expect(throws: AnnotationError.self) { try LabelStore(path: url.path, table: table) }
        do {
            _ = try LabelStore(path: "no/such/folder/labels.csv", table: table)
            Issue.record("expected an error")
        } catch let error as AnnotationError {
            #expect(error.description.hasPrefix("no/such/folder/labels.csv: "))
        }
    }
}
