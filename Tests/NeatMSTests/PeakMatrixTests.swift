import Foundation
import TestSupport
import Testing

@testable import NeatMS

/// NeatMS's peak matrices (docs/NEATMS-BEHAVIOUR.md#matrices) on small hand-made scans, with expected values
/// from exact arithmetic.
@Suite struct PeakMatrixTests {
    /// Scans at t = 0, 1, …, 10 min, each with a point at m/z 100 (intensity `f(t)`) and one at 200.
    private func scans(_ f: (Int) -> Double) -> MS1Scans {
        var rt: [Double] = []
        var offsets = [0]
        var mz: [Double] = []
        var intensity: [Double] = []
        for t in 0...10 {
            rt.append(Double(t))
            mz += [100, 200]
            intensity += [f(t), 7]
            offsets.append(mz.count)
        }
        return MS1Scans(rt: rt, offsets: offsets, mz: mz, intensity: intensity)
    }

    @Test func triangleWithMarginZero() throws {
        // Peak 2…8 min, m/z 99.5…100.5; intensities 1 + t: baseline min = 3 at t = 2, so y = (t − 2) / 6.
        let window = PeakWindow(rtStart: 2, rtEnd: 8, mzMin: 99.5, mzMax: 100.5)
        let result = PeakMatrixBuilder.matrix(
            for: window, in: scans { 1 + Double($0) }, options: MatrixOptions(size: 7, margin: 0, minScans: 5))
        guard case .valid(let values, let scanNumber) = result else {
            Issue.record("expected a valid matrix, got \(result)")
            return
        }
        #expect(scanNumber == 7)
        #expect(values == [0, 1, 2, 3, 4, 5, 6].map { Float(Double($0) / 6) } + Array(repeating: 1, count: 7))
    }

    @Test func marginWindowAndMask() throws {
        // Peak 4…6 min, margin 1 → window 2…8; n = 5 → x = 2, 3.5, 5, 6.5, 8 (step 1.5), mask 0 0 1 0 0.
        // Intensities 10 (even t) / 20 (odd t); baseline 10 → 0/10; interpolated 0, 5, 10, 5, 0; max 10.
        let peak = PeakMatrixBuilder.matrix(
            for: PeakWindow(rtStart: 4, rtEnd: 6, mzMin: 99, mzMax: 101), in: scans { 10 + Double($0 % 2) * 10 },
            options: MatrixOptions(size: 5, margin: 1, minScans: 3))
        #expect(peak == .valid(values: [0, 0.5, 1, 0.5, 0, 0, 0, 1, 0, 0], scanNumber: 3))
    }

    @Test func validityRules() {
        let window = PeakWindow(rtStart: 4, rtEnd: 6, mzMin: 99, mzMax: 101)
        // Signal in one scan only.
        #expect(
            PeakMatrixBuilder.matrix(
                for: window, in: scans { $0 == 5 ? 5 : 0 }.filteredToPositive(),
                options: .neatMSDefault) == .invalid(.noSignal))
        // Three scans inside [4, 6] < min scans 5.
        #expect(
            PeakMatrixBuilder.matrix(for: window, in: scans { Double($0) }, options: .neatMSDefault)
                == .invalid(.tooFewScans(3)))
        // Equal intensities everywhere: flat.
        #expect(
            PeakMatrixBuilder.matrix(for: window, in: scans { _ in 5 }, options: MatrixOptions(minScans: 3))
                == .invalid(.flatChromatogram))
        #expect(
            PeakMatrixBuilder.matrix(for: nil, in: scans { _ in 5 }, options: .neatMSDefault)
                == .invalid(.missingWindow))
    }

    @Test func numpyHelpers() {
        #expect(PeakMatrixBuilder.linspace(0, 1, 5) == [0, 0.25, 0.5, 0.75, 1])
        #expect(PeakMatrixBuilder.linspace(2, 2, 3) == [2, 2, 2])
        // interp: 0 outside, exact at knots, linear between.
        #expect(
            PeakMatrixBuilder.interpolate([-1, 0, 0.5, 1, 1.5, 2, 3], [0, 1, 2], [0, 10, 30]) == [
                0, 0, 5, 10, 20, 30, 0,
            ])
        #expect(PeakMatrixBuilder.interpolate([3.5], [0, 1, 2], [0, 10, 30]) == [0])
        // Pairwise sum: 8 accumulators for 8…128 values (1e16 + 1 + … shows the grouping).
        let values: [Double] = [1e16, 1, 1, 1, 1, 1, 1, 1, 1]
        let sequential = values.reduce(0, +)
        #expect(sequential == 1e16)
        // r0 = 1e16 + 1 (the 9th value), r1…r7 = 1: ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)) = 1e16 + 8.
        #expect(PeakMatrixBuilder.pairwiseSum(values, 0, values.count) == 1e16 + 8)
    }

    @Test func scansAreSortedAndEqualTimesMerged() {
        // File order: t = 2 (unsorted m/z), t = 1, t = 2 again.
        let scans = MS1Scans(
            rt: [2, 1, 2], offsets: [0, 2, 3, 4], mz: [300, 100, 150, 200], intensity: [3, 1, 1.5, 2])
        #expect(scans.rt == [1, 2])
        #expect(scans.offsets == [0, 1, 4])
        #expect(scans.mz == [150, 100, 200, 300])
        #expect(scans.intensity == [1.5, 1, 2, 3])
        // Already prepared arrays are kept as they are.
        let prepared = MS1Scans(rt: [1, 2], offsets: [0, 1, 3], mz: [5, 1, 2], intensity: [1, 2, 3])
        #expect(prepared.mz == [5, 1, 2] && prepared.offsets == [0, 1, 3])
    }
}

extension MS1Scans {
    /// The same scans without zero-intensity points.
    fileprivate func filteredToPositive() -> MS1Scans {
        var offsets = [0]
        var mz: [Double] = []
        var intensity: [Double] = []
        for scan in 0..<count {
            for p in self.offsets[scan]..<self.offsets[scan + 1] where self.intensity[p] > 0 {
                mz.append(self.mz[p])
                intensity.append(self.intensity[p])
            }
            offsets.append(mz.count)
        }
        return MS1Scans(rt: rt, offsets: offsets, mz: mz, intensity: intensity)
    }
}
