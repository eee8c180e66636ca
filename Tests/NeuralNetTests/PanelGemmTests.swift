import CKernels
import Testing

@testable import NeuralNet

/// CKernels' panel product (inference Dense layers and Winograd points): C = A·B (+ bias, ReLU) with B
/// packed once. Against a Float64 product for shapes with and without a partial last panel, row
/// counts that do and do not fill the 6-row tiles, depths of one and of several 256-deep blocks, and
/// an empty depth; and every row computed alone equals the same row computed among others, bit for
/// bit (the depth blocks resume each sum where it stopped).
@Suite struct PanelGemmTests {
    static let shapes: [(m: Int, n: Int, k: Int)] = [(13, 128, 700), (6, 3, 128), (1, 20, 1), (8, 16, 256), (5, 33, 0)]

    @Test(arguments: 0..<shapes.count, [false, true])
    func panelProductEqualsTheReference(caseIndex: Int, biasAndReLU: Bool) throws {
        let (m, n, k) = Self.shapes[caseIndex]
        var rng = SeededGenerator(seed: UInt64(40 + caseIndex))
        let a = (0..<(m * k)).map { _ in 2 * rng.nextUnitFloat() - 1 }
        let b = (0..<(k * n)).map { _ in 2 * rng.nextUnitFloat() - 1 }
        let bias = (0..<n).map { _ in 2 * rng.nextUnitFloat() - 1 }
        var packed = [Float](repeating: .nan, count: nmk_packed_panels_size(k, n))
        nmk_pack_panels(b, n, k, n, &packed)
        func product(rows: Range<Int>) -> [Float] {
            var c = [Float](repeating: .nan, count: rows.count * n)
            a.withUnsafeBufferPointer { ap in
                bias.withUnsafeBufferPointer { bp in
                    nmk_gemm_panels(
                        rows.count, n, k, ap.baseAddress! + rows.lowerBound * k, k, packed,
                        biasAndReLU ? bp.baseAddress : nil, biasAndReLU ? 1 : 0, &c, n)
                }
            }
            return c
        }
        let c = product(rows: 0..<m)
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for r in 0..<k { s += Double(a[i * k + r]) * Double(b[r * n + j]) }
                if biasAndReLU { s = max(s + Double(bias[j]), 0) }
                worst = max(worst, abs(Double(c[i * n + j]) - s) / max(1, abs(s)))
            }
        }
        // Float32 chains up to 700 terms long against Float64.
        #expect(worst < 1e-4, "case \(caseIndex): max relative difference \(worst)")
        let alone = (0..<m).flatMap { product(rows: $0..<($0 + 1)) }
        #expect(alone.map(\.bitPattern) == c.map(\.bitPattern), "case \(caseIndex): rows depend on their neighbours")
    }
}
