import Dispatch
import Tensor

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A fixed-size, zero-initialised float buffer owned by the engine (workspaces, weights, gradients).
/// Raw storage so that hot loops and BLAS calls work on stable pointers without copy-on-write.
///
/// The memory comes from `calloc`: large buffers are fresh zero pages from the kernel that cost nothing
/// until touched, so a buffer that a run never uses (gradients in inference, the unused part of a
/// workspace) is never faulted in.
final class FloatBuffer {
    let count: Int
    let pointer: UnsafeMutablePointer<Float>

    init(count: Int) {
        self.count = count
        guard let raw = calloc(max(count, 1), MemoryLayout<Float>.stride) else {
            fatalError("FloatBuffer: out of memory allocating \(count) floats")
        }
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    deinit { free(pointer) }

    var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    func zero() { pointer.update(repeating: 0, count: count) }

    func copy(from other: FloatBuffer) {
        precondition(other.count == count)
        pointer.update(from: other.pointer, count: count)
    }
}

/// A pointer that may cross into `DispatchQueue.concurrentPerform` workers, each touching only its
/// own disjoint range (the engine's parallel loops partition by sample).
struct SharedPointer: @unchecked Sendable {
    let base: UnsafeMutablePointer<Float>
    init(_ base: UnsafeMutablePointer<Float>) { self.base = base }
}

/// Runs `body(part)` for `parts` parts, concurrently when `parts > 1`. Each part must write only its own
/// memory, so the result does not depend on scheduling.
func parallelParts(_ parts: Int, _ body: (Int) -> Void) {
    if parts <= 1 {
        body(0)
        return
    }
    withoutActuallyEscaping(body) { escapable in
        let box = UncheckedSendable(escapable)
        DispatchQueue.concurrentPerform(iterations: parts) { box.value($0) }
    }
}

/// Carries a value into `concurrentPerform`; the engine's parallel bodies only touch disjoint memory.
private struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// The contiguous sample range of part `part` when `count` samples are split into `parts` parts.
func partRange(_ part: Int, of parts: Int, count: Int) -> Range<Int> {
    let lo = count * part / parts
    let hi = count * (part + 1) / parts
    return lo..<hi
}

/// `BLAS.sgemm` with the rows of C split into `parts` contiguous blocks computed concurrently (each
/// block a single-threaded BLAS call). The split depends only on `parts` and `m`, so results are
/// reproducible for a given thread setting.
func parallelGemm(
    parts: Int, transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float = 0,
    c: UnsafeMutablePointer<Float>, ldc: Int
) {
    let p = max(1, min(parts, m / 16))
    parallelParts(p) { part in
        let rows = partRange(part, of: p, count: m)
        guard !rows.isEmpty else { return }
        let aStart = transA ? a + rows.lowerBound : a + rows.lowerBound * lda
        BLAS.sgemm(
            transA: transA, transB: transB, m: rows.count, n: n, k: k, a: aStart, lda: lda, b: b, ldb: ldb,
            beta: beta, c: c + rows.lowerBound * ldc, ldc: ldc)
    }
}
