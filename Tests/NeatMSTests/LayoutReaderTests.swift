import Foundation
import MassSpec
import TestSupport
import Testing

@testable import NeatMS

/// The MZmine 3 and OpenMS readers, and the XCMS reader on Q Exactive scan times, against the real tools:
/// MZmine 3's own feature list of the workshop runs (../shared/data), OpenMS's own feature maps
/// (`Fixtures/openms/workshop`, Scripts/fixtures/make_openms_fixtures.py, with pyOpenMS's reading of them in
/// `expected.json`) and NeatMS 0.9's own matrices for XCMS and MZmine layouts of those runs
/// (`Fixtures/neatms/workshop_layouts`, Scripts/fixtures/make_neatms_layout_fixtures.py).
@Suite struct LayoutReaderTests {
    static let layouts = TestPaths.fixture("neatms/workshop_layouts")
    static let openms = TestPaths.fixture("openms/workshop")

    private func write(_ text: String, name: String) throws -> URL {
        let directory = try TestPaths.temporaryDirectory("layouts")
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url
    }

    // MARK: MZmine 3

    /// MZmine 3's own export of the workshop runs gives the peaks of the same features in MZmine 2 layout,
    /// named by MZmine 3's `id`.
    @Test(.enabled(if: TestPaths.sharedData("lcms/mzmine-workshop") != nil, "needs ../shared/data/lcms"))
    func mzmine3EqualsTheMZmine2Layout() throws {
        let tables = try #require(TestPaths.sharedData("lcms/mzmine-workshop/tables"))
        let three = try FeatureTable.read(
            tables.appendingPathComponent("mzmine3_expected_results.csv"), format: .mzmine3)
        let two = try FeatureTable.read(
            tables.appendingPathComponent("mzmine_aligned_original_names.csv"), format: .mzmine)
        #expect(three.samples == two.samples)
        #expect(three.peaks.count == 240)
        #expect(three.peaksBySample == two.peaksBySample)
        for (a, b) in zip(three.peaks, two.peaks) {
            #expect(a.window == b.window && a.mz == b.mz && a.rt == b.rt && a.height == b.height && a.area == b.area)
            #expect(a.featureMZ == b.featureMZ && a.featureRT == b.featureRT)
        }
        // Named by MZmine 3's own `id` (the first column; ids have gaps where MZmine dropped rows).
        let text = try String(
            contentsOf: tables.appendingPathComponent("mzmine3_expected_results.csv"), encoding: .utf8)
        let ids = text.split(separator: "\n").dropFirst().map { String($0.prefix { $0 != "," }) }
        #expect(three.features.map(\.name) == ids)
        #expect(ids.count == 120 && ids.last == "147")
        #expect(three.peaks[0].location.line == 2 && three.peaks[0].dataRow == 0)
    }

