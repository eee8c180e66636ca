import Annotation
import Foundation
import NeatMS
import TestSupport
import Testing

@Suite struct PeakOrderTests {
    let table: FeatureTable

    init() throws {
        table = try FeatureTable.read(TestPaths.fixture("demo/tables/mzmine_aligned.csv"), format: .mzmine)
    }

    @Test func randomIsASeededPermutation() {
        let peaks = Array(table.peaks.indices)
        let a = PeakOrder.random.arrange(peaks, table: table, seed: 7)
        #expect(a.sorted() == peaks)
        #expect(a != peaks)
        #expect(PeakOrder.random.arrange(peaks, table: table, seed: 7) == a)
        #expect(PeakOrder.random.arrange(peaks, table: table, seed: 8) != a)
        // The shuffle is Python's (PythonRandom, tested against CPython in NeatMSTests).
        var direct = peaks
        var random = PythonRandom(seed: 7)
        random.shuffle(&direct)
        #expect(direct == a)
    }

    @Test func featureOrderShowsEverySampleOfAFeatureInARow() {
        let order = PeakOrder.feature.arrange(
            PeakOrder.random.arrange(Array(table.peaks.indices), table: table, seed: 1), table: table, seed: 0)
        let features = order.map { table.peaks[$0].feature }
        #expect(features == features.sorted())
        for i in 1..<order.count where features[i] == features[i - 1] {
            #expect(table.peaks[order[i]].sample > table.peaks[order[i - 1]].sample)
        }
    }

    @Test func uncertainPutsTheLeastConfidentFirstAndUnknownLast() {
        let peaks = [0, 1, 2, 3, 4]
        let confidence: [Int: Float] = [0: 0.9, 1: 0.4, 3: 0.6, 4: 0.41]
        let order = PeakOrder.uncertain.arrange(peaks, table: table, seed: 0) { confidence[$0] }
        #expect(order == [1, 4, 3, 0, 2])
    }
}
