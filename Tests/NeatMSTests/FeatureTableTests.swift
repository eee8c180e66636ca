import Foundation
import TestSupport
import Testing

@testable import NeatMS

@Suite struct DecimalParsingTests {
    struct PandasFloats: Decodable {
        var source: String
        var values: [[String]]
    }

    /// Every string of `Fixtures/neatms/pandas_floats.json` (real table values where pandas 1.5.3 is not
    /// correctly rounded, others, and edge cases) converts to exactly pandas's bits.
    @Test func matchesPandasBitForBit() throws {
        let fixture = try TestPaths.loadJSON(PandasFloats.self, from: TestPaths.fixture("neatms/pandas_floats.json"))
        #expect(fixture.values.count > 500)
        var mismatches: [String] = []
        for pair in fixture.values {
            let value = try #require(DecimalParsing.neatMSDouble(Array(pair[0].utf8)), "'\(pair[0])'")
            let bits = String(value.bitPattern, radix: 16)
            let expected = String(UInt64(pair[1], radix: 16) ?? 0, radix: 16)
            if bits != expected { mismatches.append("\(pair[0]): \(bits) != \(expected)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }

    @Test func rejectsText() {
        #expect(DecimalParsing.neatMSDouble(Array("abc".utf8)) == nil)
        #expect(DecimalParsing.neatMSDouble(Array("1.5x".utf8)) == nil)
        #expect(DecimalParsing.neatMSDouble(Array("e5".utf8)) == nil)
        #expect(DecimalParsing.neatMSDouble(Array("".utf8)) == nil)
    }

    /// XCMS seconds become minutes as NeatMS 0.9 makes them: pandas's value divided by 60 in binary. XCMS
    /// writes a scan time t (minutes) as t × 60, so that division gives the scan time back.
    @Test func secondsToMinutesIsNeatMSBinaryDivision() throws {
        // 530.6058899999999 s is the Q Exactive scan at 8.8434315 min (the issue's example): NeatMS gets
        // 8.8434315; exact decimal division of the text would give 8.843431499999998.
        let scan = try #require(DecimalParsing.minutesFromSecondsText(Array("530.6058899999999".utf8)))
        #expect(scan == 8.8434315)
        #expect(scan.bitPattern == (8.8434315 as Double).bitPattern)
        for seconds in ["104.7700026", "121.9190028", "60", "0.06", "20"] {
            let converted = try #require(DecimalParsing.minutesFromSecondsText(Array(seconds.utf8)))
            let pandas = try #require(DecimalParsing.neatMSDouble(Array(seconds.utf8)))
            #expect(converted.bitPattern == (pandas / 60).bitPattern, "\(seconds) s")
        }
        // Scan times in minutes survive the round trip through XCMS's seconds.
        for minutes in [8.8434315, 4.0176, 4.1193, 1.74616671] {
            let text = Array(String(describing: minutes * 60).utf8)
            #expect(DecimalParsing.minutesFromSecondsText(text) == minutes, "\(minutes) min")
        }
    }
}

@Suite struct FeatureTableTests {
    private func write(_ text: String, name: String = "table.csv") throws -> URL {
        let directory = try TestPaths.temporaryDirectory("tables")
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url
    }

    private let header =
        "row m/z,row retention time,a.mzML Peak m/z,a.mzML Peak RT,a.mzML Peak RT start,a.mzML Peak RT end,a.mzML Peak height,a.mzML Peak area,a.mzML Peak m/z min,a.mzML Peak m/z max,"

    @Test func mzmineColumnsAreAssignedBySuffixInAnyOrder() throws {
        // Columns shuffled, a file name containing min/max/start/end, an ignored extra column.
        let text = """
            row ID,row retention time,row m/z,max_start-end min.mzML Peak m/z max,max_start-end min.mzML Peak RT end,max_start-end min.mzML Peak area,max_start-end min.mzML Peak m/z,max_start-end min.mzML Peak RT start,max_start-end min.mzML Peak height,max_start-end min.mzML Peak m/z min,max_start-end min.mzML Peak RT,
            7,2.5,100.5,100.6,2.7,1234,100.55,2.3,99,100.4,2.51,

            """
        let table = try FeatureTable.read(try write(text), format: .mzmine)
        #expect(table.samples == ["max_start-end min.mzML"])
        let peak = try #require(table.peaks.first)
        #expect(peak.mz == 100.55 && peak.rt == 2.51 && peak.rtStart == 2.3 && peak.rtEnd == 2.7)
        #expect(peak.mzMin == 100.4 && peak.mzMax == 100.6 && peak.height == 99 && peak.area == 1234)
        #expect(peak.featureMZ == 100.5 && peak.featureRT == 2.5)
    }

    @Test func zeroBlocksAreAbsentAndFeatureIDsSkipEmptyRows() throws {
        let text =
            header + "\n"
            + "100,1,100,1,0.9,1.1,10,20,99.9,100.1,\n"
            + "200,2,0,0,0,0,0,0,0,0,\n"
            + "300,3,300,3,0,3.1,0,25,299.9,300.1,\n"
        let table = try FeatureTable.read(try write(text), format: .mzmine)
        #expect(table.features.count == 2)
        #expect(table.features.map(\.name) == ["0", "2"])
        #expect(table.peaks.map(\.feature) == [0, 1])
        #expect(table.peaks[1].rtStart == 0, "RT start 0 is a time, not 'absent'")
        #expect(table.peaks[1].height == nil, "0 height reads as missing, as in NeatMS")
        #expect(table.peaks[1].location.line == 4)
    }

    @Test func malformedValueIsOneLineWithFileAndLine() throws {
        let url = try write(header + "\n100,1,100,1,0.9,1.1,ten,20,99.9,100.1,\n")
        do {
            _ = try FeatureTable.read(url, format: .mzmine)
            Issue.record("expected an error")
        } catch let error as TableError {
            #expect(
                error.description == "\(url.path):2: column 'a.mzML Peak height' holds 'ten', which is not a number")
        }
    }

    @Test func raggedRowIsAnError() throws {
        let url = try write(header + "\n100,1,100,1\n")
        #expect(throws: TableError(file: url.path, line: 2, message: "4 fields, but the header has 11 columns")) {
            try FeatureTable.read(url, format: .mzmine)
        }
    }

    @Test func missingSampleColumnIsNamed() throws {
        let url = try write("row m/z,row retention time,a.mzML Peak m/z,a.mzML Peak RT\n1,2,3,4\n")
        #expect(throws: TableError.self) { try FeatureTable.read(url, format: .mzmine) }
        do { _ = try FeatureTable.read(url, format: .mzmine) } catch {
            #expect("\(error)".contains("'a.mzML Peak RT start'"))
        }
    }

    @Test func sampleNamesMustMatchRawFiles() throws {
        let table = try FeatureTable.read(
            try write(header + "\n100,1,100,1,0.9,1.1,10,20,99.9,100.1,\n"), format: .mzmine)
        #expect(throws: TableError.self) {
            try table.matchRawFiles([URL(fileURLWithPath: "/raw/b.mzML"), URL(fileURLWithPath: "/raw/c.mzML")])
        }
        do {
            _ = try table.matchRawFiles([URL(fileURLWithPath: "/raw/b.mzML")])
        } catch {
            #expect("\(error)".contains("1 sample name(s) match no raw file: a.mzML (raw files: b.mzML)"))
        }
        #expect(try table.matchRawFiles([URL(fileURLWithPath: "/raw/a.mzML")]).map(\.path) == ["/raw/a.mzML"])
        #expect(try table.matchRawFiles([URL(fileURLWithPath: "/raw/a.mzML.gz")]).map(\.path) == ["/raw/a.mzML.gz"])
    }

    @Test func xcmsAlignedOrderUnalignedFirstThenSortedFeatureIDs() throws {
        let text = """
            mz,mzmin,mzmax,rt,rtmin,rtmax,into,intb,maxo,sn,sample,sample_name,feature_id
            100,99,101,60,54,66,10,9,5,NA,2,b.mzML,FT2
            200,199,201,120,114,126,20,19,6,3,1,a.mzML,FT1
            300,299,301,180,174,186,30,29,7,4,1,a.mzML,NA
            400,399,401,240,234,246,40,39,8,5,1,a.mzML,FT2
            """
        let table = try FeatureTable.read(try write(text + "\n"), format: .xcms)
        #expect(table.samples == ["b.mzML", "a.mzML"])
        // Unaligned row 2 first; then FT1 (row 1); then FT2 with sample 1 (a, row 3) before sample 2 (b, row 0).
        #expect(table.features.map(\.name) == ["2", "FT1", "FT2"])
        #expect(table.features[2].peaks.map { table.peaks[$0].dataRow } == [3, 0])
        let a = try #require(table.sampleIndex("a.mzML"))
        #expect(table.peaksBySample[a].map { table.peaks[$0].dataRow } == [2, 1, 3])
        let peak = table.peaks[table.peaksBySample[a][0]]
        #expect(peak.rt == 3 && peak.rtStart == 2.9 && peak.rtEnd == 3.1 && peak.height == 7 && peak.area == 30)
        #expect(peak.signalToNoise == 4 && peak.areaBaselineCorrected == 29 && peak.rtAdjusted == nil)
    }

    @Test func xcmsMissingColumnsAreNamed() throws {
        let url = try write("mz,rt,sample_name\n1,2,a.mzML\n")
        do {
            _ = try FeatureTable.read(url, format: .xcms)
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("missing XCMS column(s) mzmin, mzmax, rtmin, rtmax, into, maxo"))
        }
    }

