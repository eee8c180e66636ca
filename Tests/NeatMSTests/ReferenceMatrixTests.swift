import Foundation
import MassSpec
import TestSupport
import Testing

@testable import NeatMS

/// Proof against NeatMS 0.9 itself: `../shared/data/lcms/*/neatms_reference_matrices.h5` holds the exact batches
/// NeatMS's `predict_peaks` builds from `tables/mzmine_aligned.csv`; `Fixtures/neatms/layout_orders.json`
/// (Scripts/fixtures/make_neatms_datapath_fixtures.py) gives NeatMS's peak order for the other tidyms-nist layouts.
@Suite(.enabled(if: TestPaths.sharedData("lcms") != nil, "needs ../shared/data/lcms"))
struct ReferenceMatrixTests {
    static let experiments = ["tidyms-nist", "mzmine-workshop"]

    private func folder(_ experiment: String) throws -> URL {
        try #require(TestPaths.sharedData("lcms/\(experiment)"), "\(TestPaths.sharedDataMissing("lcms"))")
    }

    private func reference(_ experiment: String) throws -> [String: MatrixFile.Sample] {
        let samples = try MatrixFile.read(try folder(experiment).appendingPathComponent("neatms_reference_matrices.h5"))
        return Dictionary(uniqueKeysWithValues: samples.map { ($0.name, $0) })
    }

