import CZlibShim
import Foundation

/// zlib (RFC 1950) inflation through the system zlib.
enum Zlib {
    /// A zlib stream that cannot be inflated.
    struct InflateError: Error {
        var reason: String
    }

    /// Inflates the complete zlib stream in `input`, replacing `output`'s contents.
    /// - Parameter expectedSize: the inflated size when known (binary arrays: length × element size);
    ///   the buffer grows when the stream is longer.
    static func inflate(_ input: UnsafeBufferPointer<UInt8>, expectedSize: Int?, into output: inout [UInt8]) throws {
        guard let base = input.baseAddress, !input.isEmpty else {
            throw InflateError(reason: "zlib: no compressed data")
        }
        var stream = z_stream()
        var status = inflateInit_(&stream, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw InflateError(reason: "zlib: inflateInit failed (\(status))") }
        defer { inflateEnd(&stream) }
        stream.next_in = UnsafeMutablePointer(mutating: base)
        stream.avail_in = uInt(input.count)

        var capacity = max(expectedSize ?? input.count * 4, 64)
        output.removeAll(keepingCapacity: true)
        var produced = 0
        repeat {
            if produced == capacity { capacity *= 2 }
            output.append(contentsOf: repeatElement(0, count: capacity - output.count))
            status = output.withUnsafeMutableBufferPointer { buffer -> Int32 in
                stream.next_out = buffer.baseAddress! + produced
                stream.avail_out = uInt(capacity - produced)
                let result = CZlibShim.inflate(&stream, Z_NO_FLUSH)
                produced = capacity - Int(stream.avail_out)
                return result
            }
        } while status == Z_OK || (status == Z_BUF_ERROR && produced == capacity)
        output.removeSubrange(produced...)
        guard status == Z_STREAM_END else {
            let message = stream.msg.map { String(cString: $0) } ?? (status == Z_BUF_ERROR ? "stream truncated" : "status \(status)")
            throw InflateError(reason: "zlib: \(message)")
        }
    }
}
