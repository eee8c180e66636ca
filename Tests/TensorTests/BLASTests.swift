import Testing

@testable import Tensor

/// The BLAS wrapper against exact products of small integer matrices (every value is exactly
/// representable, so any backend must agree bit for bit).
@Suite struct BLASWrapper {
    /// Row-major m×k · k×n by the definition, in Double.
    static func product(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int) -> [Float] {
        (0..<(m * n)).map { idx in
            let (i, j) = (idx / n, idx % n)
            return Float((0..<k).reduce(0.0) { $0 + Double(a[i * k + $1]) * Double(b[$1 * n + j]) })
        }
    }

    static func transpose(_ x: [Float], rows: Int, cols: Int) -> [Float] {
        (0..<(rows * cols)).map { idx in x[(idx % rows) * cols + idx / rows] }
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func sgemmMatchesDefinition(transA: Bool, transB: Bool) {
        let (m, n, k) = (3, 4, 5)
        let a = (0..<(m * k)).map { Float($0 % 7) - 3 }
        let b = (0..<(k * n)).map { Float($0 % 5) - 2 }
        let storedA = transA ? Self.transpose(a, rows: m, cols: k) : a
        let storedB = transB ? Self.transpose(b, rows: k, cols: n) : b
        let expected = Self.product(a, b, m: m, n: n, k: k)
        // beta = 0 ignores C's content (even NaN); beta = 1 accumulates; alpha scales.
        var c = [Float](repeating: .nan, count: m * n)
        BLAS.sgemm(
            transA: transA, transB: transB, m: m, n: n, k: k, a: storedA, lda: transA ? m : k, b: storedB,
            ldb: transB ? k : n, beta: 0, c: &c, ldc: n)
        #expect(c == expected)
        BLAS.sgemm(
            transA: transA, transB: transB, m: m, n: n, k: k, alpha: 2, a: storedA, lda: transA ? m : k,
            b: storedB, ldb: transB ? k : n, beta: 1, c: &c, ldc: n)
        #expect(c == expected.map { 3 * $0 })
    }

    @Test func sgemmWithLeadingDimensionsAndEmptyK() {
        // A 2×2 block inside a 2×3 matrix (lda 3), C inside a 2×4 buffer (ldc 4).
        let a: [Float] = [1, 2, 99, 3, 4, 99]
        let b: [Float] = [5, 6, 7, 8]
        var c = [Float](repeating: -1, count: 8)
        BLAS.sgemm(m: 2, n: 2, k: 2, a: a, lda: 3, b: b, ldb: 2, beta: 0, c: &c, ldc: 4)
        #expect(c == [19, 22, -1, -1, 43, 50, -1, -1])
        var d: [Float] = [1, 2, 3, 4]
        BLAS.sgemm(m: 2, n: 2, k: 0, a: a, lda: 1, b: b, ldb: 2, beta: 0.5, c: &d, ldc: 2)
        #expect(d == [0.5, 1, 1.5, 2])
    }

    @Test func vectorRoutines() {
        var y: [Float] = [1, 2, 3]
        BLAS.saxpy(n: 3, alpha: 2, x: [1, 1, 2], y: &y)
        #expect(y == [3, 4, 7])
        BLAS.sscal(n: 3, alpha: -1, x: &y)
        #expect(y == [-3, -4, -7])
        #expect(BLAS.sdot(n: 3, x: [1, 2, 3], y: [4, 5, 6]) == 32)
    }

    /// (Sets 1, the engine's own setting, and leaves it: tests run in parallel in one process.)
    @Test func threadCountCanBeSet() {
        BLAS.setThreadCount(1)
        #if !canImport(Accelerate)
            #expect(BLAS.threadCount == 1)
        #endif
    }
}
