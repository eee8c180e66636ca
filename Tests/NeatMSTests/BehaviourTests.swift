import Foundation
import TestSupport
import Testing

@testable import NeatMS

/// `Fixtures/neatms/behaviour.json`, made by `Scripts/fixtures/make_neatms_behaviour_fixtures.py` with NeatMS 0.9's own
/// code (a stub network returning fixed probabilities stands in for TensorFlow).
struct Behaviour: Decodable {
    struct RandomCase: Decodable {
        var getrandbits32: [UInt32]
        var shuffle20: [Int]
        var randbelow1000: [Int]
    }
    struct OptionsCase: Decodable {
        var experiment: String
        var sample: String
        var size: Int
        var margin: Double
        var min_scans: Int
        var peaks: Int
        var valid_positions: [Int]
        var scan_numbers: [Int]
        var matrices: [String: [Float]]
    }
    struct BatchCase: Decodable {
        var samples: [String]
        var seed: UInt64
        var validation_split: Double
        var normalise_class: Bool
        var merge: [MergeItem]
        var classes: [String]
        var test: [[Int]]
        var validation: [[Int]]
        var training: [[Int]]
        var training_labels: [String]
    }
    enum MergeItem: Decodable {
        case labels([String])
        case label(String)
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let list = try? container.decode([String].self) {
                self = .labels(list)
            } else {
                self = .label(try container.decode(String.self))
            }
        }
    }
    struct ThresholdCase: Decodable {
        var true_classes: [Int]
        var probabilities_64ths: [[Int]]
        var table: [[Double?]]
        var threshold: Double
        var auc: Double
    }
    struct ExportCase: Decodable {
        var threshold: Double
        var probabilities_64ths: [String: [[Int]]]
        var labels: [String: String]
        var csv: [String: String]
    }
    var python_random: [String: RandomCase]
    var matrix_options: [OptionsCase]
    var labels_csv: String
    var batches: [BatchCase]
    var threshold: ThresholdCase
    var export: [String: ExportCase]

    static func load() throws -> Behaviour {
        try TestPaths.loadJSON(Behaviour.self, from: TestPaths.fixture("neatms/behaviour.json"))
    }
}

@Suite struct PythonRandomTests {
    @Test func matchesCPythonRandom() throws {
        let fixture = try Behaviour.load()
        for (seedText, expected) in fixture.python_random {
            var random = PythonRandom(seed: try #require(UInt64(seedText)))
            #expect((0..<5).map { _ in random.nextUInt32() } == expected.getrandbits32, "seed \(seedText)")
            var items = Array(0..<20)
            random.shuffle(&items)
            #expect(items == expected.shuffle20, "seed \(seedText)")
            #expect((0..<5).map { _ in random.below(1000) } == expected.randbelow1000, "seed \(seedText)")
        }
    }
}

@Suite struct ThresholdTests {
    @Test func recallTableThresholdAndAUCMatchNeatMS() throws {
        let fixture = try Behaviour.load().threshold
        let probabilities = fixture.probabilities_64ths.map { $0.map { Float($0) / 64 } }
        let analysis = try ThresholdAnalysis(
            classes: ["High_quality", "Low_quality", "Noise"], trueClasses: fixture.true_classes,
            probabilities: probabilities)
        #expect(analysis.rows.count == fixture.table.count)
        for (row, expected) in zip(analysis.rows, fixture.table) {
            let ours = [row.probability, row.truePositive, row.falsePositive, row.falseLow, row.falseNoise]
            #expect(ours == expected.map { $0 ?? .nan }, "p = \(row.probability)")
        }
        #expect(analysis.threshold == fixture.threshold)
        #expect(analysis.auc == fixture.auc)
        #expect(analysis.csv.hasPrefix("Probablity_threshold,True,False,False_low,False_noise\n0.0,1.0,1.0,1.0,1.0\n"))
        let svg = analysis.rocSVG()
        #expect(svg.hasPrefix("<?xml") && svg.contains("<polyline") && svg.hasSuffix("</svg>\n"))
    }

    @Test func targetClassMustExist() {
        #expect(throws: ThresholdAnalysis.InputError.self) {
            try ThresholdAnalysis(classes: ["A", "B"], trueClasses: [0], probabilities: [[1, 0]])
        }
    }