    @Test func mzmine3ErrorsNameFileAndLine() throws {
        let noID = try write("mz,rt,datafile:a.mzML:mz\n1,2,3\n", name: "noid.csv")
        #expect { try FeatureTable.read(noID, format: .mzmine3) } throws: {
            "\($0)".hasSuffix("noid.csv:1: no 'id' column (is this an MZmine 3 CSV export?)")
        }
        let missing = try write("id,mz,rt,datafile:a.mzML:mz,datafile:a.mzML:rt\n1,2,3,4,5\n", name: "missing.csv")
        #expect { try FeatureTable.read(missing, format: .mzmine3) } throws: {
            "\($0)".contains("missing.csv:1: missing column(s) 'datafile:a.mzML:rt_range:min'")
        }
        let fields = ["mz", "rt", "rt_range:min", "rt_range:max", "mz_range:min", "mz_range:max", "height", "area"]
        let header = "id,mz,rt," + fields.map { "datafile:a.mzML:\($0)" }.joined(separator: ",")
        let bad = try write(
            header + "\n1,100,1,100,1,0.9,1.1,99.9,100.1,5,6\n2,100,1,100,1,0.9,x,99.9,100.1,5,6\n", name: "bad.csv")
        #expect { try FeatureTable.read(bad, format: .mzmine3) } throws: {
            "\($0)".hasSuffix("bad.csv:3: column 'datafile:a.mzML:rt_range:max' holds 'x', which is not a number")
        }
        // Empty blocks are absent peaks; the id names the feature.
        let sparse = try write(
            header + "\n17,100,1,,,,,,,,\n18,100,1,100,1,0.9,1.1,99.9,100.1,5,6\n", name: "sparse.csv")
        let table = try FeatureTable.read(sparse, format: .mzmine3)
        #expect(table.features.map(\.name) == ["18"] && table.peaks.count == 1 && table.peaks[0].dataRow == 1)
    }

    // MARK: XCMS and MZmine layouts against NeatMS's matrices

    /// XCMS tables as XCMS writes them (window edges on scan times, seconds = minutes × 60 written with 17
    /// digits) and the same features in MZmine layout give exactly NeatMS 0.9's matrices, valid peaks and
    /// scan numbers — and the two layouts give the same matrices.
    @Test(
        .enabled(if: TestPaths.sharedData("lcms/mzmine-workshop") != nil, "needs ../shared/data/lcms"),
        arguments: [
            ("xcms_unaligned.csv", FeatureTableFormat.xcms), ("xcms_aligned.csv", .xcms),
            ("mzmine_aligned.csv", .mzmine),
        ])
    func layoutsGiveNeatMSMatrices(table: String, format: FeatureTableFormat) throws {
        let raw = try #require(TestPaths.sharedData("lcms/mzmine-workshop/mzML"))
        let run = try Experiment(rawFolder: raw, table: Self.layouts.appendingPathComponent(table), format: format)
        let reference = try MatrixFile.read(
            Self.layouts.appendingPathComponent(table.replacingOccurrences(of: ".csv", with: ".h5")))
        let expected = Dictionary(uniqueKeysWithValues: reference.map { ($0.name, $0) })
        let all = try run.allMatrices(loader: ScanCache.shared.load)
        #expect(all.count == run.table.samples.count)
        for matrices in all {
            let neatms = try #require(expected[matrices.sampleName])
            #expect(matrices.positionsInSample == neatms.peakIndexInSample, "\(table) \(matrices.sampleName)")
            #expect(matrices.scanNumbers == neatms.scanNumber, "\(table) \(matrices.sampleName)")
            #expect(matrices.values == neatms.x, "\(table) \(matrices.sampleName): matrices differ")
            let ours = MatrixFile.Sample(matrices, table: run.table)
            #expect(ours.rtStart == neatms.rtStart && ours.rtEnd == neatms.rtEnd, "\(table) \(matrices.sampleName)")
        }
    }

    // MARK: OpenMS

    struct OpenMSExpected: Decodable {
        struct Feature: Decodable {
            var id: String
            var rt: Double
            var mz: Double
            var intensity: Double
            var rt_min: Double
            var rt_max: Double
            var mz_min: Double
            var mz_max: Double
        }
        struct Element: Decodable {
            var id: String
            var members: [[String]]
        }
        var featureXML: [String: [Feature]]
        var consensusXML: [Element]
    }

    /// The featureXML files give pyOpenMS's features (first hull's bounds, position, intensity); the
    /// consensusXML groups them as pyOpenMS reads it; the feature names are OpenMS's unique ids.
    @Test func openMSMapsReadAsPyOpenMSReadsThem() throws {
        let expected = try TestPaths.loadJSON(
            OpenMSExpected.self, from: Self.openms.appendingPathComponent("expected.json"))
        let table = try FeatureTable.read(Self.openms, format: .openms)
        #expect(table.samples == ["171103_PMA_TK_QC_04.mzML", "171103_PMA_TK_QC_05.mzML"])
        var peakByID: [String: TablePeak] = [:]
        for (s, file) in ["171103_PMA_TK_QC_04.featureXML", "171103_PMA_TK_QC_05.featureXML"].enumerated() {
            let features = try #require(expected.featureXML[file])
            #expect(table.peaksBySample[s].count == features.count)
            for feature in features {
                let peak = try #require(
                    table.peaks.first {
                        $0.sample == s && table.features[$0.feature].peaks.count >= 1
                            && $0.location.file.hasSuffix(file) && abs(($0.mz ?? 0) - feature.mz) == 0
                            && abs(($0.area ?? 0) - feature.intensity) == 0
                    })
                #expect(
                    peak.rt == feature.rt / 60 && peak.rtStart == feature.rt_min / 60
                        && peak.rtEnd == feature.rt_max / 60)
                #expect(peak.mzMin == feature.mz_min && peak.mzMax == feature.mz_max)
                #expect(peak.height != nil)
                peakByID[file + " " + feature.id] = peak
            }
        }
        // Consensus elements as features, named e_<id>, members as pyOpenMS lists them.
        #expect(table.features.count == expected.consensusXML.count)
        for (feature, element) in zip(table.features, expected.consensusXML) {
            #expect(feature.name == "e_" + element.id)
            let members = feature.peaks.map { index -> [String] in
                let peak = table.peaks[index]
                let file = URL(fileURLWithPath: peak.location.file).lastPathComponent
                let id = peakByID.first { $0.value == peak }?.key.split(separator: " ").last.map(String.init) ?? "?"
                return [file, id]
            }.sorted { $0.lexicographicallyPrecedes($1) }
            #expect(members == element.members, "\(feature.name)")
        }
    }

    /// Peaks from OpenMS maps give NeatMS's matrices for the same features written as an MZmine table.
    @Test(.enabled(if: TestPaths.sharedData("lcms/mzmine-workshop") != nil, "needs ../shared/data/lcms"))
    func openMSPeaksGiveNeatMSMatrices() throws {
        let raw = try #require(TestPaths.sharedData("lcms/mzmine-workshop/mzML"))
        // Without the consensusXML each sample's peaks keep featureXML order, the order of openms_mzmine.csv.
        let folder = try TestPaths.temporaryDirectory("openms-maps")
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["171103_PMA_TK_QC_04.featureXML", "171103_PMA_TK_QC_05.featureXML"] {
            try FileManager.default.copyItem(
                at: Self.openms.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        let run = try Experiment(rawFolder: raw, table: folder, format: .openms)
        let reference = try MatrixFile.read(Self.layouts.appendingPathComponent("openms_mzmine.h5"))
        let expected = Dictionary(uniqueKeysWithValues: reference.map { ($0.name, $0) })
        for matrices in try run.allMatrices(loader: ScanCache.shared.load) {
            let neatms = try #require(expected[matrices.sampleName])
            #expect(matrices.positionsInSample == neatms.peakIndexInSample)
            let ours = MatrixFile.Sample(matrices, table: run.table)
            // NeatMS read these windows from CSV text; pandas cannot give back every double, so peaks whose
            // window differs in the last bit are left out (most are compared; the counts are checked).
            var compared = 0
            for i in 0..<matrices.count
            where ours.rtStart[i] == neatms.rtStart[i] && ours.rtEnd[i] == neatms.rtEnd[i]
                && ours.mzMin[i] == neatms.mzMin[i] && ours.mzMax[i] == neatms.mzMax[i]
            {
                #expect(matrices.matrix(i).elementsEqual(neatms.matrix(i)), "\(matrices.sampleName) peak \(i)")
                #expect(matrices.scanNumbers[i] == neatms.scanNumber[i])
                compared += 1
            }
            #expect(compared >= matrices.count - 3, "\(compared) of \(matrices.count) compared")
        }
    }

    @Test func openMSErrorsNameFileAndLine() throws {
        let folder = try TestPaths.temporaryDirectory("openms-bad")
        defer { try? FileManager.default.removeItem(at: folder) }
        let feature = folder.appendingPathComponent("a.featureXML")
        try Data(
            """
            <?xml version="1.0"?>
            <featureMap><featureList count="1">
            <feature id="f_1"><position dim="0">60</position><position dim="1">100</position><intensity>5</intensity>
            <convexhull nr="0"><pt x="50" y="99.9"/><pt x="70" y="abc"/></convexhull></feature>
            </featureList></featureMap>

            """.utf8
        ).write(to: feature)
        #expect { try FeatureTable.read(folder, format: .openms) } throws: {
            "\($0)".hasSuffix("a.featureXML:4: hull point y 'abc' is not a number")
        }

        try Data(
            "<featureMap><featureList><feature id=\"f_1\">\n<position dim=\"0\">60</position>\n</featureMap>\n".utf8
        ).write(to: feature)
        #expect { try FeatureTable.read(folder, format: .openms) } throws: {
            let text = "\($0)"
            return text.contains("a.featureXML:3: not well-formed XML")
        }

        try Data(
            """
            <featureMap><featureList count="1">
            <feature id="f_1"><position dim="0">60</position><position dim="1">100</position><intensity>5</intensity>
            <convexhull nr="0"><pt x="50" y="99.9"/><pt x="70" y="100.1"/></convexhull></feature>
            </featureList></featureMap>

            """.utf8
        ).write(to: feature)
        let good = try FeatureTable.read(folder, format: .openms)
        #expect(
            good.peaks.count == 1
                && good.peaks[0].window == PeakWindow(rtStart: 50.0 / 60, rtEnd: 70.0 / 60, mzMin: 99.9, mzMax: 100.1))
        #expect(good.features.map(\.name) == ["1"] && good.samples == ["a.mzML"])

        try Data(
            """
            <consensusXML><mapList count="1"><map id="0" name="a.featureXML"/></mapList>
            <consensusElementList>
            <consensusElement id="e_9"><groupedElementList>
            <element map="0" id="2" rt="60" mz="100"/>
            </groupedElementList></consensusElement></consensusElementList></consensusXML>

            """.utf8
        ).write(to: folder.appendingPathComponent("linked.consensusXML"))
        #expect { try FeatureTable.read(folder, format: .openms) } throws: {
            "\($0)".hasSuffix("linked.consensusXML:3: consensusElement 'e_9': feature 2 is not in a.featureXML")
        }
    }

    /// The annotated OpenMS folder: every feature gains its label and probabilities and the files still read
    /// as the same peaks; with the group rule filtering, rejected features and consensus elements are gone.
    @Test func annotatedOpenMSFolderReadsBack() throws {
        let table = try FeatureTable.read(Self.openms, format: .openms)
        var predictions = PeakPredictions(
            classes: ["High_quality", "Low_quality", "Noise"], peakCount: table.peaks.count)
        for peak in table.peaks.indices {
            let high = peak % 3 == 0
            predictions.labels[peak] = high ? "High_quality" : "Noise"
            predictions.probabilities[peak] = high ? [0.75, 0.125, 0.125] : [0.125, 0.125, 0.75]
        }
        let folder = try TestPaths.temporaryDirectory("openms-annotated")
        defer { try? FileManager.default.removeItem(at: folder) }
        let all = folder.appendingPathComponent("all")
        try AnnotatedTable.write(
            table: table, format: .openms, predictions: predictions,
            rule: GroupRule(table: table, predictions: predictions, options: ExportOptions()), filter: false, to: all)
        let again = try FeatureTable.read(all, format: .openms)
        #expect(again.peaks.map(\.window) == table.peaks.map(\.window))
        #expect(again.features.map(\.name) == table.features.map(\.name))
        let text = try String(
            contentsOf: all.appendingPathComponent("171103_PMA_TK_QC_04.featureXML"), encoding: .isoLatin1)
        #expect(text.components(separatedBy: "name=\"neatms_label\"").count - 1 == table.peaksBySample[0].count)
        #expect(text.contains("<UserParam type=\"float\" name=\"neatms_High_quality\" value=\"0.75\"/>"))

        let kept = folder.appendingPathComponent("kept")
        let options = ExportOptions(minGroupClasses: ["High_quality"])  // at least one High_quality peak
        let rule = GroupRule(table: table, predictions: predictions, options: options)
        try AnnotatedTable.write(
            table: table, format: .openms, predictions: predictions, rule: rule, filter: true, to: kept)
        let filtered = try FeatureTable.read(kept, format: .openms)
        let keptNames = table.features.filter { rule.keeps($0) }.map(\.name)
        #expect(!keptNames.isEmpty && keptNames.count < table.features.count)
        #expect(filtered.features.map(\.name) == keptNames)
    }
}
