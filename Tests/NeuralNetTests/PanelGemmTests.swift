import CKernels
import Testing

@testable import NeuralNet

/// CKernels' panel product (inference Dense layers and Winograd points): C = A·B (+ bias, ReLU) with B
/// packed once. Against a Float64 product for shapes with and without a partial last panel, row
/// counts that do and do not fill the 6-row tiles and the 4-row wide tiles (4 panels, with AVX-512),
/// widths of 1, 2 and 3 wide tiles with and without single panels after them, depths of one and of
/// several 256-deep blocks, and an empty depth; and every row computed alone equals the same row
/// computed among others, bit for bit (the depth blocks resume each sum where it stopped).
@Suite struct PanelGemmTests {
    static let shapes: [(m: Int, n: Int, k: Int)] = [
        (13, 128, 700), (6, 3, 128), (1, 20, 1), (8, 16, 256), (5, 33, 0), (9, 80, 300), (7, 72, 513), (11, 64, 32),
        (6, 200, 257),
    ]

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

    /// `nmk_gemm_shared` (Winograd's shared rows): c0 = s·Bs + a0·B0 and c1 = s·Bs + a1·B1 against
    /// Float64, for the same shapes (rows of s, a0, a1 and c with different strides).
    @Test(arguments: 0..<shapes.count)
    func sharedProductEqualsTheReference(caseIndex: Int) throws {
        let (m, n, k) = Self.shapes[caseIndex]
        var rng = SeededGenerator(seed: UInt64(60 + caseIndex))
        func random(_ count: Int) -> [Float] { (0..<count).map { _ in 2 * rng.nextUnitFloat() - 1 } }
        // s rows k + 1 floats apart; a0 and a1 interleaved in rows of 2k; c0 and c1 interleaved in rows of 2n + 1.
        let s = random(m * (k + 1))
        let a = random(m * 2 * k)
        let b = (0..<3).map { _ in random(k * n) }
        let packed = b.map { matrix in
            var p = [Float](repeating: .nan, count: nmk_packed_panels_size(k, n))
            nmk_pack_panels(matrix, n, k, n, &p)
            return p
        }
        let ldc = 2 * n + 1
        var c = [Float](repeating: .nan, count: max(m * ldc, 1))
        a.withUnsafeBufferPointer { ap in
            c.withUnsafeMutableBufferPointer { cp in
                nmk_gemm_shared(
                    m, n, k, s, k + 1, ap.baseAddress!, ap.baseAddress! + k, 2 * k, packed[0], packed[1], packed[2],
                    cp.baseAddress!, cp.baseAddress! + n, ldc)
            }
        }
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var common = 0.0
                for r in 0..<k { common += Double(s[i * (k + 1) + r]) * Double(b[0][r * n + j]) }
                for out in 0..<2 {
                    var sum = common
                    for r in 0..<k { sum += Double(a[i * 2 * k + out * k + r]) * Double(b[1 + out][r * n + j]) }
                    worst = max(worst, abs(Double(c[i * ldc + out * n + j]) - sum) / max(1, abs(sum)))
                }
            }
        }
        #expect(worst < 1e-4, "case \(caseIndex): max relative difference \(worst)")
    }

    /// `nmk_transpose` (xᵀ for Dense's kernel gradient: 8 × 8 blocks in registers, the edges one by one)
    /// against the transpose written out element by element, for shapes with and without edges.
    @Test(arguments: [(rows: 32, cols: 40), (rows: 13, cols: 21), (rows: 8, cols: 8), (rows: 5, cols: 3)])
    func transposeEqualsTheReference(shape: (rows: Int, cols: Int)) {
        let (rows, cols) = shape
        var rng = SeededGenerator(seed: UInt64(90 + rows))
        let a = (0..<(rows * cols)).map { _ in 2 * rng.nextUnitFloat() - 1 }
        var expected = [Float](repeating: 0, count: rows * cols)
        for r in 0..<rows {
            for c in 0..<cols { expected[c * rows + r] = a[r * cols + c] }
        }
        var t = [Float](repeating: .nan, count: rows * cols)
        nmk_transpose(a, rows, cols, &t)
        #expect(t.map(\.bitPattern) == expected.map(\.bitPattern), "\(rows) × \(cols)")
    }
}
