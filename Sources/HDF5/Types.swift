import CHDF5

/// How a string is stored in HDF5: its length (fixed bytes or variable), padding and character set.
///
/// h5py writes Python `str` as `.vlenUTF8`, `bytes` as `.vlenASCII`, and numpy `S<n>` arrays as
/// `.fixedASCII(n)` (NULLPAD: no NUL when a string fills its field).
public struct HDF5StringKind: Hashable, Sendable, CustomStringConvertible {
    /// Fixed number of bytes per string, or variable-length (stored in the global heap).
    public enum Length: Hashable, Sendable {
        case fixed(Int)
        case variable
    }
    /// How unused bytes of a fixed-length string are filled (HDF5 `H5T_str_t`).
    public enum Padding: String, Hashable, Sendable {
        case nullTerminated = "nullterm"
        case nullPadded = "nullpad"
        case spacePadded = "spacepad"
    }
    /// The declared character set (HDF5 `H5T_cset_t`).
    public enum Encoding: String, Hashable, Sendable {
        case ascii
        case utf8
    }

    public var length: Length
    public var padding: Padding
    public var encoding: Encoding

    public init(length: Length, padding: Padding, encoding: Encoding) {
        self.length = length
        self.padding = padding
        self.encoding = encoding
    }

    /// Variable-length UTF-8 (h5py's `str`; Keras's root `keras_version`, `backend`, Keras 3 `vars@name`).
    public static let vlenUTF8 = HDF5StringKind(length: .variable, padding: .nullTerminated, encoding: .utf8)
    /// Variable-length ASCII (h5py's `bytes`; Keras's `model_config`, tf-keras `layer_names`).
    public static let vlenASCII = HDF5StringKind(length: .variable, padding: .nullTerminated, encoding: .ascii)
    /// Fixed-length `S<size>` NULLPAD ASCII (numpy bytes arrays; Keras 2.2 `layer_names`, `weight_names`).
    public static func fixedASCII(_ size: Int) -> HDF5StringKind {
        HDF5StringKind(length: .fixed(size), padding: .nullPadded, encoding: .ascii)
    }
    /// Fixed-length NULLPAD ASCII just wide enough for `values` (at least 1 byte), as `numpy.asarray(bytes list)`.
    public static func fixedASCII(fitting values: [String]) -> HDF5StringKind {
        fixedASCII(max(1, values.map(\.utf8.count).max() ?? 1))
    }

    /// True for variable-length strings.
    public var isVariable: Bool { length == .variable }

    /// E.g. `vlen utf8`, `fixed(16) nullpad ascii`.
    public var description: String {
        switch length {
        case .variable: return "vlen \(encoding.rawValue)"
        case .fixed(let size): return "fixed(\(size)) \(padding.rawValue) \(encoding.rawValue)"
        }
    }
}

/// The element type of a dataset or attribute.
public enum HDF5ElementType: Hashable, Sendable, CustomStringConvertible {
    case float32, float64, int32, int64, uint8
    case string(HDF5StringKind)
    /// Any other HDF5 type, by name (`int16`, `uint32`, `float16`, `compound`, `enum`, ...).
    case other(String)

    /// E.g. `float32`, `string(vlen utf8)`, `int16`.
    public var description: String {
        switch self {
        case .float32: return "float32"
        case .float64: return "float64"
        case .int32: return "int32"
        case .int64: return "int64"
        case .uint8: return "uint8"
        case .string(let kind): return "string(\(kind))"
        case .other(let name): return name
        }
    }

    /// Bytes per element for the numeric types (nil for strings and others).
    public var byteSize: Int? {
        switch self {
        case .float32, .int32: return 4
        case .float64, .int64: return 8
        case .uint8: return 1
        case .string, .other: return nil
        }
    }
}