    private static func maxDifference(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Float {
        zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    /// Aligned MZmine table: same valid peaks, same order, same scan numbers, same table values, and
    /// matrices within 1e-6 (in fact bit-identical) for every sample of both experiments.
    @Test(arguments: experiments)
    func alignedMZmineMatchesNeatMS(experiment: String) throws {
        let base = try folder(experiment)
        let run = try Experiment(
            rawFolder: base.appendingPathComponent("mzML"),
            table: base.appendingPathComponent("tables/mzmine_aligned.csv"), format: .mzmine)
        let reference = try reference(experiment)
        let all = try run.allMatrices(loader: ScanCache.shared.load)
        #expect(all.count == reference.count)
        for matrices in all {
            let expected = try #require(reference[matrices.sampleName])
            let ours = MatrixFile.Sample(matrices, table: run.table)
            #expect(ours.peakIndexInSample == expected.peakIndexInSample, "\(matrices.sampleName)")
            #expect(ours.scanNumber == expected.scanNumber, "\(matrices.sampleName)")
            #expect(ours.mzMin == expected.mzMin && ours.mzMax == expected.mzMax, "\(matrices.sampleName)")
            #expect(ours.rtStart == expected.rtStart && ours.rtEnd == expected.rtEnd, "\(matrices.sampleName)")
            #expect(ours.mz == expected.mz && ours.rt == expected.rt, "\(matrices.sampleName)")
            #expect(ours.height == expected.height && ours.area == expected.area, "\(matrices.sampleName)")
            try #require(ours.x.count == expected.x.count)
            let difference = Self.maxDifference(ours.x[...], expected.x[...])
            #expect(difference <= 1e-6, "\(matrices.sampleName): max |Δ| = \(difference)")
        }
    }

    /// tidyms-nist through the other three layouts: the same valid peaks in NeatMS's order for that layout,
    /// each with NeatMS's own matrix for that layout — the MZmine reference, and for XCMS the hashes of
    /// NeatMS's XCMS matrices (`Fixtures/neatms/workshop_layouts/tidyms_xcms_matrix_fnv1a.json`): these
    /// tables' seconds are not scan times × 60, and NeatMS's seconds / 60 moves a window edge across a scan
    /// where the minutes of the MZmine table do not.
    @Test(arguments: [
        ("tables/mzmine_unaligned", FeatureTableFormat.mzmine, "mzmine_unaligned"),
        ("tables/xcms_aligned.csv", .xcms, "xcms_aligned.csv"),
        ("tables/xcms_unaligned.csv", .xcms, "xcms_unaligned.csv"),
        ("tables/mzmine_aligned.csv", .mzmine, "mzmine_aligned.csv"),
    ])
    func otherLayoutsGiveTheSameMatrices(table: String, format: FeatureTableFormat, layout: String) throws {
        let base = try folder("tidyms-nist")
        let run = try Experiment(
            rawFolder: base.appendingPathComponent("mzML"), table: base.appendingPathComponent(table), format: format)
        let reference = try reference("tidyms-nist")
        let orders = try TestPaths.loadJSON(
            [String: [String: LayoutOrder]].self, from: TestPaths.fixture("neatms/layout_orders.json"))
        let expectedOrders = try #require(orders[layout])
        let xcmsHashes =
            format == .xcms
            ? try #require(
                try TestPaths.loadJSON(
                    [String: [String: [String]]].self,
                    from: TestPaths.fixture("neatms/workshop_layouts/tidyms_xcms_matrix_fnv1a.json"))[layout])
            : nil
        for matrices in try run.allMatrices(loader: ScanCache.shared.load) {
            if let xcmsHashes {
                let hashes = (0..<matrices.count).map { Self.fnv1a(matrices.matrix($0)) }
                #expect(
                    hashes == xcmsHashes[matrices.sampleName],
                    "\(layout) \(matrices.sampleName): NeatMS's XCMS matrices differ")
            }
            let expected = try #require(reference[matrices.sampleName])
            let order = try #require(expectedOrders[matrices.sampleName])
            #expect(run.table.peaksBySample[matrices.sample].count == order.peaks)
            var rowOfWindow: [String: Int] = [:]
            for i in 0..<expected.count {
                rowOfWindow[Self.key(expected.rtStart[i], expected.rtEnd[i], expected.mzMin[i], expected.mzMax[i])] = i
            }
            var rows: [Int] = []
            var worst: Float = 0
            for (i, peakIndex) in matrices.peaks.enumerated() {
                let window = try #require(run.table.peaks[peakIndex].window)
                let row = rowOfWindow[Self.key(window.rtStart, window.rtEnd, window.mzMin, window.mzMax)] ?? -1
                rows.append(row)
                if row >= 0, format != .xcms {
                    worst = max(worst, Self.maxDifference(matrices.matrix(i), expected.matrix(row)))
                }
            }
            #expect(rows == order.reference_rows, "\(layout) \(matrices.sampleName): peaks or order differ")
            #expect(worst <= 1e-6, "\(layout) \(matrices.sampleName): max |Δ| = \(worst)")
        }
    }

    /// The workshop table written for the files' original names (`…-4to5min.mzML`, names NeatMS 0.9 misreads)
    /// gives the same peaks and matrices as the renamed table.
    @Test func originalNamesTableGivesTheSamePeaks() throws {
        let base = try folder("mzmine-workshop")
        let renamed = try FeatureTable.read(base.appendingPathComponent("tables/mzmine_aligned.csv"), format: .mzmine)
        let original = try FeatureTable.read(
            base.appendingPathComponent("tables/mzmine_aligned_original_names.csv"), format: .mzmine)
        #expect(original.samples == ["171103_PMA_TK_QC_04-4to5min.mzML", "171103_PMA_TK_QC_05-4to5min.mzML"])
        #expect(renamed.samples == ["171103_PMA_TK_QC_04.mzML", "171103_PMA_TK_QC_05.mzML"])
        #expect(original.peaks.count == renamed.peaks.count)
        #expect(original.peaks.map(\.window) == renamed.peaks.map(\.window))
        #expect(original.peaks.map(\.height) == renamed.peaks.map(\.height))
        #expect(original.peaks.map(\.area) == renamed.peaks.map(\.area))
        #expect(original.peaks.map(\.mz) == renamed.peaks.map(\.mz))
        #expect(original.peaksBySample == renamed.peaksBySample)

        // Raw files under the original names (links), then the matrices equal NeatMS's.
        let raw = try TestPaths.temporaryDirectory("workshop-original-names")
        defer { try? FileManager.default.removeItem(at: raw) }
        for (name, target) in zip(original.samples, renamed.samples) {
            try FileManager.default.createSymbolicLink(
                at: raw.appendingPathComponent(name), withDestinationURL: base.appendingPathComponent("mzML/\(target)"))
        }
        let run = try Experiment(
            rawFolder: raw, table: base.appendingPathComponent("tables/mzmine_aligned_original_names.csv"),
            format: .mzmine)
        let reference = try reference("mzmine-workshop")
        for matrices in try run.allMatrices(loader: ScanCache.shared.load) {
            let expected = try #require(reference[matrices.sampleName.replacingOccurrences(of: "-4to5min", with: "")])
            #expect(matrices.positionsInSample == expected.peakIndexInSample)
            #expect(Self.maxDifference(matrices.values[...], expected.x[...]) <= 1e-6)
        }
    }

