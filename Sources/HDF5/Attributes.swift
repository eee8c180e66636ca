import CHDF5

// Attributes on groups, datasets and the root group (file attributes are root-group attributes).

extension HDF5Object {
    /// The names of this object's attributes, in name order.
    public func attributeNames() throws -> [String] {
        try HDF5Library.synchronized {
            final class Names { var values: [String] = [] }
            let names = Names()
            let context = Unmanaged.passUnretained(names).toOpaque()
            var index: hsize_t = 0
            let status = H5Aiterate2(
                try openID(), H5_INDEX_NAME, H5_ITER_INC, &index,
                { _, name, _, context in
                    guard let name, let context else { return -1 }
                    Unmanaged<Names>.fromOpaque(context).takeUnretainedValue().values.append(String(cString: name))
                    return 0
                }, context)
            guard status >= 0 else { throw failure(.library, nil, "cannot list attributes") }
            return names.values
        }
    }

    /// True when the attribute `name` exists.
    public func hasAttribute(_ name: String) throws -> Bool {
        try HDF5Library.synchronized {
            let result = H5Aexists(try openID(), name)
            guard result >= 0 else { throw attributeFailure(.library, name, "cannot check attribute") }
            return result > 0
        }
    }

    /// Reads the attribute `name`, or nil when it does not exist. Types this layer does not decode come back
    /// as `.unsupported` rather than as an error.
    public func attribute(_ name: String) throws -> HDF5AttributeValue? {
        try HDF5Library.synchronized {
            guard try hasAttribute(name) else { return nil }
            let id = try openID()
            return try withTemporary(
                { H5Aopen(id, name, hid_t(neatms_h5p_default())) }, close: H5Aclose,
                orThrow: { attributeFailure(.library, name, "cannot open attribute") }
            ) { attribute in try readAttribute(attribute, name: name) }
        }
    }

    /// Writes the attribute `name`, replacing any existing one (delete and recreate, as h5py does).
    ///
    /// Strings are stored exactly with the given kind: `.string(s, .vlenUTF8)` is a scalar variable-length
    /// UTF-8 string, `.strings(list, .fixedASCII(n))` a 1-D `S<n>` NULLPAD array, `.float64Array([])` the
    /// zero-sized `(0,)` float64 array Keras writes for an empty name list. Numeric values are stored
    /// little-endian (f32/f64/i32/i64/u8 as h5py does).
    public func setAttribute(_ name: String, _ value: HDF5AttributeValue) throws {
        try HDF5Library.synchronized {
            let id = try openID()
            try validateForWriting(value, name: name)  // before deleting the old value
            if try hasAttribute(name) {
                guard H5Adelete(id, name) >= 0 else {
                    throw attributeFailure(.library, name, "cannot replace attribute")
                }
            }
            switch value {
            case .string(let string, let kind):
                try writeStrings([string], kind: kind, shape: [], name: name)
            case .strings(let strings, let kind):
                try writeStrings(strings, kind: kind, shape: [strings.count], name: name)
            case .float32s(let values, let shape): try writeNumbers(values, shape: shape, name: name)
            case .float64s(let values, let shape): try writeNumbers(values, shape: shape, name: name)
            case .int32s(let values, let shape): try writeNumbers(values, shape: shape, name: name)
            case .int64s(let values, let shape): try writeNumbers(values, shape: shape, name: name)
            case .uint8s(let values, let shape): try writeNumbers(values, shape: shape, name: name)
            case .unsupported: break  // refused by validateForWriting
            }
        }
    }

    /// Deletes the attribute `name`. Throws `.notFound` if it does not exist.
    public func deleteAttribute(_ name: String) throws {
        try HDF5Library.synchronized {
            guard try hasAttribute(name) else {
                throw HDF5Error(.notFound, file: filePath, object: attributePath(name), message: "no such attribute")
            }
            guard H5Adelete(try openID(), name) >= 0 else {
                throw attributeFailure(.library, name, "cannot delete attribute")
            }
        }
    }

    /// A string attribute of any kind (fixed or variable, ASCII or UTF-8; a scalar or a one-element array),
    /// decoded as UTF-8; nil when absent. Throws `.typeMismatch` for anything else.
    public func stringAttribute(_ name: String) throws -> String? {
        switch try attribute(name) {
        case nil: return nil
        case .string(let value, _): return value
        case .strings(let values, _) where values.count == 1: return values[0]
        case let other?:
            throw HDF5Error(
                .typeMismatch, file: filePath, object: attributePath(name),
                message: "expected a string, found \(other.elementType) with shape \(other.shape)")
        }
    }

