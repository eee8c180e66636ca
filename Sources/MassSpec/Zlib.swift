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

/// zlib (RFC 1950) inflation through the system zlib.
enum Zlib {
    /// A zlib stream that cannot be inflated.
    struct InflateError: Error {
        var reason: String
    }

    /// zlib's deflate cannot expand data by more than about 1032:1; a larger claimed size is not trusted
    /// for the first allocation.
    private static let maximumRatio = 1032

    /// Inflates the complete zlib stream in `input` into `output`; returns the number of bytes produced.
    /// - Parameter expectedSize: the inflated size when known (binary arrays: length × element size), used
    ///   to size the buffer; it grows when the stream is longer.
    static func inflate(_ input: UnsafeBufferPointer<UInt8>, expectedSize: Int?, into output: ScratchBuffer) throws -> Int {
        guard let base = input.baseAddress, !input.isEmpty else {
            throw InflateError(reason: "zlib: no compressed data")
        }
        var stream = z_stream()
        var status = inflateInit_(&stream, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw InflateError(reason: "zlib: inflateInit failed (\(status))") }
        defer { inflateEnd(&stream) }
        stream.next_in = UnsafeMutablePointer(mutating: base)
        stream.avail_in = uInt(clamping: input.count)

        let bound = input.count.multipliedReportingOverflow(by: maximumRatio)
        let guess = min(expectedSize ?? input.count * 4, bound.overflow ? Int.max : bound.partialValue)
        output.reserve(guess + 1, keeping: 0)  // one spare byte: a full buffer means "maybe more"
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
            let message = stream.msg.map { String(cString: $0) } ?? (status == Z_BUF_ERROR ? "stream truncated" : "status \(status)")
            throw InflateError(reason: "zlib: \(message)")
        }
        return produced
    }
}
