import Foundation

/// MS-Numpress decoders (Teleman et al., Mol. Cell. Proteomics 2014; PSI-MS terms MS:1002312 linear
/// prediction, MS:1002313 positive integer, MS:1002314 short logged float), written from the format's
/// published description.
///
/// Layout shared by the codecs:
/// - the fixed point (linear, slof) is an IEEE 754 double in the first 8 bytes, **big-endian**;
/// - linear and pic store integers as "half-byte" codes, read high nibble first: a head nibble `h`
///   (h ≤ 8: the value's top h nibbles are 0; h > 8: its top h − 8 nibbles are 0xF) followed by the
///   remaining 8 − (h mod 8) nibbles, least significant first. A trailing 0 nibble in the last byte is
///   padding.
enum Numpress {
    /// A Numpress stream that cannot be decoded.
    struct CorruptData: Error {
        var reason: String
    }

    /// Linear prediction: fixed point, two 4-byte little-endian integers (the first two values × fixed
    /// point), then half-byte residuals r_i with value_i = 2·value_{i−1} − value_{i−2} + r_i.
    static func decodeLinear(_ bytes: UnsafeBufferPointer<UInt8>, into output: inout [Double]) throws {
        if bytes.count == 8 { return }
        guard bytes.count >= 8 else {
            throw CorruptData(reason: "linear: \(bytes.count) bytes, too few for the fixed point")
        }
        let fixedPoint = readBigEndianDouble(bytes, at: 0)
        guard fixedPoint.isFinite, fixedPoint > 0 else {
            throw CorruptData(reason: "linear: fixed point \(fixedPoint) is not a positive number")
        }
        guard bytes.count >= 12 else {
            throw CorruptData(reason: "linear: \(bytes.count) bytes, too few for the first value")
        }
        var previous2 = Int64(readLittleEndianUInt32(bytes, at: 8))
        output.append(Double(previous2) / fixedPoint)
        if bytes.count == 12 { return }
        guard bytes.count >= 16 else {
            throw CorruptData(reason: "linear: \(bytes.count) bytes, too few for the second value")
        }
        var previous1 = Int64(readLittleEndianUInt32(bytes, at: 12))
        output.append(Double(previous1) / fixedPoint)
        var cursor = HalfByteCursor(bytes: bytes, byteIndex: 16)
        while let code = try cursor.nextInt(codec: "linear") {
            let residual = Int64(Int32(bitPattern: code))
            let value = previous1 &+ (previous1 &- previous2) &+ residual
            output.append(Double(value) / fixedPoint)
            previous2 = previous1
            previous1 = value
        }
    }

    /// Positive integer compression: half-byte codes of round(value), no header.
    static func decodePic(_ bytes: UnsafeBufferPointer<UInt8>, into output: inout [Double]) throws {
        var cursor = HalfByteCursor(bytes: bytes, byteIndex: 0)
        while let code = try cursor.nextInt(codec: "pic") {
            output.append(Double(code))
        }
    }

    /// Short logged float: fixed point, then 2-byte little-endian unsigned x_i with value = exp(x / fp) − 1.
    static func decodeSlof(_ bytes: UnsafeBufferPointer<UInt8>, into output: inout [Double]) throws {
        guard bytes.count >= 8 else {
            throw CorruptData(reason: "slof: \(bytes.count) bytes, too few for the fixed point")
        }
        guard bytes.count % 2 == 0 else { throw CorruptData(reason: "slof: odd number of bytes (\(bytes.count))") }
        let fixedPoint = readBigEndianDouble(bytes, at: 0)
        guard fixedPoint.isFinite, fixedPoint > 0 else {
            throw CorruptData(reason: "slof: fixed point \(fixedPoint) is not a positive number")
        }
        var index = 8
        while index < bytes.count {
            let x = UInt16(bytes[index]) | UInt16(bytes[index + 1]) << 8
            output.append(exp(Double(x) / fixedPoint) - 1)
            index += 2
        }
    }

    private static func readBigEndianDouble(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int) -> Double {
        var bits: UInt64 = 0
        for i in 0..<8 { bits = bits << 8 | UInt64(bytes[offset + i]) }
        return Double(bitPattern: bits)
    }

    private static func readLittleEndianUInt32(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int) -> UInt32 {
        var value: UInt32 = 0
        for i in 0..<4 { value |= UInt32(bytes[offset + i]) << (8 * UInt32(i)) }
        return value
    }

    /// Reads half-byte integer codes (high nibble of each byte first).
    private struct HalfByteCursor {
        let bytes: UnsafeBufferPointer<UInt8>
        var byteIndex: Int
        var lowHalf = false

        init(bytes: UnsafeBufferPointer<UInt8>, byteIndex: Int) {
            self.bytes = bytes
            self.byteIndex = byteIndex
        }

        /// True when only padding (a final 0 low nibble) or nothing is left.
        private var atEnd: Bool {
            if byteIndex >= bytes.count { return true }
            return lowHalf && byteIndex == bytes.count - 1 && bytes[byteIndex] & 0x0F == 0
        }

        private mutating func nextNibble() -> UInt32? {
            guard byteIndex < bytes.count else { return nil }
            let byte = bytes[byteIndex]
            if lowHalf {
                lowHalf = false
                byteIndex += 1
                return UInt32(byte & 0x0F)
            }
            lowHalf = true
            return UInt32(byte >> 4)
        }

        /// The next 32-bit code, or nil at the end of the data.
        mutating func nextInt(codec: String) throws -> UInt32? {
            if atEnd { return nil }
            guard let head = nextNibble() else { return nil }
            var value: UInt32 = 0
            let leading: UInt32
            if head <= 8 {
                leading = head
            } else {
                leading = head - 8
                for i in 0..<leading { value |= 0xF000_0000 >> (4 * i) }
            }
            for i in 0..<(8 - leading) {
                guard let nibble = nextNibble() else {
                    throw CorruptData(reason: "\(codec): data ends inside a value (byte \(bytes.count))")
                }
                value |= nibble << (4 * i)
            }
            return value
        }
    }
}