    /// A list of strings (fixed or variable, 1-D or scalar); a zero-sized numeric array (Keras's empty
    /// `weight_names`, float64 `(0,)`) reads as `[]`. nil when absent; `.typeMismatch` for anything else.
    public func stringListAttribute(_ name: String) throws -> [String]? {
        switch try attribute(name) {
        case nil: return nil
        case .string(let value, _): return [value]
        case .strings(let values, _): return values
        case let other? where other.shape.contains(0): return []
        case let other?:
            throw HDF5Error(
                .typeMismatch, file: filePath, object: attributePath(name),
                message: "expected a list of strings, found \(other.elementType) with shape \(other.shape)")
        }
    }

    // MARK: - Reading (caller holds the lock)

    private func readAttribute(_ attribute: hid_t, name: String) throws -> HDF5AttributeValue {
        let path = attributePath(name)
        let shape = try withTemporary(
            { H5Aget_space(attribute) }, close: H5Sclose,
            orThrow: { attributeFailure(.library, name, "cannot read dataspace") }
        ) { space in try dataspaceShape(space, file: filePath, object: path) }
        return try withTemporary(
            { H5Aget_type(attribute) }, close: H5Tclose,
            orThrow: { attributeFailure(.library, name, "cannot read datatype") }
        ) { fileType -> HDF5AttributeValue in
            let type = HDF5ElementType(typeID: fileType)
            guard let shape else { return .unsupported(type: "\(type) (null dataspace)", shape: []) }
            guard let count = checkedElementCount(shape) else {
                throw HDF5Error(.shapeMismatch, file: filePath, object: path, message: "invalid shape \(shape)")
            }
            try checkStoredSize(attribute, fileType: fileType, count: count, name: name)
            switch type {
            case .string(let kind):
                guard shape.count <= 1 else { return .unsupported(type: type.description, shape: shape) }
                let strings = try readStrings(attribute, fileType: fileType, kind: kind, count: count, name: name)
                return shape.isEmpty ? .string(strings.first ?? "", kind) : .strings(strings, kind)
            case .float32: return .float32s(try readNumbers(attribute, count: count, name: name), shape: shape)
            case .float64: return .float64s(try readNumbers(attribute, count: count, name: name), shape: shape)
            case .int32: return .int32s(try readNumbers(attribute, count: count, name: name), shape: shape)
            case .int64: return .int64s(try readNumbers(attribute, count: count, name: name), shape: shape)
            case .uint8: return .uint8s(try readNumbers(attribute, count: count, name: name), shape: shape)
            case .other:
                // Other integer and float widths convert through HDF5 to int64 / float64.
                switch H5Tget_class(fileType) {
                case H5T_INTEGER: return .int64s(try readNumbers(attribute, count: count, name: name), shape: shape)
                case H5T_FLOAT: return .float64s(try readNumbers(attribute, count: count, name: name), shape: shape)
                default: return .unsupported(type: type.description, shape: shape)
                }
            }
        }
    }

    /// Refuses an attribute whose declared values need more bytes than its whole file holds, before anything is
    /// allocated or read for them: `count` × the element's size as stored, which for variable-length data is the
    /// global-heap ID each element is in the file (4 + the file's address size + 4 bytes), not the data's own
    /// size. libhdf5 1.10.8 already bounds `count` × the type's declared size by the attribute's message when it
    /// opens the attribute; a variable-length type that declares 1 byte passes that and would have `H5Aread`
    /// read heap IDs far past the message (`Fixtures/hostile/attribute_count.h5`).
    private func checkStoredSize(_ attribute: hid_t, fileType: hid_t, count: Int, name: String) throws {
        try withTemporary(
            { H5Iget_file_id(attribute) }, close: H5Fclose,
            orThrow: { attributeFailure(.library, name, "cannot find the attribute's file") }
        ) { file in
            var fileSize: hsize_t = 0
            guard H5Fget_filesize(file, &fileSize) >= 0 else {
                throw attributeFailure(.library, name, "cannot get the file's size")
            }
            var elementSize = H5Tget_size(fileType)
            if H5Tget_class(fileType) == H5T_VLEN || H5Tis_variable_str(fileType) > 0 {
                elementSize = try withTemporary(
                    { H5Fget_create_plist(file) }, close: H5Pclose,
                    orThrow: { attributeFailure(.library, name, "cannot read the file's address size") }
                ) { plist in
                    var addressSize = 0
                    var lengthSize = 0
                    guard H5Pget_sizes(plist, &addressSize, &lengthSize) >= 0 else {
                        throw attributeFailure(.library, name, "cannot read the file's address size")
                    }
                    return 4 + addressSize + 4
                }
            }
            try checkDeclaredBytes(
                "\(count) values", count: count, of: elementSize, within: Int(clamping: fileSize),
                present: "the file holds only \(fileSize) bytes", file: filePath, object: attributePath(name))
        }
    }

