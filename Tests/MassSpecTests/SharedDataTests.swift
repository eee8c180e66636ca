import Foundation
import MassSpec
import TestSupport
import Testing

/// The real files in ../shared/data against what pymzml (or pyteomics where pymzml fails) reads from them.
@Suite(.enabled(if: TestPaths.sharedData("mzml-variants") != nil, "\(TestPaths.sharedDataMissing("mzml-variants"))"))
struct SharedDataTests {
    @Test func fixtureIsComplete() throws {
        let expected = try ExpectedValues.load()
        #expect(expected.shared.count >= 19)
        #expect(expected.shared.keys.contains("lcms/mzmine-workshop/mzML/171103_PMA_TK_QC_04.mzML"))
    }

    @Test("MS1 spectra equal the reference reader's", arguments: ExpectedValues.readableSharedFiles)
    func matchesReference(_ relative: String) throws {
        let expected = try #require(ExpectedValues.fixture?.shared[relative])
        let url = try #require(TestPaths.sharedData(relative), "\(TestPaths.sharedDataMissing(relative))")
        let run = try MzMLReader(url: url).readMS1Run()

        #expect(run.count == expected.ms1Count)
        let (firstRt, lastRt) = (try #require(expected.firstRtMin), try #require(expected.lastRtMin))
        #expect(close(try #require(run.rt.first), firstRt))
        #expect(close(try #require(run.rt.last), lastRt))
        #expect(run.offsets.count == run.count + 1 && run.offsets.last == run.mz.count)
        #expect(run.mz.count == run.intensity.count)
        for summary in expected.spectra ?? [] {
            let spectrum = run.spectrum(summary.ms1Ordinal)
            #expect(spectrum.id == summary.id)
            #expect(close(spectrum.retentionTimeMinutes, summary.rtMin))
            #expect(spectrum.mz.count == summary.length)
            #expect(close(spectrum.mz.reduce(0, +), summary.mzSum), "\(spectrum.id) m/z sum")
            #expect(close(spectrum.intensity.reduce(0, +), summary.intensitySum), "\(spectrum.id) intensity sum")
            for (k, point) in summary.firstPoints.enumerated() {
                #expect(
                    close(spectrum.mz[k], point[0]) && close(spectrum.intensity[k], point[1]),
                    "\(spectrum.id) point \(k)")
            }
        }
    }

    @Test("Broken and degenerate files are clear errors", arguments: ExpectedValues.failingSharedFiles)
    func reportsError(_ relative: String) throws {
        let expected = try #require(ExpectedValues.fixture?.shared[relative]?.expectedError)
        let url = try #require(TestPaths.sharedData(relative))
        let error = try #require(throws: MzMLError.self) { try MzMLReader(url: url).readMS1Run() }
        #expect(error.kind.rawValue == expected)
        #expect(error.description.contains(url.path))
        #expect(!error.description.contains("\n"))
    }

    @Test func errorDetailsNameTheSpectrumAndLine() throws {
        let corrupt = try #require(TestPaths.sharedData("mzml-variants/numpress-pic-corrupt.mzML"))
        let arrayError = try #require(throws: MzMLError.self) { try readMS1(corrupt) }
        #expect(arrayError.spectrumID == "spectrum=1" && arrayError.spectrumIndex == 0)
        #expect(arrayError.description.contains("spectrum #0 (id \"spectrum=1\")"))

        let broken = try #require(TestPaths.sharedData("mzml-variants/indexed-broken.mzML"))
        let xmlError = try #require(throws: MzMLError.self) { try readMS1(broken) }
        #expect(xmlError.line == 47)
        #expect(xmlError.description.hasPrefix("\(broken.path):47: not well-formed XML"))

        let empty = try #require(TestPaths.sharedData("mzml-variants/empty_XML.mzML"))
        let levelError = try #require(throws: MzMLError.self) { try readMS1(empty) }
        #expect(levelError.description.contains("contains no MS1 spectra"))
    }

    @Test func centroidVariantsDecodeToIdenticalArrays() throws {
        let names = [
            "centroid-data-indexed-uncompressed.mzML", "centroid-data-zlib-indexed-compressed.mzML",
            "centroid-data-zlib-no-index-compressed.mzML",
        ]
        var runs: [MS1Run] = []
        for name in names {
            let url = try #require(TestPaths.sharedData("mzml-variants/\(name)"))
            var run = try MS1Run(contentsOf: url)
            run.path = ""
            runs.append(run)
        }
        #expect(runs[0].count == 51)
        #expect(runs[0] == runs[1])
        #expect(runs[0] == runs[2])
    }

    @Test func gzipFileReadsLikeThePlainOne() throws {
        let plain = try #require(TestPaths.sharedData("mzml-variants/example.mzML"))
        let gzip = try #require(TestPaths.sharedData("mzml-variants/example.mzML.gz"))
        #expect(try readMS1(plain) == readMS1(gzip))
    }

    @Test func entryPointsAgreeAndMS2IsSkipped() throws {
        let url = try #require(TestPaths.sharedData("lcms/mzmine-workshop/mzML/171103_PMA_TK_QC_04.mzML"))
        let reader = MzMLReader(url: url)
        let run = try reader.readMS1Run()
        #expect(try reader.readMS1() == run.spectra)
        #expect(run.scanNumbers.first == 2125)

        var levels: [Int: Int] = [:]
        var indices: [Int] = []
        try reader.forEachSpectrum(msLevel: nil) { spectrum in
            levels[spectrum.msLevel, default: 0] += 1
            indices.append(spectrum.index)
            #expect(spectrum.mz.count == spectrum.intensity.count)
        }
        #expect(levels == [1: 126, 2: 381])
        #expect(indices == Array(0..<507))

        var ms2 = 0
        try reader.forEachSpectrum(msLevel: 2) { _ in ms2 += 1 }
        #expect(ms2 == 381)
    }

    @Test func bodyErrorsStopTheStream() throws {
        struct Stop: Error {}
        let url = try #require(TestPaths.sharedData("mzml-variants/example.mzML"))
        var seen = 0
        #expect(throws: Stop.self) {
            try MzMLReader(url: url).forEachSpectrum { _ in
                seen += 1
                if seen == 3 { throw Stop() }
            }
        }
        #expect(seen == 3)
    }
}

/// Readers share nothing: files read concurrently give what they give one at a time.
@Suite(.enabled(if: TestPaths.sharedData("lcms") != nil, "\(TestPaths.sharedDataMissing("lcms"))"))
struct ConcurrentReadingTests {
    @Test func concurrentReadsEqualSequentialOnes() async throws {
        let urls = ExpectedValues.readableSharedFiles.filter { $0.hasPrefix("lcms/") }.compactMap(TestPaths.sharedData)
        #expect(urls.count == 6)
        var sequential: [String: MS1Run] = [:]
        for url in urls { sequential[url.path] = try MS1Run(contentsOf: url) }
        let concurrent = try await withThrowingTaskGroup(of: MS1Run.self) { group in
            for url in urls { group.addTask { try MS1Run(contentsOf: url) } }
            return try await group.reduce(into: [String: MS1Run]()) { $0[$1.path] = $1 }
        }
        #expect(concurrent == sequential)
    }
}
