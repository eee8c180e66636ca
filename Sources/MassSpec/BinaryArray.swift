import Foundation

/// How one `<binaryDataArray>` is encoded, from its cvParams.
struct BinaryArrayEncoding: Equatable, Sendable {
    /// What the array holds (only m/z and intensity arrays are decoded).
    enum Role: Equatable, Sendable { case mz, intensity, other }
    /// The element type of an uncompressed or zlib-only array.
    enum ValueType: Equatable, Sendable {
        case float32, float64, int32, int64
        var byteCount: Int { self == .float32 || self == .int32 ? 4 : 8 }
    }
    /// MS-Numpress codec.
    enum NumpressCodec: Equatable, Sendable { case linear, pic, slof }

    var role: Role = .other
    var valueType: ValueType?
    var zlib = false
    var numpress: NumpressCodec?
    /// A compression term this reader does not implement (its name), reported as an error on decode.
    var unsupportedCompression: String?

    /// Applies one cvParam of the array; returns false when the accession is not about the encoding.
    @discardableResult
    mutating func apply(accession: String, name: String) -> Bool {
        switch accession {
        case "MS:1000514": role = .mz
        case "MS:1000515": role = .intensity
        case "MS:1000521": valueType = .float32
        case "MS:1000523": valueType = .float64
        case "MS:1000519": valueType = .int32
        case "MS:1000522": valueType = .int64
        case "MS:1000574": zlib = true
        case "MS:1000576": break  // no compression
        case "MS:1002312": numpress = .linear
        case "MS:1002313": numpress = .pic
        case "MS:1002314": numpress = .slof
        case "MS:1002746": numpress = .linear; zlib = true
        case "MS:1002747": numpress = .pic; zlib = true
        case "MS:1002748": numpress = .slof; zlib = true
        // Other members of "binary data compression type" (MS:1000572): truncation + prediction schemes.
        case "MS:1003089", "MS:1003090", "MS:1003091", "MS:1003092":
            unsupportedCompression = name.isEmpty ? accession : "\(name) (\(accession))"
        default: return false
        }
        return true
    }
}

/// Decodes base64 → zlib → (Numpress | little-endian numbers) into `[Double]`, reusing its scratch
/// buffers across arrays so that a run decodes with few allocations.
struct BinaryArrayDecoder {
    private let inflated = ScratchBuffer()
    private let decompressor = DeflateDecompressor()

    /// A failure, with a one-line reason.
    struct Failure: Error {
        var reason: String
    }

    /// Decodes the base64 text of one array and appends exactly `count` values to `output`.
    /// - Throws: `Failure` for bad base64, zlib errors, corrupt Numpress data, an unknown value type or
    ///   compression, or a decoded length other than `count`.
    mutating func decode(
        base64 text: [UInt8], encoding: BinaryArrayEncoding, count: Int, into output: inout [Double]
    ) throws {
        if let unsupported = encoding.unsupportedCompression {
            throw Failure(reason: "unsupported compression \(unsupported)")
        }
        if count == 0 && text.allSatisfy(Self.isBase64Whitespace) { return }
        guard let decoded = Self.decodeBase64(text) else {
            throw Failure(reason: "invalid base64 text (\(text.count) characters)")
        }
        let start = output.count
        try decoded.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            if encoding.zlib {
                var expected: Int?
                if encoding.numpress == nil, let size = encoding.valueType?.byteCount {
                    let (bytes, overflow) = size.multipliedReportingOverflow(by: count)
                    expected = overflow ? nil : bytes
                }
                let inflatedCount: Int
                do {
                    inflatedCount = try Zlib.inflate(bytes, expectedSize: expected, into: inflated, using: decompressor)
                } catch let error as Zlib.InflateError {
                    throw Failure(reason: error.reason)
                }
                let payload = UnsafeBufferPointer(
                    start: inflated.bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), count: inflatedCount)
                try decodePayload(payload, encoding: encoding, count: count, into: &output)
            } else {
                try decodePayload(bytes, encoding: encoding, count: count, into: &output)
            }
        }
        let produced = output.count - start
        guard produced == count else {
            output.removeSubrange(start...)
            throw Failure(reason: "decoded \(produced) values, but the array length is \(count)")
        }
    }

    private func decodePayload(
        _ bytes: UnsafeBufferPointer<UInt8>, encoding: BinaryArrayEncoding, count: Int, into output: inout [Double]
    ) throws {
        if let codec = encoding.numpress {
            do {
                switch codec {
                case .linear: try Numpress.decodeLinear(bytes, into: &output)
                case .pic: try Numpress.decodePic(bytes, into: &output)
                case .slof: try Numpress.decodeSlof(bytes, into: &output)
                }
            } catch let error as Numpress.CorruptData {
                throw Failure(reason: "corrupt MS-Numpress data: \(error.reason)")
            }
            return
        }
        guard let valueType = encoding.valueType else {
            throw Failure(reason: "no binary data type (32-/64-bit float or integer) given")
        }
        let size = valueType.byteCount
        guard bytes.count % size == 0, bytes.count / size == count else {
            throw Failure(reason: "\(bytes.count) bytes of \(size)-byte values, but the array length is \(count)")
        }
        let raw = UnsafeRawBufferPointer(bytes)
        if output.capacity - output.count < count {
            // Grow geometrically: `output` may be a whole run's column, filled spectrum by spectrum.
            output.reserveCapacity(max(output.count + count, 2 * output.capacity))
        }
        #if _endian(little)
        // mzML stores little-endian IEEE 754: aligned 64-bit floats are appended as they are.
        if valueType == .float64, let base = raw.baseAddress, Int(bitPattern: base) % MemoryLayout<Double>.alignment == 0 {
            raw.withMemoryRebound(to: Double.self) { output.append(contentsOf: $0) }
            return
        }
        #endif
        let converted = [Double](unsafeUninitializedCapacity: count) { values, initialized in
            for i in 0 ..< count {
                switch valueType {
                case .float64:
                    values[i] = Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i &* 8, as: UInt64.self)))
                case .float32:
                    values[i] = Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i &* 4, as: UInt32.self))))
                case .int32:
                    values[i] = Double(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: i &* 4, as: Int32.self)))
                case .int64:
                    values[i] = Double(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: i &* 8, as: Int64.self)))
                }
            }
            initialized = count
        }
        output.append(contentsOf: converted)
    }

    private static func isBase64Whitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    /// Strict base64 (Foundation); line breaks and spaces some writers insert are removed first.
    private static func decodeBase64(_ text: [UInt8]) -> Data? {
        if let data = Data(base64Encoded: Data(text)) { return data }
        let compact = text.filter { !isBase64Whitespace($0) }
        guard compact.count != text.count else { return nil }
        return Data(base64Encoded: Data(compact))
    }
}
