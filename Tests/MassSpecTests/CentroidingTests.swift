import Foundation
import MassSpec
import TestSupport
import Testing

/// Profile spectra centroided as pymzml does (NeatMS reads `spectrum.peaks("centroided")`), against the
/// centroids pymzml 2.6.1 returned (Fixtures/mzml/centroided.json, Scripts/fixtures/make_centroid_expected.py).
struct CentroidingTests {
    struct Fixture: Decodable {
        struct Synthetic: Decodable {
            var file: String
            var spectra: [SyntheticSpectrum]
        }
        struct SyntheticSpectrum: Decodable {
            var rawPoints: Int
            var centroids: [[Double]]
        }
        struct Shared: Decodable {
            var file: String
            var spectra: [SharedSpectrum]
        }
        struct SharedSpectrum: Decodable {
            var rawPoints: Int
            var centroidCount: Int
            var sumMz: Double
            var sumIntensity: Double
            var sampledCentroids: [[Double]]
        }
        var synthetic: Synthetic
        var shared: Shared

        enum CodingKeys: String, CodingKey {
            case synthetic, shared
        }
    }

    static func fixture() throws -> Fixture {
        try TestPaths.loadJSON(Fixture.self, from: TestPaths.fixture("mzml/centroided.json"), snakeCaseKeys: true)
    }

    /// pymzml's arithmetic is reproduced operation by operation: the numbers agree to the last bits.
    static func same(_ a: Double, _ b: Double) -> Bool {
        abs(a - b) <= 1e-12 * max(abs(a), abs(b))
    }

    @Test func profileTermIsRead() throws {
        let fixture = try Self.fixture()
        let spectra = try readMS1(TestPaths.fixture("mzml/" + fixture.synthetic.file))
        // Five profile spectra, then two with the "centroid spectrum" term.
        #expect(spectra.map(\.isProfile) == [true, true, true, true, true, false, false])
    }

    @Test func syntheticSpectraGiveReferenceCentroids() throws {
        let fixture = try Self.fixture()
        let spectra = try readMS1(TestPaths.fixture("mzml/" + fixture.synthetic.file))
        try #require(spectra.count == fixture.synthetic.spectra.count)
        for (spectrum, reference) in zip(spectra, fixture.synthetic.spectra) {
            #expect(spectrum.mz.count == reference.rawPoints)
            // pymzml returns other spectra as they are stored.
            let (mz, intensity) =
                spectrum.isProfile
                ? ProfileCentroiding.centroids(mz: spectrum.mz, intensity: spectrum.intensity)
                : (spectrum.mz, spectrum.intensity)
            #expect(mz.count == reference.centroids.count, "\(spectrum.id): centroid count")
            for (k, point) in reference.centroids.enumerated() where k < mz.count {
                #expect(
                    Self.same(mz[k], point[0]) && Self.same(intensity[k], point[1]),
                    "\(spectrum.id) centroid \(k): \(mz[k]), \(intensity[k]) vs \(point)")
            }
        }
    }

    @Test func edgeCasesFollowPymzml() {
        // A maximum at position 1 is never centroided; one at the last point neither.
        #expect(ProfileCentroiding.centroids(mz: [1, 2, 3, 4], intensity: [1, 5, 2, 1]).mz.isEmpty)
        #expect(ProfileCentroiding.centroids(mz: [1, 2, 3, 4], intensity: [1, 2, 3, 9]).mz.isEmpty)
        // A zero neighbour, a plateau and NaN block a centroid.
        #expect(ProfileCentroiding.centroids(mz: [1, 2, 3, 4, 5], intensity: [1, 1, 0, 5, 2]).mz.isEmpty)
        #expect(ProfileCentroiding.centroids(mz: [1, 2, 3, 4, 5], intensity: [1, 1, 5, 5, 2]).mz.isEmpty)
        #expect(ProfileCentroiding.centroids(mz: [1, 2, 3, 4, 5], intensity: [1, 1, .nan, 5, 2]).mz.isEmpty)
        // A symmetric maximum: y3 is raised by 1% of y1, which pulls the centre right of the middle point.
        let symmetric = ProfileCentroiding.centroids(mz: [1, 2, 3, 4, 5], intensity: [1, 1, 4, 9, 4])
        #expect(symmetric.mz.count == 1)
        #expect(symmetric.mz.first.map { $0 > 4 && $0 < 4.01 } == true)
    }

    @Test(.enabled(if: TestPaths.sharedData("mzml-variants") != nil, "\(TestPaths.sharedDataMissing("mzml-variants"))"))
    func realProfileFileGivesReferenceCentroids() throws {
        let fixture = try Self.fixture()
        let url = try #require(TestPaths.sharedData(fixture.shared.file))
        let spectra = try readMS1(url)
        try #require(spectra.count == fixture.shared.spectra.count)
        for (spectrum, reference) in zip(spectra, fixture.shared.spectra) {
            #expect(spectrum.isProfile)
            #expect(spectrum.mz.count == reference.rawPoints)
            let (mz, intensity) = ProfileCentroiding.centroids(mz: spectrum.mz, intensity: spectrum.intensity)
            #expect(mz.count == reference.centroidCount, "\(spectrum.id): centroid count")
            #expect(abs(mz.reduce(0, +) - reference.sumMz) <= 1e-9 * reference.sumMz)
            #expect(abs(intensity.reduce(0, +) - reference.sumIntensity) <= 1e-9 * reference.sumIntensity)
            for sample in reference.sampledCentroids {
                let k = Int(sample[0])
                guard k < mz.count else {
                    Issue.record("\(spectrum.id): no centroid \(k)")
                    continue
                }
                #expect(
                    Self.same(mz[k], sample[1]) && Self.same(intensity[k], sample[2]), "\(spectrum.id) centroid \(k)")
            }
        }
    }
}