/// Numeric Swift types that read and write HDF5 data directly (HDF5 converts from the stored type).
/// `Int` is stored and read as int64.
public protocol HDF5Scalar: Numeric, Sendable, BitwiseCopyable {
    /// The numeric element type whose native memory layout this Swift type has.
    static var hdf5ElementType: HDF5ElementType { get }
}

extension Array where Element: HDF5Scalar {
    /// `count` zeros, written as zero bytes (every `HDF5Scalar` is a plain number whose all-zero bit
    /// pattern is 0). Unlike `init(repeating:count:)` this stays fast where the element type is generic
    /// (the HDF5 layer reads into such arrays without being specialised for each type).
    init(hdf5Zeros count: Int) {
        self.init(unsafeUninitializedCapacity: count) { buffer, initialized in
            if let base = buffer.baseAddress {
                UnsafeMutableRawPointer(base).initializeMemory(
                    as: UInt8.self, repeating: 0, count: count * MemoryLayout<Element>.stride)
            }
            initialized = count
        }
    }
}

extension Float: HDF5Scalar { public static var hdf5ElementType: HDF5ElementType { .float32 } }
extension Double: HDF5Scalar { public static var hdf5ElementType: HDF5ElementType { .float64 } }
extension Int32: HDF5Scalar { public static var hdf5ElementType: HDF5ElementType { .int32 } }
extension Int64: HDF5Scalar { public static var hdf5ElementType: HDF5ElementType { .int64 } }
extension UInt8: HDF5Scalar { public static var hdf5ElementType: HDF5ElementType { .uint8 } }
extension Int: HDF5Scalar { public static var hdf5ElementType: HDF5ElementType { .int64 } }

/// What a link in a group points to.
public enum HDF5ObjectKind: String, Hashable, Sendable, CustomStringConvertible {
    case group, dataset
    /// A committed (named) datatype.
    case namedDatatype = "datatype"
    /// A soft link (not followed when listing).
    case softLink = "soft link"
    /// An external link to another file (not followed when listing).
    case externalLink = "external link"
    /// Anything else (e.g. a user-defined link).
    case other

    public var description: String { rawValue }
}

/// The value of an attribute. `shape` `[]` is a scalar; `.strings` is a 1-D string array.
public enum HDF5AttributeValue: Hashable, Sendable {
    case string(String, HDF5StringKind)
    case strings([String], HDF5StringKind)
    case float32s([Float], shape: [Int])
    case float64s([Double], shape: [Int])
    case int32s([Int32], shape: [Int])
    case int64s([Int64], shape: [Int])
    case uint8s([UInt8], shape: [Int])
    /// A stored attribute this layer does not decode (compound, enum, reference, a string array of rank > 1,
    /// a null dataspace, ...): its type name and shape. Reading never fails on such an attribute.
    case unsupported(type: String, shape: [Int])

    /// A scalar int64 attribute.
    public static func int64(_ value: Int64) -> HDF5AttributeValue { .int64s([value], shape: []) }
    /// A scalar float64 attribute.
    public static func float64(_ value: Double) -> HDF5AttributeValue { .float64s([value], shape: []) }
    /// A 1-D float64 attribute (`[]` gives the zero-sized `(0,)` array Keras writes for an empty name list).
    public static func float64Array(_ values: [Double]) -> HDF5AttributeValue {
        .float64s(values, shape: [values.count])
    }

    /// The element type (strings with their kind).
    public var elementType: HDF5ElementType {
        switch self {
        case .string(_, let kind), .strings(_, let kind): return .string(kind)
        case .float32s: return .float32
        case .float64s: return .float64
        case .int32s: return .int32
        case .int64s: return .int64
        case .uint8s: return .uint8
        case .unsupported(let type, _): return .other(type)
        }
    }

    /// The number of values held (strings or numbers; 0 for `.unsupported`).
    var valueCount: Int {
        switch self {
        case .string: return 1
        case .strings(let values, _): return values.count
        case .float32s(let values, _): return values.count
        case .float64s(let values, _): return values.count
        case .int32s(let values, _): return values.count
        case .int64s(let values, _): return values.count
        case .uint8s(let values, _): return values.count
        case .unsupported: return 0
        }
    }

