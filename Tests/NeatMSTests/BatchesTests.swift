import NeatMS
import Testing

/// NeatMS's `create_batches` (docs/NEATMS-BEHAVIOUR.md#batches): counts, Python's half-even rounding,
/// normalisation, merging, disjointness, seeds.
@Suite struct BatchesTests {
    /// `n` valid peaks cycling through the three NeatMS labels.
    func labels(_ n: Int) -> [String] {
        (0..<n).map { ["Noise", "High_quality", "Low_quality"][$0 % 3] }
    }

    // Expected s = Python round(split * n) (halves to even): 0.1*25 = 2.5 → 2, 0.1*35 = 3.5 → 4,
    // 0.1*45 = 4.5 → 4, 0.1*55 = 5.5 → 6, 0.1*5 = 0.5 → 0, 0.3*5 = 1.5 → 2, 0.25*10 = 2.5 → 2.
    @Test(arguments: [
        (25, 0.1, 2), (35, 0.1, 4), (45, 0.1, 4), (55, 0.1, 6), (5, 0.1, 0), (100, 0.1, 10),
        (5, 0.3, 2), (10, 0.25, 2), (12, 0.2, 2), (7, 0.0, 0), (1, 0.1, 0),
    ])
    func splitCounts(n: Int, split: Double, s: Int) throws {
        let b = try Batches(
            labels: labels(n), valid: Array(repeating: true, count: n),
            options: BatchOptions(validationSplit: split, seed: 7))
        #expect(b.test.count == s)
        #expect(b.validation.count == s)
        #expect(b.training.count == n - 2 * s)
    }

    @Test func countsUseValidPeaksOnly() throws {
        // 40 labelled peaks, 5 invalid: s = round(0.1 * 35) = round(3.5) = 4.
        let valid = (0..<40).map { $0 % 8 != 3 }
        let b = try Batches(labels: labels(40), valid: valid, options: BatchOptions(validationSplit: 0.1, seed: 1))
        #expect(b.invalid.count == 5)
        #expect(b.test.count == 4 && b.validation.count == 4 && b.training.count == 27)
        let used = b.training + b.test + b.validation
        #expect(used.allSatisfy { valid[$0] })
        #expect(Set(b.invalid).allSatisfy { !valid[$0] })
    }

    @Test func partsAreDisjointAndCoverEveryValidPeak() throws {
        let n = 97
        let valid = (0..<n).map { $0 % 10 != 0 }
        let b = try Batches(labels: labels(n), valid: valid, options: BatchOptions(validationSplit: 0.15, seed: 3))
        let all = b.training + b.test + b.validation
        #expect(Set(all).count == all.count)
        #expect(Set(all) == Set((0..<n).filter { valid[$0] }))
        #expect(Set(all + b.invalid) == Set(0..<n))
    }

    @Test func classOrderIsSortedLabels() throws {
        let b = try Batches(
            labels: ["Noise", "Low_quality", "High_quality", "Noise"], valid: [true, true, true, true],
            options: BatchOptions(validationSplit: 0))
        #expect(b.classes == ["High_quality", "Low_quality", "Noise"])
        #expect(b.labels == [2, 1, 0, 2])
    }

    @Test func sameSeedSameBatchesOtherSeedOtherOrder() throws {
        let n = 60
        let valid = Array(repeating: true, count: n)
        let a = try Batches(labels: labels(n), valid: valid, options: BatchOptions(seed: 11))
        let b = try Batches(labels: labels(n), valid: valid, options: BatchOptions(seed: 11))
        let c = try Batches(labels: labels(n), valid: valid, options: BatchOptions(seed: 12))
        #expect(a == b)
        #expect(a.training + a.test + a.validation != c.training + c.test + c.validation)
        // Shuffled: not the input order.
        #expect(a.test + a.validation + a.training != Array(0..<n))
    }

    @Test func noShuffleKeepsFileOrder() throws {
        let n = 30
        let valid = (0..<n).map { $0 != 4 }
        let b = try Batches(
            labels: labels(n), valid: valid, options: BatchOptions(validationSplit: 0.1, shuffle: false, seed: 5))
        // 29 valid: s = round(2.9) = 3.
        #expect(b.test == [0, 1, 2])
        #expect(b.validation == [3, 5, 6])
        #expect(b.training == Array(7..<n))
    }

