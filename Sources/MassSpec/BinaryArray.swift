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

    /// The members of "binary data compression type" (MS:1000572) this reader does not implement
    /// (truncation + prediction schemes), by accession number.
    static let unsupportedCompressionTerms: ClosedRange<Int> = 1_003_089...1_003_092

    /// Applies one cvParam of the array, given by its PSI-MS accession number (`MS:1000514` → 1000514);
    /// returns false when the term is not about the encoding.
    @discardableResult
    mutating func apply(term: Int, name: String) -> Bool {
        switch term {
        case 1_000_514: role = .mz
        case 1_000_515: role = .intensity
        case 1_000_521: valueType = .float32
        case 1_000_523: valueType = .float64
        case 1_000_519: valueType = .int32
        case 1_000_522: valueType = .int64
        case 1_000_574: zlib = true
        case 1_000_576: break  // no compression
        case 1_002_312: numpress = .linear
        case 1_002_313: numpress = .pic
        case 1_002_314: numpress = .slof
        case 1_002_746:
            numpress = .linear
            zlib = true
        case 1_002_747:
            numpress = .pic
            zlib = true
        case 1_002_748:
            numpress = .slof
            zlib = true
        case Self.unsupportedCompressionTerms:
            let accession = "MS:\(term)"
            unsupportedCompression = name.isEmpty ? accession : "\(name) (\(accession))"
        default: return false
        }
        return true
    }
}

/// The decoded values of one array, in a buffer reused from spectrum to spectrum (valid until the next
/// decode into it).
final class DecodedValues {
    private let storage = ScratchBuffer()
    /// Number of values.
    private(set) var count = 0

    /// The values.
    var values: UnsafeBufferPointer<Double> {
        UnsafeBufferPointer(start: storage.bytes.baseAddress?.assumingMemoryBound(to: Double.self), count: count)
    }

    /// Room for exactly `count` values (not initialised: the caller writes all of them).
    func prepare(_ count: Int) -> UnsafeMutableBufferPointer<Double> {
        storage.reserve(count &* MemoryLayout<Double>.stride, keeping: 0)
        self.count = count
        let base = storage.bytes.baseAddress?.bindMemory(to: Double.self, capacity: count)
        return UnsafeMutableBufferPointer(start: base, count: count)
    }
}

/// Decodes base64 → zlib → (Numpress | little-endian numbers) into a `DecodedValues` buffer, reusing
/// its scratch buffers across arrays so that a run decodes with few allocations. zlib-compressed 64-bit
/// floats (the usual array) are inflated straight into the output buffer.
struct BinaryArrayDecoder {
    private let inflated = ScratchBuffer()
    private let decompressor = DeflateDecompressor()
    /// Numpress output before its length is checked.
    private var numpressValues: [Double] = []

    /// A failure, with a one-line reason.
    struct Failure: Error {
        var reason: String
    }

    /// Decodes the base64 text of one array into `output`, which then holds exactly `count` values.
    /// - Throws: `Failure` for bad base64, zlib errors, corrupt Numpress data, an unknown value type or
    ///   compression, or a decoded length other than `count`.
    mutating func decode(
        base64 text: [UInt8], encoding: BinaryArrayEncoding, count: Int, into output: DecodedValues
    ) throws {
        if let unsupported = encoding.unsupportedCompression {
            throw Failure(reason: "unsupported compression \(unsupported)")
        }
        if count == 0 && text.allSatisfy(Self.isBase64Whitespace) {
            _ = output.prepare(0)
            return
        }
        guard let decoded = Self.decodeBase64(text) else {
            throw Failure(reason: "invalid base64 text (\(text.count) characters)")
        }
        try decoded.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            guard encoding.zlib else {
                try decodePayload(bytes, encoding: encoding, count: count, into: output)
                return
            }
            var expected: Int?
            if encoding.numpress == nil, let size = encoding.valueType?.byteCount {
                let (bytes, overflow) = size.multipliedReportingOverflow(by: count)
                expected = overflow ? nil : bytes
            }
            #if _endian(little)
                // Little-endian 64-bit floats: inflate straight into the output when the size is exactly right.
                if encoding.numpress == nil, encoding.valueType == .float64, let expected,
                    Zlib.isPlausible(expectedSize: expected, compressedSize: bytes.count)
                {
                    let destination = UnsafeMutableRawBufferPointer(output.prepare(count))
                    if Zlib.inflateExactly(bytes, into: destination, using: decompressor) { return }
                }
            #endif
            let inflatedCount: Int
            do {
                inflatedCount = try Zlib.inflate(bytes, expectedSize: expected, into: inflated, using: decompressor)
            } catch let error as Zlib.InflateError {
                throw Failure(reason: error.reason)
            }
            let payload = UnsafeBufferPointer(
                start: inflated.bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), count: inflatedCount)
            try decodePayload(payload, encoding: encoding, count: count, into: output)
        }
    }

    private mutating func decodePayload(
        _ bytes: UnsafeBufferPointer<UInt8>, encoding: BinaryArrayEncoding, count: Int, into output: DecodedValues
    ) throws {
        if let codec = encoding.numpress {
            numpressValues.removeAll(keepingCapacity: true)
            do {
                switch codec {
                case .linear: try Numpress.decodeLinear(bytes, into: &numpressValues)
                case .pic: try Numpress.decodePic(bytes, into: &numpressValues)
                case .slof: try Numpress.decodeSlof(bytes, into: &numpressValues)
                }
            } catch let error as Numpress.CorruptData {
                throw Failure(reason: "corrupt MS-Numpress data: \(error.reason)")
            }
            guard numpressValues.count == count else {
                throw Failure(reason: "decoded \(numpressValues.count) values, but the array length is \(count)")
            }
            _ = numpressValues.withUnsafeBufferPointer { output.prepare(count).initialize(fromContentsOf: $0) }
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
        let values = output.prepare(count)
        #if _endian(little)
            // mzML stores little-endian IEEE 754: 64-bit floats are copied as they are.
            if valueType == .float64 {
                if count > 0 { UnsafeMutableRawBufferPointer(values).copyMemory(from: raw) }
                return
            }
        #endif
        for i in 0..<count {
            switch valueType {
            case .float64:
                values[i] = Double(
                    bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i &* 8, as: UInt64.self)))
            case .float32:
                values[i] = Double(
                    Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i &* 4, as: UInt32.self))))
            case .int32:
                values[i] = Double(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: i &* 4, as: Int32.self)))
            case .int64:
                values[i] = Double(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: i &* 8, as: Int64.self)))
            }
        }
    }

    private static func isBase64Whitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    /// Strict base64 (Foundation), read in place from `text`; line breaks and spaces some writers insert
    /// are removed first.
    private static func decodeBase64(_ text: [UInt8]) -> Data? {
        let decoded = text.withUnsafeBytes { raw -> Data? in
            guard let base = raw.baseAddress, !raw.isEmpty else { return Data(base64Encoded: Data()) }
            // A view of `text` for the duration of the call (Foundation copies nothing it keeps).
            let view = Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: raw.count, deallocator: .none)
            return Data(base64Encoded: view)
        }
        if let decoded { return decoded }
        let compact = text.filter { !isBase64Whitespace($0) }
        guard compact.count != text.count else { return nil }
        return Data(base64Encoded: Data(compact))
    }
}