    private func readNumbers<T: HDF5Scalar>(_ attribute: hid_t, count: Int, name: String) throws -> [T] {
        guard let memType = T.hdf5ElementType.nativeTypeID else { return [] }
        var values = [T](hdf5Zeros: count)
        guard count > 0 else { return values }
        let status = values.withUnsafeMutableBytes { H5Aread(attribute, memType, $0.baseAddress) }
        guard status >= 0 else { throw attributeFailure(.library, name, "cannot read attribute") }
        return values
    }

    /// Reads `count` strings with a native memory type of the same length kind and character set.
    private func readStrings(
        _ attribute: hid_t, fileType: hid_t, kind: HDF5StringKind, count: Int, name: String
    ) throws -> [String] {
        try withStringType(
            kind.isVariable ? .variable : kind.length, padding: .nullPadded,
            encoding: kind.encoding, name: name
        ) { memType in
            guard count > 0 else { return [] }
            if kind.isVariable {
                var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
                let status = pointers.withUnsafeMutableBytes { H5Aread(attribute, memType, $0.baseAddress) }
                // HDF5 allocated each string: free them whatever happens next.
                defer { for pointer in pointers where pointer != nil { _ = H5free_memory(pointer) } }
                guard status >= 0 else { throw attributeFailure(.library, name, "cannot read strings") }
                return pointers.map { $0.map { String(cString: $0) } ?? "" }
            }
            // Buffer sized from the memory type × number of points (never from the storage size).
            let size = H5Tget_size(memType)
            guard size > 0 else { throw attributeFailure(.library, name, "cannot read string size") }
            let (byteCount, overflow) = size.multipliedReportingOverflow(by: count)
            guard !overflow else { throw attributeFailure(.shapeMismatch, name, "attribute too large") }
            var bytes = [UInt8](repeating: 0, count: byteCount)
            let status = bytes.withUnsafeMutableBytes { H5Aread(attribute, memType, $0.baseAddress) }
            guard status >= 0 else { throw attributeFailure(.library, name, "cannot read strings") }
            return (0..<count).map { index in
                decodeFixed(bytes[(index * size)..<((index + 1) * size)], padding: kind.padding)
            }
        }
    }

    // MARK: - Writing (caller holds the lock)

    /// Refuses values that cannot be stored exactly: unsupported types, counts that do not fill the shape,
    /// strings with NUL characters or longer than their fixed size.
    private func validateForWriting(_ value: HDF5AttributeValue, name: String) throws {
        func invalid(_ kind: HDF5Error.Kind, _ message: String) -> HDF5Error {
            HDF5Error(kind, file: filePath, object: attributePath(name), message: message)
        }
        let strings: [String]
        let kind: HDF5StringKind
        switch value {
        case .unsupported(let type, _):
            throw invalid(.unsupported, "cannot write an attribute of type \(type)")
        case .float32s, .float64s, .int32s, .int64s, .uint8s:
            guard checkedElementCount(value.shape) == value.valueCount else {
                throw invalid(.shapeMismatch, "\(value.valueCount) values do not fill shape \(value.shape)")
            }
            return
        case .string(let string, let stringKind): (strings, kind) = ([string], stringKind)
        case .strings(let values, let stringKind): (strings, kind) = (values, stringKind)
        }
        if strings.contains(where: { $0.utf8.contains(0) }) {
            throw invalid(.invalidArgument, "strings written to HDF5 cannot contain NUL characters")
        }
        if case .fixed(let size) = kind.length {
            guard size > 0 else { throw invalid(.invalidArgument, "a fixed-length string needs at least 1 byte") }
            if let long = strings.firstIndex(where: { $0.utf8.count > size }) {
                throw invalid(
                    .invalidArgument,
                    "string #\(long) has \(strings[long].utf8.count) bytes, more than the fixed size \(size)")
            }
        }
    }

    private func writeNumbers<T: HDF5Scalar>(_ values: [T], shape: [Int], name: String) throws {
        guard let fileType = T.hdf5ElementType.fileTypeID, let memType = T.hdf5ElementType.nativeTypeID else {
            throw HDF5Error(.unsupported, file: filePath, object: attributePath(name), message: "unsupported type")
        }
        try createAndWrite(name: name, type: fileType, shape: shape, byteCount: values.count * MemoryLayout<T>.stride) {
            attribute in
            values.withUnsafeBytes { H5Awrite(attribute, memType, $0.baseAddress) }
        }
    }