    @Test func normaliseClassKeepsSmallestClassSize() throws {
        // 10 High, 4 Low, 6 Noise → 4 of each (12 peaks), split 0.25 → s = round(3.0) = 3.
        let ls =
            Array(repeating: "High_quality", count: 10) + Array(repeating: "Low_quality", count: 4)
            + Array(repeating: "Noise", count: 6)
        let b = try Batches(
            labels: ls, valid: Array(repeating: true, count: ls.count),
            options: BatchOptions(validationSplit: 0.25, normaliseClass: true, seed: 9))
        let kept = b.training + b.test + b.validation
        #expect(kept.count == 12)
        #expect(b.normalisedAway == 8)
        for c in 0..<3 { #expect(kept.filter { b.labels[$0] == c }.count == 4) }
        #expect(b.test.count == 3 && b.validation.count == 3 && b.training.count == 6)
        // Every Low_quality peak is kept (it is the smallest class).
        #expect(Set(kept.filter { b.labels[$0] == 1 }) == Set(10..<14))
    }

    @Test func normaliseCountsInvalidPeaksBeforeDroppingThem() throws {
        // 3 High (1 invalid), 5 Noise: normalise to 3 each, then drop the invalid one → 5 valid peaks.
        let ls = Array(repeating: "High_quality", count: 3) + Array(repeating: "Noise", count: 5)
        let valid = [true, false, true] + Array(repeating: true, count: 5)
        let b = try Batches(
            labels: ls, valid: valid, options: BatchOptions(validationSplit: 0, normaliseClass: true, seed: 2))
        #expect(b.training.count == 5)
        #expect(b.invalid == [1])
        #expect(b.training.filter { b.labels[$0] == 1 }.count == 3)
    }

    @Test func mergeClassesMapsLabelsFirst() throws {
        // Low_quality + Noise → False: 4 High_quality, 8 False; normalised to 4 + 4.
        let ls = labels(12)
        let b = try Batches(
            labels: ls, valid: Array(repeating: true, count: 12),
            options: BatchOptions(
                validationSplit: 0, normaliseClass: true,
                mergeClasses: ClassMerge(labels: ["Low_quality", "Noise"], into: "False"), seed: 4))
        #expect(b.classes == ["False", "High_quality"])
        #expect(b.labels == ls.map { $0 == "High_quality" ? 1 : 0 })
        #expect(b.training.count == 8)
        #expect(b.training.filter { b.labels[$0] == 0 }.count == 4)
    }

    @Test(arguments: [-0.1, 0.5, 0.7, Double.nan])
    func rejectsBadSplits(split: Double) {
        #expect(throws: BatchError.self) {
            try Batches(
                labels: labels(10), valid: Array(repeating: true, count: 10),
                options: BatchOptions(validationSplit: split))
        }
    }

    @Test func datasetPartsAreRelabelled() throws {
        let n = 6
        let ds = try PeakDataset(
            classes: ["High_quality", "Low_quality", "Noise"], matrixSize: 2,
            x: (0..<(n * 4)).map(Float.init), y: [0, 1, 2, 0, 1, 2])
        let b = try Batches(
            dataset: ds,
            options: BatchOptions(
                validationSplit: 0, mergeClasses: ClassMerge(labels: ["Low_quality", "Noise"], into: "Bad"),
                shuffle: false))
        // Unshuffled, a dataset's peaks come in NeatMS's annotation order: grouped by class (in class
        // order), labelling order within a class — rows 0, 3 (High_quality), 1, 4 (Low_quality), 2, 5 (Noise).
        #expect(b.training == [0, 3, 1, 4, 2, 5])
        let part = ds.part(b.training, of: b)
        #expect(part.classes == ["Bad", "High_quality"])
        #expect(part.y == [1, 1, 0, 0, 0, 0])
        #expect(part.x == [0, 3, 1, 4, 2, 5].flatMap { row in (0..<4).map { Float(row * 4 + $0) } })
    }
}