    /// A perfect classifier: threshold where True − False first peaks, AUC 1 (exact arithmetic).
    @Test func perfectSeparation() throws {
        let analysis = try ThresholdAnalysis(
            classes: ["High_quality", "Low_quality", "Noise"], trueClasses: [0, 0, 1, 2],
            probabilities: [[0.9, 0.05, 0.05], [0.8, 0.1, 0.1], [0.3, 0.6, 0.1], [0.2, 0.1, 0.7]])
        #expect(analysis.threshold == 31 * 0.01)
        #expect(analysis.auc == 1)
    }
}

@Suite struct PredictionLabelTests {
    @Test func thresholdThenArgmax() {
        let classes = ["High_quality", "Low_quality", "Noise"]
        #expect(
            PeakLabelling.label(probabilities: [0.25, 0.5, 0.25], classes: classes, target: 0, threshold: 0.22)
                == "High_quality")
        // float32 0.22 is 0.2199999988…, below the float64 threshold 0.22 — NeatMS compares the same way.
        #expect(
            PeakLabelling.label(probabilities: [0.22, 0.5, 0.28], classes: classes, target: 0, threshold: 0.22)
                == "Low_quality")
        #expect(
            PeakLabelling.label(probabilities: [0.5, 0.25, 0.25], classes: classes, target: 0, threshold: 0.5)
                == "High_quality")
        #expect(
            PeakLabelling.label(probabilities: [0.21, 0.5, 0.29], classes: classes, target: 0, threshold: 0.22)
                == "Low_quality")
        #expect(
            PeakLabelling.label(probabilities: [0.1, 0.45, 0.45], classes: classes, target: 0, threshold: 0.22)
                == "Low_quality")
        #expect(
            PeakLabelling.label(probabilities: [0.1, 0.2, 0.7], classes: classes, target: 2, threshold: 0.9) == "Noise")
    }

    @Test func pythonFloatFormatting() {
        #expect(ResultsExport.pythonFloat(690500.0) == "690500.0")
        #expect(ResultsExport.pythonFloat(9999999999999998.0) == "9999999999999998.0")
        #expect(ResultsExport.pythonFloat(1e16) == "1e+16")
        #expect(ResultsExport.pythonFloat(0.00009) == "9e-05")
        #expect(ResultsExport.pythonFloat(81.51988556019289) == "81.51988556019289")
        #expect(ResultsExport.pythonFloat(nil) == "")
        #expect(ResultsExport.pythonFloat(.nan) == "")
    }
}

@Suite(.enabled(if: TestPaths.sharedData("lcms") != nil, "needs ../shared/data/lcms"))
struct SharedDataBehaviourTests {
    private func experiment(_ name: String) throws -> Experiment {
        let base = try #require(TestPaths.sharedData("lcms/\(name)"))
        return try Experiment(
            rawFolder: base.appendingPathComponent("mzML"),
            table: base.appendingPathComponent("tables/mzmine_aligned.csv"), format: .mzmine)
    }

    /// Other matrix sizes, margins and minimum scan counts give NeatMS's valid peaks, scan numbers and
    /// matrices.
    @Test func otherMatrixOptions() throws {
        for case_ in try Behaviour.load().matrix_options {
            let run = try experiment(case_.experiment)
            let sample = try #require(run.table.sampleIndex(case_.sample))
            let options = MatrixOptions(size: case_.size, margin: case_.margin, minScans: case_.min_scans)
            let scans = try ScanCache.shared.load(run.rawFiles[sample], run.table.mzRanges(sample: sample))
            let matrices = SampleMatrices(table: run.table, sample: sample, scans: scans, options: options)
            #expect(run.table.peaksBySample[sample].count == case_.peaks)
            #expect(matrices.positionsInSample == case_.valid_positions, "\(options)")
            #expect(matrices.scanNumbers == case_.scan_numbers, "\(options)")
            for (positionText, expected) in case_.matrices {
                let position = try #require(Int(positionText))
                let i = try #require(matrices.positionsInSample.firstIndex(of: position))
                let difference = zip(matrices.matrix(i), expected).map { abs($0 - $1) }.max() ?? 1
                #expect(expected.count == 2 * case_.size)
                #expect(difference <= 1e-6, "\(options) peak \(position): max |Δ| = \(difference)")
            }
        }
    }

