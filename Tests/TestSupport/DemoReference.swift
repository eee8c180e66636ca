import Foundation

/// What NeatMS 0.9 (and pymzml, its reader) computed from the bundled demo experiment:
/// `Fixtures/demo/neatms_reference.json`, written by `Scripts/demo/check_demo_with_neatms.py`.
public struct DemoReference: Decodable, Sendable {
    public struct Sample: Decodable, Sendable {
        public var peaks: Int
        public var valid_peaks: Int
        public var ms1_spectra: Int
        public var ms1_centroids: Int
        public var first_rt_min: Double
        public var last_rt_min: Double
        public var first_ms1_scan: Int
        public var last_ms1_scan: Int
        public var first_ms1_mz: [Double]
        public var first_ms1_intensity: [Double]
    }

    public var peaks: Int
    public var valid_peaks: Int
    /// Per sample, by raw file name.
    public var samples: [String: Sample]

    /// Reads the fixture.
    public static func load() throws -> DemoReference {
        try TestPaths.loadJSON(DemoReference.self, from: TestPaths.fixture("demo/neatms_reference.json"))
    }
}
