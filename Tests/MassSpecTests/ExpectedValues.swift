import Foundation
import MassSpec
import TestSupport

/// `Fixtures/mzml/expected.json`, written by `Scripts/fixtures/make_mzml_expected.py` from pymzml / pyteomics /
/// pynumpress.
struct ExpectedValues: Decodable {
    struct SpectrumSummary: Decodable {
        var ms1Ordinal: Int
        var id: String
        var rtMin: Double
        var length: Int
        var mzSum: Double
        var intensitySum: Double
        var firstPoints: [[Double]]
    }

    struct SharedFile: Decodable {
        var reference: String?
        var ms1Count: Int?
        var firstRtMin: Double?
        var lastRtMin: Double?
        var spectra: [SpectrumSummary]?
        var expectedError: String?
    }

    struct SyntheticSpectrum: Decodable {
        var id: String
        var rtMin: Double
        var mz: [Double]
        var intensity: [Double]
    }

    struct SyntheticFile: Decodable {
        var ms1: [SyntheticSpectrum]?
        var expectedError: String?
        var spectrumId: String?
    }

    struct NumpressCase: Decodable {
        var codec: String
        var values: [Double]
        var encodedBase64: String
        var decoded: [Double]
    }

    var shared: [String: SharedFile]
    var synthetic: [String: SyntheticFile]
    var numpress: [NumpressCase]

    /// Loads the fixture. - Throws: when it is missing or malformed.
    static func load() throws -> ExpectedValues {
        try TestPaths.loadJSON(ExpectedValues.self, from: TestPaths.fixture("mzml/expected.json"), snakeCaseKeys: true)
    }

    /// The fixture, or nil when unreadable (the test `fixtureIsComplete` then fails).
    static let fixture: ExpectedValues? = try? load()

    /// Shared files (relative to ../shared/data) that the reference readers read, with MS1 spectra.
    static var readableSharedFiles: [String] {
        (fixture?.shared ?? [:]).filter { $0.value.expectedError == nil }.keys.sorted()
    }

    /// Shared files for which NeatMSKit must report an error.
    static var failingSharedFiles: [String] {
        (fixture?.shared ?? [:]).filter { $0.value.expectedError != nil }.keys.sorted()
    }

    static func synthetic(_ name: String) -> URL {
        TestPaths.fixture("mzml/synthetic/\(name)")
    }
}

/// Relative closeness for sums and decoded values (summation order differs between numpy and Swift).
func close(_ a: Double, _ b: Double) -> Bool {
    isClose(a, b, absolute: 1e-12, relative: 1e-12)
}