    /// The dataspace shape (`[]` for scalars).
    public var shape: [Int] {
        switch self {
        case .string: return []
        case .strings(let values, _): return [values.count]
        case .float32s(_, let shape), .float64s(_, let shape), .int32s(_, let shape), .int64s(_, let shape),
            .uint8s(_, let shape), .unsupported(_, let shape):
            return shape
        }
    }
}

/// The number of elements in `shape` (1 for `[]`), or nil when a dimension is negative or the product
/// overflows `Int` (a hostile file must not crash the reader).
func checkedElementCount(_ shape: [Int]) -> Int? {
    var count = 1
    for dimension in shape {
        guard dimension >= 0 else { return nil }
        let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
        guard !overflow else { return nil }
        count = product
    }
    return count
}

// MARK: - Mapping to and from HDF5 type ids (internal)

extension HDF5ElementType {
    /// The native memory type for a numeric element type (a predefined id: never close it).
    var nativeTypeID: hid_t? {
        switch self {
        case .float32: return neatms_h5t_native_float()
        case .float64: return neatms_h5t_native_double()
        case .int32: return neatms_h5t_native_int32()
        case .int64: return neatms_h5t_native_int64()
        case .uint8: return neatms_h5t_native_uint8()
        case .string, .other: return nil
        }
    }

    /// The little-endian file type h5py uses for a numeric element type (a predefined id: never close it).
    var fileTypeID: hid_t? {
        switch self {
        case .float32: return neatms_h5t_ieee_f32le()
        case .float64: return neatms_h5t_ieee_f64le()
        case .int32: return neatms_h5t_std_i32le()
        case .int64: return neatms_h5t_std_i64le()
        case .uint8: return neatms_h5t_std_u8le()
        case .string, .other: return nil
        }
    }

    /// Describes an HDF5 datatype id (caller holds the lock and owns `typeID`).
    init(typeID: hid_t) {
        let size = H5Tget_size(typeID)
        switch H5Tget_class(typeID) {
        case H5T_FLOAT:
            switch size {
            case 4: self = .float32
            case 8: self = .float64
            default: self = .other("float\(size * 8)")
            }
        case H5T_INTEGER:
            let signed = H5Tget_sign(typeID) == H5T_SGN_2
            switch (signed, size) {
            case (true, 4): self = .int32
            case (true, 8): self = .int64
            case (false, 1): self = .uint8
            default: self = .other("\(signed ? "int" : "uint")\(size * 8)")
            }
        case H5T_STRING:
            self = .string(HDF5StringKind(stringTypeID: typeID))
        case H5T_COMPOUND: self = .other("compound")
        case H5T_ENUM: self = .other("enum")
        case H5T_BITFIELD: self = .other("bitfield")
        case H5T_OPAQUE: self = .other("opaque")
        case H5T_REFERENCE: self = .other("reference")
        case H5T_ARRAY: self = .other("array")
        case H5T_VLEN: self = .other("vlen")
        case H5T_TIME: self = .other("time")
        default: self = .other("unknown")
        }
    }
}

extension HDF5StringKind {
    /// Describes a string datatype id (caller holds the lock).
    init(stringTypeID typeID: hid_t) {
        let variable = H5Tis_variable_str(typeID) > 0
        let length: Length = variable ? .variable : .fixed(H5Tget_size(typeID))
        let padding: Padding
        switch H5Tget_strpad(typeID) {
        case H5T_STR_NULLPAD: padding = .nullPadded
        case H5T_STR_SPACEPAD: padding = .spacePadded
        default: padding = .nullTerminated
        }
        let encoding: Encoding = H5Tget_cset(typeID) == H5T_CSET_UTF8 ? .utf8 : .ascii
        self.init(length: length, padding: padding, encoding: encoding)
    }
}