    /// `extract`'s file round-trips and has the reference layout.
    @Test func matrixFileRoundTrip() throws {
        let base = try folder("mzmine-workshop")
        let run = try Experiment(
            rawFolder: base.appendingPathComponent("mzML"),
            table: base.appendingPathComponent("tables/mzmine_aligned.csv"), format: .mzmine)
        let directory = try TestPaths.temporaryDirectory("matrix-file")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("out.h5")
        let writer = try MatrixFile.Writer(url: url, options: .neatMSDefault, tablePath: "t.csv", format: .mzmine)
        let table = run.table
        try run.extractMatrices(loader: ScanCache.shared.load) { try writer.add(MatrixFile.Sample($0, table: table)) }
        #expect(!FileManager.default.fileExists(atPath: url.path), "nothing at the destination before finish()")
        try writer.finish()
        let written = try MatrixFile.read(url)
        let reference = try reference("mzmine-workshop")
        #expect(written.map(\.name) == reference.keys.sorted())
        for sample in written {
            let expected = try #require(reference[sample.name])
            #expect(sample.x == expected.x)
            #expect(sample.peakIndexInSample == expected.peakIndexInSample)
            #expect(sample.scanNumber == expected.scanNumber)
            #expect(sample.featureRow == sample.peakIndexInSample, "every workshop row has a peak in each sample")
            #expect(sample.invalidPeakIndexInSample == [])
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(leftovers == ["out.h5"])
    }

    /// 64-bit FNV-1a of a matrix's float32 bytes (little-endian), as the fixture script hashes NeatMS's.
    static func fnv1a(_ values: ArraySlice<Float>) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for value in values {
            var bits = value.bitPattern.littleEndian
            withUnsafeBytes(of: &bits) { bytes in
                for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
            }
        }
        let text = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }

    static func key(_ a: Double, _ b: Double, _ c: Double, _ d: Double) -> String {
        String(format: "%.6f %.6f %.6f %.6f", a, b, c, d)
    }

    struct LayoutOrder: Decodable {
        var peaks: Int
        var reference_rows: [Int]
    }
}

/// Loads each raw file once per set of m/z ranges for all tests (debug-build mzML decoding is slow; the files
/// do not change), through the same filtered reader as the default loader.
final class ScanCache: @unchecked Sendable {
    static let shared = ScanCache()
    private let lock = NSLock()
    private var scans: [Key: MS1Scans] = [:]

    private struct Key: Hashable {
        var path: String
        var ranges: MZRanges
    }

    var load: MS1Loader {
        { [self] url, ranges in
            let key = Key(path: url.resolvingSymlinksInPath().path, ranges: ranges)
            lock.lock()
            defer { lock.unlock() }
            if let cached = scans[key] { return cached }
            let loaded = try MS1Scans.load(url, keeping: ranges)
            scans[key] = loaded
            return loaded
        }
    }
}
