// The one file that decides the BLAS backend: Accelerate on Apple platforms, OpenBLAS (CBLAS
// system-library target, pkg-config `openblas`) elsewhere. Everything else calls `BLAS.*` with `Int`
// arguments and never sees the backend's integer or enum types.

#if canImport(Accelerate)
    import Accelerate
#else
    import CBLAS
#endif

/// Row-major single-precision BLAS routines used by the engine.
///
/// All matrices are row-major (C order). Sizes and leading dimensions are `Int`; they are narrowed to
/// the backend's integer type here, once.
public enum BLAS {
    #if canImport(Accelerate)
        public static let backendName = "Accelerate"
        @inline(__always) private static func int(_ x: Int) -> Int32 { Int32(truncatingIfNeeded: x) }
    #else
        public static let backendName = "OpenBLAS"
        @inline(__always) private static func int(_ x: Int) -> blasint { blasint(truncatingIfNeeded: x) }
    #endif

    /// `C ← alpha·op(A)·op(B) + beta·C` with `op(X)` = X or Xᵀ; C is m×n, op(A) m×k, op(B) k×n.
    ///
    /// `lda`, `ldb`, `ldc` are the row strides of the stored (untransposed) matrices. With
    /// `beta == 0`, C is only written (its previous content, even NaN, is ignored).
    public static func sgemm(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            // BLAS leaves C·beta; make that explicit (some backends reject k == 0 with lda checks).
            for i in 0..<m {
                let row = c + i * ldc
                if beta == 0 {
                    row.update(repeating: 0, count: n)
                } else if beta != 1 {
                    for j in 0..<n { row[j] *= beta }
                }
            }
            return
        }
        gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }

    private static func gemm(
        _ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
        _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
        _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            int(m), int(n), int(k), alpha, a, int(lda), b, int(ldb), beta, c, int(ldc))
    }

    /// `y ← alpha·x + y` over `n` contiguous elements.
    public static func saxpy(n: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        guard n > 0 else { return }
        cblas_saxpy(int(n), alpha, x, 1, y, 1)
    }

    /// `x ← alpha·x` over `n` contiguous elements.
    public static func sscal(n: Int, alpha: Float, x: UnsafeMutablePointer<Float>) {
        guard n > 0 else { return }
        cblas_sscal(int(n), alpha, x, 1)
    }

    /// Dot product of `n` contiguous elements.
    public static func sdot(n: Int, x: UnsafePointer<Float>, y: UnsafePointer<Float>) -> Float {
        guard n > 0 else { return 0 }
        return cblas_sdot(int(n), x, 1, y, 1)
    }

    /// Threads the BLAS backend may use for one call. OpenBLAS: `openblas_get_num_threads()`;
    /// Accelerate manages its own threads and reports 0.
    public static var threadCount: Int {
        #if canImport(Accelerate)
            return 0
        #else
            return Int(openblas_get_num_threads())
        #endif
    }

    /// Limits the BLAS backend to the calling thread and ends the worker threads it may already have.
    ///
    /// OpenBLAS's pthread build starts a worker thread per further core when the library is loaded, and
    /// each one busy-waits for about 0.1 s before it sleeps, taking CPU from the real work of a short
    /// process (up to ~30 ms of a 0.2 s `neatms predict` on two cores) unless `OPENBLAS_NUM_THREADS=1`
    /// was set. The engine never uses BLAS threading (it parallelises over samples itself), so the CLI
    /// calls this first thing. OpenBLAS starts its threads again if a later `setThreadCount` asks for
    /// more than one. Call it before any other thread uses BLAS; a no-op on Accelerate.
    public static func stopIdleThreads() {
        #if !canImport(Accelerate)
            openblas_set_num_threads(1)
            _ = neatmskit_openblas_stop_threads()
        #endif
    }

    /// Sets how many threads the BLAS backend may use (OpenBLAS `openblas_set_num_threads`; a no-op
    /// on Accelerate). Values below 1 are treated as 1. Benchmarks use 1 for single-thread figures.
    ///
    /// Does nothing when the backend already has that setting: OpenBLAS's setter restarts (and spins) the
    /// worker threads that `stopIdleThreads` ended, even when it is asked for one thread.
    public static func setThreadCount(_ count: Int) {
        #if !canImport(Accelerate)
            let wanted = Int32(max(1, min(count, 1024)))
            if openblas_get_num_threads() != wanted { openblas_set_num_threads(wanted) }
        #endif
    }
}