    /// Labels CSV → PEAKS.h5 → batches equal `random.seed(s); create_batches(...)` in NeatMS.
    @Test func labelledDatasetAndBatches() throws {
        let fixture = try Behaviour.load()
        let run = try experiment("tidyms-nist")
        let directory = try TestPaths.temporaryDirectory("labels")
        defer { try? FileManager.default.removeItem(at: directory) }
        let labelsURL = directory.appendingPathComponent("labels.csv")
        try Data(fixture.labels_csv.utf8).write(to: labelsURL)
        let labels = try PeakLabels(url: labelsURL, table: run.table)
        let (built, invalid) = try run.labelledDataset(labels: labels, loader: ScanCache.shared.load)
        #expect(invalid.count == 12, "the fixture labels every invalid tidyms-nist peak (4 + 4 + 2 + 2)")
        #expect(invalid.allSatisfy { $0.line > 1 })
        let peaksURL = directory.appendingPathComponent("PEAKS.h5")
        try built.write(to: peaksURL)
        let dataset = try PeakDataset.read(peaksURL)
        #expect(dataset == built)
        #expect(dataset.classes == ["High_quality", "Low_quality", "Noise"])

        for case_ in fixture.batches {
            var merge: ClassMerge? = nil
            if case_.merge.count == 2, case .labels(let from) = case_.merge[0], case .label(let into) = case_.merge[1] {
                merge = ClassMerge(labels: from, into: into)
            }
            let batches = try Batches(
                dataset: dataset,
                options: BatchOptions(
                    validationSplit: case_.validation_split, normaliseClass: case_.normalise_class,
                    mergeClasses: merge, seed: case_.seed))
            func positions(_ rows: [Int]) -> [[Int]] {
                rows.map {
                    [
                        case_.samples.firstIndex(of: dataset.samples[dataset.sample[$0]]) ?? -1,
                        dataset.peakIndexInSample[$0],
                    ]
                }
            }
            #expect(batches.classes == case_.classes)
            #expect(positions(batches.test) == case_.test, "seed \(case_.seed)")
            #expect(positions(batches.validation) == case_.validation, "seed \(case_.seed)")
            #expect(positions(batches.training) == case_.training, "seed \(case_.seed)")
            #expect(batches.training.map { batches.classes[batches.labels[$0]] } == case_.training_labels)
        }
    }

    /// Prediction labels (threshold 0.22) and the exported CSV equal NeatMS's for the same probabilities.
    @Test(arguments: ["mzmine-workshop", "tidyms-nist"])
    func predictionAndExport(name: String) throws {
        let fixture = try #require(try Behaviour.load().export[name])
        let run = try experiment(name)
        let classes = ["High_quality", "Low_quality", "Noise"]
        let classifier = FunctionClassifier(classes: classes) { matrices in
            let rows = fixture.probabilities_64ths[matrices.sampleName] ?? []
            return rows.map { $0.map { Float($0) / 64 } }
        }
        let predictions = try run.predictPeaks(
            classifier: classifier, threshold: fixture.threshold, loader: ScanCache.shared.load)
        for (sample, letters) in fixture.labels {
            let s = try #require(run.table.sampleIndex(sample))
            let ours = run.table.peaksBySample[s].compactMap { predictions.labels[$0] }.map { String($0.prefix(1)) }
            #expect(ours.joined() == letters, "\(sample)")
        }
        let small = name == "tidyms-nist"
        let cases: [(String, ExportOptions)] = [
            ("default", ExportOptions(properties: small ? [.label] : [.rt, .mz, .height, .area, .label])),
            (
                "documented",
                {
                    var options = ExportOptions.documented
                    if small { options.properties = [.mz, .label] }
                    return options
                }()
            ),
            (
                "properties",
                ExportOptions(
                    exportClasses: ["Noise", "Low_quality"], minGroupSize: 2,
                    properties: [
                        .label, .peakRTStart, .peakMZMax, .mz, .peakMZ, .area, .peakRTEnd, .peakMZMin, .peakRT,
                    ])
            ),
        ]
        for (key, options) in cases {
            let expected = try #require(fixture.csv[key])
            let csv = ResultsExport.csv(table: run.table, predictions: predictions, options: options)
            #expect(csv == expected, "\(name) \(key)")
        }
    }
}
