import Foundation
import MassSpec
import TestSupport
import Testing

/// The bundled demo experiment (Fixtures/demo, written by Scripts/demo/make_demo_data.py) read by MassSpec
/// gives what pymzml — NeatMS's own reader — read from the same files, as recorded by
/// Scripts/demo/check_demo_with_neatms.py in Fixtures/demo/neatms_reference.json.
@Suite struct DemoFixtureTests {
    static func reference() throws -> DemoReference { try DemoReference.load() }

    @Test(arguments: ["sample_1.mzML", "sample_2.mzML", "sample_3.mzML", "sample_4.mzML"])
    func readsLikePymzml(sample: String) throws {
        let expected = try #require(try Self.reference().samples[sample])
        let run = try MzMLReader(url: TestPaths.fixture("demo/raw/\(sample)")).readMS1Run()
        // MS2 spectra are interleaved and skipped; every MS1 spectrum and centroid is read.
        #expect(run.count == expected.ms1_spectra)
        #expect(run.mz.count == expected.ms1_centroids)
        #expect(run.intensity.count == expected.ms1_centroids)
        // Scan start times are written in seconds: minutes must be bit-identical to pymzml's value / 60.
        #expect(run.rt.first == expected.first_rt_min)
        #expect(run.rt.last == expected.last_rt_min)
        #expect(run.scanNumbers.first == expected.first_ms1_scan)
        #expect(run.scanNumbers.last == expected.last_ms1_scan)
        let first = run.spectrum(0)
        #expect(Array(first.mz.prefix(3)) == expected.first_ms1_mz)
        #expect(Array(first.intensity.prefix(3)) == expected.first_ms1_intensity)
    }
}