    // MARK: NeatMS's own example tables

    struct Expected: Decodable {
        struct Sample: Decodable {
            var peaks: Int
            var first: [[String: Double?]]
            var last: [[String: Double?]]
            var missing_height: Int
            var missing_area: Int
        }
        var features: Int
        var feature_sizes: [String: Int]
        var samples: [String: Sample]
    }

    /// `neatms-test-data` (9,118 aligned features; unaligned folder) reads to NeatMS's counts and values.
    @Test(
        .enabled(if: TestPaths.sharedData("neatms-test-data") != nil, "needs ../shared/data/neatms-test-data"),
        arguments: ["aligned_features.csv", "unaligned_features"])
    func neatmsTestData(name: String) throws {
        let url = try #require(TestPaths.sharedData("neatms-test-data/\(name)"))
        let expectedAll = try TestPaths.loadJSON(
            [String: Expected].self, from: TestPaths.fixture("neatms/neatms_test_data.json"))
        let expected = try #require(expectedAll[name])
        let table = try FeatureTable.read(url, format: .mzmine)
        #expect(table.features.count == expected.features)
        var sizes: [String: Int] = [:]
        for feature in table.features { sizes[String(feature.peaks.count), default: 0] += 1 }
        #expect(sizes == expected.feature_sizes)
        #expect(Set(table.samples) == Set(expected.samples.keys))
        for (sampleName, sample) in expected.samples {
            let s = try #require(table.sampleIndex(sampleName))
            let peaks = table.peaksBySample[s].map { table.peaks[$0] }
            #expect(peaks.count == sample.peaks)
            #expect(peaks.filter { $0.height == nil }.count == sample.missing_height)
            #expect(peaks.filter { $0.area == nil }.count == sample.missing_area)
            func check(_ peak: TablePeak, _ values: [String: Double?]) {
                let ours: [String: Double?] = [
                    "mz": peak.mz, "RT": peak.rt, "rt_start": peak.rtStart, "rt_end": peak.rtEnd,
                    "mz_min": peak.mzMin, "mz_max": peak.mzMax, "height": peak.height, "area": peak.area,
                ]
                #expect(ours == values, "\(sampleName) line \(peak.location.line)")
            }
            for (peak, values) in zip(peaks.prefix(3), sample.first) { check(peak, values) }
            for (peak, values) in zip(peaks.suffix(2), sample.last) { check(peak, values) }
        }
    }
}