    private func writeStrings(_ strings: [String], kind: HDF5StringKind, shape: [Int], name: String) throws {
        let encoded = strings.map { Array($0.utf8) }
        try withStringType(kind.length, padding: kind.padding, encoding: kind.encoding, name: name) { type in
            switch kind.length {
            case .variable:
                // One buffer of NUL-terminated strings, and an array of pointers into it.
                var storage: [CChar] = []
                var offsets: [Int] = []
                for bytes in encoded {
                    offsets.append(storage.count)
                    storage.append(contentsOf: bytes.map { CChar(bitPattern: $0) })
                    storage.append(0)
                }
                let byteCount = storage.count
                storage.append(0)  // never empty, so the buffer always has a base address
                try storage.withUnsafeMutableBufferPointer { buffer in
                    guard let base = buffer.baseAddress else { return }
                    let pointers: [UnsafeMutablePointer<CChar>?] = offsets.map { base + $0 }
                    try createAndWrite(name: name, type: type, shape: shape, byteCount: byteCount) { attribute in
                        pointers.withUnsafeBytes { H5Awrite(attribute, type, $0.baseAddress) }
                    }
                }
            case .fixed(let size):
                let fill: UInt8 = kind.padding == .spacePadded ? 0x20 : 0
                var bytes = [UInt8](repeating: fill, count: size * encoded.count)
                for (index, string) in encoded.enumerated() {
                    bytes.replaceSubrange((index * size)..<(index * size + string.count), with: string)
                }
                try createAndWrite(name: name, type: type, shape: shape, byteCount: bytes.count) { attribute in
                    bytes.withUnsafeBytes { H5Awrite(attribute, type, $0.baseAddress) }
                }
            }
        }
    }

    /// Creates the attribute with `type` and `shape` and runs `write` on it (skipped for zero elements).
    private func createAndWrite(
        name: String, type: hid_t, shape: [Int], byteCount: Int, _ write: (hid_t) -> herr_t
    ) throws {
        let id = try openID()
        try makeDataspace(shape: shape, file: filePath, object: attributePath(name)) { space in
            let attribute = H5Acreate2(id, name, type, space, hid_t(neatms_h5p_default()), hid_t(neatms_h5p_default()))
            guard attribute >= 0 else {
                let hint =
                    byteCount > kerasAttributeSizeLimit
                    ? " (\(byteCount) bytes is over the 64 KiB object-header limit; split it with writeSplitStringList)"
                    : ""
                throw attributeFailure(.library, name, "cannot create attribute" + hint)
            }
            defer { _ = H5Aclose(attribute) }
            if checkedElementCount(shape) ?? 0 > 0, write(attribute) < 0 {
                throw attributeFailure(.library, name, "cannot write attribute")
            }
        }
    }

    /// A string datatype (copied from `H5T_C_S1`) for the duration of `body`.
    private func withStringType<T>(
        _ length: HDF5StringKind.Length, padding: HDF5StringKind.Padding, encoding: HDF5StringKind.Encoding,
        name: String, _ body: (hid_t) throws -> T
    ) throws -> T {
        try withTemporary(
            { H5Tcopy(neatms_h5t_c_s1()) }, close: H5Tclose,
            orThrow: { attributeFailure(.library, name, "cannot create string type") }
        ) { type in
            let size: Int
            switch length {
            case .variable: size = neatms_h5t_variable()
            case .fixed(let bytes):
                guard bytes > 0 else {
                    throw HDF5Error(
                        .invalidArgument, file: filePath, object: attributePath(name),
                        message: "a fixed-length string needs at least 1 byte")
                }
                size = bytes
            }
            let pad: H5T_str_t
            switch padding {
            case .nullTerminated: pad = H5T_STR_NULLTERM
            case .nullPadded: pad = H5T_STR_NULLPAD
            case .spacePadded: pad = H5T_STR_SPACEPAD
            }
            guard H5Tset_size(type, size) >= 0, H5Tset_strpad(type, pad) >= 0,
                H5Tset_cset(type, encoding == .utf8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII) >= 0
            else { throw attributeFailure(.library, name, "cannot set up string type") }
            return try body(type)
        }
    }

    // MARK: - Naming

    /// `<object>@<attribute>` for error messages.
    func attributePath(_ name: String) -> String { "\(self.name)@\(name)" }

    func attributeFailure(_ kind: HDF5Error.Kind, _ name: String, _ message: String) -> HDF5Error {
        currentError(kind, file: filePath, object: attributePath(name), message: message)
    }
}

/// Decodes one fixed-length field: NULLTERM stops at the first NUL, NULLPAD drops trailing NULs,
/// SPACEPAD drops trailing spaces (and NULs). Bytes are decoded as UTF-8 (invalid bytes become U+FFFD).
func decodeFixed(_ field: ArraySlice<UInt8>, padding: HDF5StringKind.Padding) -> String {
    var bytes = field
    switch padding {
    case .nullTerminated:
        if let end = bytes.firstIndex(of: 0) { bytes = bytes[..<end] }
    case .nullPadded:
        while bytes.last == 0 { bytes.removeLast() }
    case .spacePadded:
        while bytes.last == 0x20 || bytes.last == 0 { bytes.removeLast() }
    }
    return String(decoding: bytes, as: UTF8.self)
}
