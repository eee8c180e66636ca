import CZlibShim
import Foundation
import Testing

@testable import MassSpec

/// `Zlib.inflate` takes the libdeflate path when the size is right and falls back to streaming zlib
/// otherwise; every path must give back exactly the bytes the system zlib compressed.
struct InflateTests {
    /// 1000 little-endian doubles compressed by zlib's own `compress2` (the reference for the round trip).
    private static let original: [UInt8] = (0..<1000).flatMap { i -> [UInt8] in
        withUnsafeBytes(of: (Double(i) * 0.25 + 100).bitPattern.littleEndian, Array.init)
    }

    private static func compressed() throws -> [UInt8] {
        var size = compressBound(uLong(original.count))
        var output = [UInt8](repeating: 0, count: Int(size))
        let status = compress2(&output, &size, original, uLong(original.count), 6)
        try #require(status == Z_OK)
        return Array(output[..<Int(size)])
    }

    @Test(
        "Inflating with a right, short, long or unknown expected size gives the original bytes",
        arguments: [8000, 4000, 9000, nil] as [Int?])
    func roundTrip(expectedSize: Int?) throws {
        let input = try Self.compressed()
        let output = ScratchBuffer(capacity: 16)
        let count = try input.withUnsafeBufferPointer {
            try Zlib.inflate($0, expectedSize: expectedSize, into: output, using: DeflateDecompressor())
        }
        #expect(count == Self.original.count)
        #expect(Array(output.bytes.bindMemory(to: UInt8.self)[..<count]) == Self.original)
    }

    @Test func damagedStreamIsAnError() throws {
        var input = try Self.compressed()
        input[input.count - 1] ^= 0xFF  // breaks the adler32 checksum
        let output = ScratchBuffer()
        #expect(throws: Zlib.InflateError.self) {
            try input.withUnsafeBufferPointer {
                try Zlib.inflate($0, expectedSize: 8000, into: output, using: DeflateDecompressor())
            }
        }
    }
}
