import CDeflate
import CZlibShim
import Foundation

/// A growable byte buffer that is reused across arrays (one allocation for a whole file in practice).
final class ScratchBuffer {
    private(set) var bytes: UnsafeMutableRawBufferPointer

    init(capacity: Int = 1 << 16) {
        bytes = .allocate(byteCount: max(capacity, 64), alignment: 16)
    }

    deinit { bytes.deallocate() }

    /// Grows to at least `capacity` bytes, keeping the first `keeping` bytes.
    func reserve(_ capacity: Int, keeping: Int) {
        guard capacity > bytes.count else { return }
        let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: max(capacity, 2 * bytes.count), alignment: 16)
        if keeping > 0 { grown.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[..<keeping])) }
        bytes.deallocate()
        bytes = grown
    }
}

/// A reusable libdeflate decompressor: whole-buffer zlib inflation when the inflated size is known, about
/// 2–3× faster than streaming zlib (including the adler32 check). One per decoder; not shared between threads.
final class DeflateDecompressor {
    fileprivate let handle: OpaquePointer?

    init() { handle = libdeflate_alloc_decompressor() }

    deinit { if let handle { libdeflate_free_decompressor(handle) } }
}

/// zlib (RFC 1950) inflation: libdeflate when the inflated size is known, the system zlib otherwise.
enum Zlib {
    /// A zlib stream that cannot be inflated.
    struct InflateError: Error {
        var reason: String
    }

    /// zlib's deflate cannot expand data by more than about 1032:1; a larger claimed size is not trusted
    /// for the first allocation.
    private static let maximumRatio = 1032

    /// Whether a stream of `compressedSize` bytes can inflate to `expectedSize` bytes (deflate's ratio limit),
    /// so that a buffer of that size may be allocated for it.
    static func isPlausible(expectedSize: Int, compressedSize: Int) -> Bool {
        let bound = compressedSize.multipliedReportingOverflow(by: maximumRatio)
        return expectedSize >= 0 && (bound.overflow || expectedSize <= bound.partialValue)
    }

    /// Inflates the complete zlib stream in `input` with libdeflate into `destination`; true only when it
    /// is valid and fills `destination` exactly (otherwise `destination` holds garbage; call `inflate` to
    /// learn what is wrong).
    static func inflateExactly(
        _ input: UnsafeBufferPointer<UInt8>, into destination: UnsafeMutableRawBufferPointer,
        using decompressor: DeflateDecompressor
    ) -> Bool {
        guard let base = input.baseAddress, !input.isEmpty, let handle = decompressor.handle else { return false }
        var produced = 0
        let result = libdeflate_zlib_decompress(
            handle, base, input.count, destination.baseAddress, destination.count, &produced)
        return result == LIBDEFLATE_SUCCESS && produced == destination.count
    }

    /// Inflates the complete zlib stream in `input` into `output`; returns the number of bytes produced.
    /// - Parameters:
    ///   - expectedSize: the inflated size when known (binary arrays: length × element size). With a
    ///     `decompressor`, the stream is inflated in one call into a buffer of that size; a longer or
    ///     damaged stream is retried with streaming zlib, which grows the buffer and names the problem.
    ///   - decompressor: the libdeflate decompressor to use when `expectedSize` is known.
    static func inflate(
        _ input: UnsafeBufferPointer<UInt8>, expectedSize: Int?, into output: ScratchBuffer,
        using decompressor: DeflateDecompressor? = nil
    ) throws -> Int {
        guard let base = input.baseAddress, !input.isEmpty else {
            throw InflateError(reason: "zlib: no compressed data")
        }
        if let expectedSize, let decompressor, isPlausible(expectedSize: expectedSize, compressedSize: input.count) {
            output.reserve(expectedSize, keeping: 0)
            let destination = UnsafeMutableRawBufferPointer(rebasing: output.bytes[..<expectedSize])
            if inflateExactly(input, into: destination, using: decompressor) { return expectedSize }
        }
        let bound = input.count.multipliedReportingOverflow(by: maximumRatio)
        let limit = bound.overflow ? Int.max : bound.partialValue
        let guess = min(expectedSize ?? input.count * 4, limit)
        return try inflateStreaming(base, count: input.count, initialCapacity: guess, into: output)
    }

    /// Streaming inflation with the system zlib, growing `output` from `initialCapacity` as needed.
    private static func inflateStreaming(
        _ base: UnsafePointer<UInt8>, count: Int, initialCapacity: Int, into output: ScratchBuffer
    ) throws -> Int {
        var stream = z_stream()
        var status = inflateInit_(&stream, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw InflateError(reason: "zlib: inflateInit failed (\(status))") }
        defer { inflateEnd(&stream) }
        stream.next_in = UnsafeMutablePointer(mutating: base)
        stream.avail_in = uInt(clamping: count)
        output.reserve(initialCapacity + 1, keeping: 0)  // one spare byte: a full buffer means "maybe more"
        var produced = 0
        repeat {
            if produced == output.bytes.count { output.reserve(2 * produced, keeping: produced) }
            let available = output.bytes.count - produced
            stream.next_out = output.bytes.baseAddress!.advanced(by: produced).assumingMemoryBound(to: UInt8.self)
            stream.avail_out = uInt(clamping: available)
            status = CZlibShim.inflate(&stream, Z_NO_FLUSH)
            produced += available - Int(stream.avail_out)
        } while status == Z_OK || (status == Z_BUF_ERROR && produced == output.bytes.count)
        guard status == Z_STREAM_END else {
            let message =
                stream.msg.map { String(cString: $0) }
                ?? (status == Z_BUF_ERROR ? "stream truncated" : "status \(status)")
            throw InflateError(reason: "zlib: \(message)")
        }
        return produced
    }
}
