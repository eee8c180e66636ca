import Foundation
import MassSpec
import TestSupport
import Testing

@testable import NeatMS

/// Profile data, proven against NeatMS 0.9 itself: NeatMS reads spectra through pymzml's
/// `peaks("centroided")`, which centroids profile spectra, so NeatMSKit must centroid them the same way
/// before extracting. `Fixtures/neatms/profile/` (Scripts/fixtures/make_neatms_profile_fixture.py) holds a table of 16
/// peaks on `../shared/data/mzml-variants/profile-data-zlib-indexed-compressed.mzML` and the matrices
/// NeatMS built from it.
@Suite(.enabled(if: TestPaths.sharedData("mzml-variants") != nil, "\(TestPaths.sharedDataMissing("mzml-variants"))"))
struct ProfileDataTests {
    static let file = "profile-data-zlib-indexed-compressed.mzML"

    private func experiment() throws -> Experiment {
        let raw = try #require(TestPaths.sharedData("mzml-variants"))
        let table = try FeatureTable.read(TestPaths.fixture("neatms/profile/mzmine_aligned.csv"), format: .mzmine)
        return Experiment(table: table, rawFiles: [raw.appendingPathComponent(Self.file)])
    }

    private func reference() throws -> MatrixFile.Sample {
        let samples = try MatrixFile.read(TestPaths.fixture("neatms/profile/neatms_reference_matrices.h5"))
        return try #require(samples.first { $0.name == Self.file })
    }

    @Test func matricesEqualNeatMSs() throws {
        let run = try experiment()
        let expected = try reference()
        let all = try run.allMatrices()
        let matrices = try #require(all.first)
        #expect(all.count == 1)
        #expect(matrices.positionsInSample == expected.peakIndexInSample)
        #expect(matrices.scanNumbers == expected.scanNumber)
        #expect(matrices.invalid.count == 4)
        try #require(matrices.values.count == expected.x.count)
        let difference = zip(matrices.values, expected.x).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
        #expect(difference <= 1e-6, "max |Δ| = \(difference)")
    }

    /// The profile points as stored give other matrices: the centroiding is what makes them equal.
    @Test func rawProfilePointsWouldDiffer() throws {
        let run = try experiment()
        let expected = try reference()
        let uncentroided = try run.allMatrices(loader: { url, ranges in
            let points = try MzMLReader(url: url).readMS1Run(keeping: ranges, centroidingProfileSpectra: false)
            return MS1Scans(rt: points.rt, offsets: points.offsets, mz: points.mz, intensity: points.intensity)
        })
        let matrices = try #require(uncentroided.first)
        try #require(matrices.values.count == expected.x.count)
        let difference = zip(matrices.values, expected.x).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
        #expect(difference > 0.01)
    }
}
