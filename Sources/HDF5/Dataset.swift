import CHDF5

/// A dataset: an n-dimensional array of one element type, read and written row-major.
///
/// Reads convert from the stored type to the requested Swift type with HDF5's own conversion
/// (float64 data can be read as `Float`, an int64 scalar as `Int`).
public final class HDF5Dataset: HDF5Object, @unchecked Sendable {
    /// The dimensions (`[]` for a scalar dataset such as Keras's `iteration:0`).
    public let shape: [Int]
    /// The stored element type.
    public let elementType: HDF5ElementType
    /// True when the dataset is chunked (false for contiguous and compact layouts).
    public let isChunked: Bool

    init(opening handle: HDF5Handle, filePath: String, name: String) throws {
        let info = try HDF5Library.synchronized { () throws -> ([Int], HDF5ElementType, Bool, Int) in
            guard let id = handle.id else {
                throw HDF5Error(.closed, file: filePath, object: name, message: "dataset is closed")
            }
            let shape = try withTemporary(
                { H5Dget_space(id) }, close: H5Sclose,
                orThrow: { currentError(.library, file: filePath, object: name, message: "cannot read dataspace") }
            ) { space in try dataspaceShape(space, file: filePath, object: name) }
            let type = try withTemporary(
                { H5Dget_type(id) }, close: H5Tclose,
                orThrow: { currentError(.library, file: filePath, object: name, message: "cannot read datatype") }
            ) { HDF5ElementType(typeID: $0) }
            let chunked = try withTemporary(
                { H5Dget_create_plist(id) }, close: H5Pclose,
                orThrow: { currentError(.library, file: filePath, object: name, message: "cannot read layout") }
            ) { dcpl -> Bool in
                try Self.checkStorage(dcpl, file: filePath, object: name)
                return H5Pget_layout(dcpl) == H5D_CHUNKED
            }
            let fileElementSize = try withTemporary(
                { H5Dget_type(id) }, close: H5Tclose,
                orThrow: { currentError(.library, file: filePath, object: name, message: "cannot read datatype") }
            ) { type -> Int in
                try Self.checkNumberType(type, file: filePath, object: name)
                return H5Tget_size(type)
            }
            return (shape ?? [], type, chunked, Int(fileElementSize))
        }
        (shape, elementType, isChunked, fileElementSize) = info
        guard let count = checkedElementCount(shape) else {
            throw HDF5Error(.shapeMismatch, file: filePath, object: name, message: "invalid shape \(shape)")
        }
        elementCount = count
        super.init(handle: handle, filePath: filePath, name: name)
    }

    /// The number of elements (1 for a scalar).
    public let elementCount: Int
    /// Bytes of one element as stored.
    let fileElementSize: Int

    /// The filters HDF5 ships (deflate, shuffle, fletcher32, szip, nbit, scale-offset); any other id is a
    /// plugin that would be loaded from disk to read the data.
    static let builtInFilters: Set<Int32> = [1, 2, 3, 4, 5, 6]
    /// Reads that allocate up to this many bytes are never questioned.
    static let unguardedBytes = 4 << 20
    /// The largest in-memory/stored size ratio accepted for compressed data (deflate tops out near 1032:1).
    static let maximumCompressionRatio = 1100

    /// Refuses storage that reaches outside the file or into code: virtual and external datasets, and
    /// filters that are not HDF5's own. Caller holds the lock.
    private static func checkStorage(_ dcpl: hid_t, file: String, object: String) throws {
        if H5Pget_layout(dcpl) == H5D_VIRTUAL {
            throw HDF5Error(
                .unsupported, file: file, object: object,
                message: "virtual dataset (data mapped from other datasets or files) refused")
        }
        if H5Pget_external_count(dcpl) > 0 {
            throw HDF5Error(
                .unsupported, file: file, object: object,
                message: "external dataset (data stored in other files) refused")
        }
        let filters = H5Pget_nfilters(dcpl)
        guard filters >= 0 else {
            throw currentError(.library, file: file, object: object, message: "cannot read filters")
        }
        for index in 0..<UInt32(filters) {
            var flags: UInt32 = 0
            var count = 0
            var config: UInt32 = 0
            let filter = H5Pget_filter2(dcpl, index, &flags, &count, nil, 0, nil, &config)
            guard filter >= 0 else {
                throw currentError(.library, file: file, object: object, message: "cannot read filter #\(index)")
            }
            guard builtInFilters.contains(filter) else {
                throw HDF5Error(
                    .unsupported, file: file, object: object,
                    message: "filter \(filter) is not one of HDF5's built-in filters (user-defined filters are refused)"
                )
            }
        }
    }

    /// Refuses number types whose bit layout is impossible (precision 0, bits outside the element, float
    /// fields outside the precision): libhdf5 1.10's conversion routines read out of bounds on them (a
    /// zero-precision int64 read as float64 crashes it with SIGBUS). Caller holds the lock.
    private static func checkNumberType(_ type: hid_t, file: String, object: String) throws {
        let typeClass = H5Tget_class(type)
        guard typeClass == H5T_INTEGER || typeClass == H5T_FLOAT else { return }
        let size = H5Tget_size(type)
        let precision = H5Tget_precision(type)
        let offset = H5Tget_offset(type)
        var valid =
            [1, 2, 4, 8].contains(size) && precision >= 1 && offset >= 0
            && Int(offset) + precision <= 8 * size
        if valid, typeClass == H5T_FLOAT {
            var spos = 0
            var epos = 0
            var esize = 0
            var mpos = 0
            var msize = 0
            valid =
                H5Tget_fields(type, &spos, &epos, &esize, &mpos, &msize) >= 0
                && esize >= 1 && msize >= 1 && spos < precision && epos + esize <= precision
                && mpos + msize <= precision && esize <= 32
        }
        guard valid else {
            throw HDF5Error(
                .corrupt, file: file, object: object,
                message:
                    "impossible number type (\(size) bytes, \(precision) bits of precision at bit \(offset)): damaged or crafted file"
            )
        }
    }

    /// Refuses a read that would allocate far more than the file holds for this dataset (a "shape bomb"):
    /// above `unguardedBytes`, a contiguous dataset must store every byte it declares and a chunked one at
    /// least 1/`maximumCompressionRatio` of them. Caller holds the lock.
    func checkDeclaredSize(reading count: Int, as elementSize: Int) throws {
        let (allocation, overflow) = count.multipliedReportingOverflow(by: elementSize)
        guard overflow || allocation > Self.unguardedBytes else { return }
        let stored = storedByteCount
        let ratio = isChunked ? Self.maximumCompressionRatio : 1
        try checkDeclaredBytes(
            "\(shape) elements", count: elementCount, of: fileElementSize, within: stored, ratio: ratio,
            present: "the file stores \(stored) bytes for it"
                + (isChunked ? " (more than \(ratio):1 compression is refused)" : ""),
            file: filePath, object: name, alwaysRefuse: overflow)
    }
    /// Bytes the data occupies in the file (`H5Dget_storage_size`; 0 when never written). With `shape` and
    /// `elementType`, lets a caller refuse a "shape bomb" before reading.
    public var storedByteCount: Int {
        HDF5Library.synchronized { handle.id.map { Int(clamping: H5Dget_storage_size($0)) } ?? 0 }
    }

    /// Reads the whole dataset, converted to `T`.
    public func read<T: HDF5Scalar>(as type: T.Type = T.self) throws -> [T] {
        try transfer(T.self, selection: nil) { dataset, memType, memSpace, fileSpace, buffer in
            H5Dread(dataset, memType, memSpace, fileSpace, hid_t(neatms_h5p_default()), buffer)
        }
    }

    /// Reads the hyperslab starting at `offset` with `count` elements along every dimension, converted to `T`.
    public func read<T: HDF5Scalar>(as type: T.Type = T.self, offset: [Int], count: [Int]) throws -> [T] {
        try transfer(T.self, selection: (offset, count)) { dataset, memType, memSpace, fileSpace, buffer in
            H5Dread(dataset, memType, memSpace, fileSpace, hid_t(neatms_h5p_default()), buffer)
        }
    }

    /// Reads the single value of a scalar (or one-element) dataset, converted to `T`.
    public func readScalar<T: HDF5Scalar>(as type: T.Type = T.self) throws -> T {
        let values = try read(as: T.self)
        guard values.count == 1, let value = values.first else {
            throw HDF5Error(
                .shapeMismatch, file: filePath, object: name, message: "expected one value, shape is \(shape)")
        }
        return value
    }

    /// Writes the whole dataset from `values` (row-major; the count must equal `elementCount`).
    public func write<T: HDF5Scalar>(_ values: [T]) throws {
        var values = values
        try transfer(T.self, selection: nil, values: &values) { dataset, memType, memSpace, fileSpace, buffer in
            H5Dwrite(dataset, memType, memSpace, fileSpace, hid_t(neatms_h5p_default()), buffer)
        }
    }

    /// Writes `values` into the hyperslab starting at `offset` with `count` elements along every dimension.
    public func write<T: HDF5Scalar>(_ values: [T], offset: [Int], count: [Int]) throws {
        var values = values
        try transfer(T.self, selection: (offset, count), values: &values) {
            dataset, memType, memSpace, fileSpace, buffer in
            H5Dwrite(dataset, memType, memSpace, fileSpace, hid_t(neatms_h5p_default()), buffer)
        }
    }

    // MARK: - One transfer path for reads and writes

    private typealias Transfer = (hid_t, hid_t, hid_t, hid_t, UnsafeMutableRawPointer) -> herr_t

    /// Reads into a new array.
    private func transfer<T: HDF5Scalar>(
        _ type: T.Type, selection: (offset: [Int], count: [Int])?, _ call: Transfer
    ) throws -> [T] {
        let count = try selectionCount(selection)
        try HDF5Library.synchronized { try checkDeclaredSize(reading: count, as: MemoryLayout<T>.stride) }
        var values = [T](hdf5Zeros: count)
        try transfer(T.self, selection: selection, values: &values, call)
        return values
    }

    /// Selects the whole dataset or a hyperslab and runs `call(dataset, memType, memSpace, fileSpace, buffer)`.
    private func transfer<T: HDF5Scalar>(
        _ type: T.Type, selection: (offset: [Int], count: [Int])?, values: inout [T], _ call: Transfer
    ) throws {
        try HDF5Library.synchronized {
            let id = try openID()
            let count = try selectionCount(selection)
            guard values.count == count else {
                throw HDF5Error(
                    .shapeMismatch, file: filePath, object: name,
                    message: "\(values.count) values for a selection of \(count) elements")
            }
            guard let memType = T.hdf5ElementType.nativeTypeID, H5Tget_size(memType) == MemoryLayout<T>.stride
            else {
                throw HDF5Error(
                    .unsupported, file: filePath, object: name, message: "\(T.self) has no native HDF5 layout")
            }
            guard count > 0 else { return }
            let memShape = selection?.count ?? shape
            try makeDataspace(shape: memShape, file: filePath, object: name) { memSpace in
                try withTemporary(
                    { H5Dget_space(id) }, close: H5Sclose,
                    orThrow: { failure(.library, nil, "cannot read dataspace") }
                ) { fileSpace in
                    if let selection, !shape.isEmpty {
                        let start = selection.offset.map { hsize_t($0) }
                        let counts = selection.count.map { hsize_t($0) }
                        guard H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, start, nil, counts, nil) >= 0 else {
                            throw failure(.shapeMismatch, nil, "cannot select hyperslab")
                        }
                    }
                    let status = values.withUnsafeMutableBytes { bytes -> herr_t in
                        guard let base = bytes.baseAddress else { return -1 }
                        return call(id, memType, memSpace, fileSpace, base)
                    }
                    guard status >= 0 else {
                        throw failure(
                            .library, nil, "cannot transfer \(T.hdf5ElementType) data (stored as \(elementType))")
                    }
                }
            }
        }
    }

    /// The element count of a selection after checking it against `shape`.
    private func selectionCount(_ selection: (offset: [Int], count: [Int])?) throws -> Int {
        guard let selection else { return elementCount }
        guard selection.offset.count == shape.count, selection.count.count == shape.count else {
            throw HDF5Error(
                .shapeMismatch, file: filePath, object: name,
                message: "ndim mismatch: dataset has \(shape.count) dimensions, "
                    + "offset \(selection.offset) and count \(selection.count)")
        }
        for (dim, extent) in shape.enumerated() {
            let start = selection.offset[dim]
            let length = selection.count[dim]
            guard start >= 0, length >= 0, start <= extent, length <= extent - start else {
                throw HDF5Error(
                    .shapeMismatch, file: filePath, object: name,
                    message: "selection offset \(selection.offset) count \(selection.count) is outside shape \(shape)")
            }
        }
        return checkedElementCount(selection.count) ?? 0  // each count is within a valid shape: no overflow
    }
}

/// The shape of a dataspace: `[]` for scalar, nil for a null dataspace. Caller holds the lock.
func dataspaceShape(_ space: hid_t, file: String, object: String) throws -> [Int]? {
    switch H5Sget_simple_extent_type(space) {
    case H5S_SCALAR: return []
    case H5S_NULL: return nil
    default:
        let rank = H5Sget_simple_extent_ndims(space)
        guard rank >= 0 else {
            throw currentError(.library, file: file, object: object, message: "cannot read dataspace rank")
        }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        guard H5Sget_simple_extent_dims(space, &dims, nil) >= 0 else {
            throw currentError(.library, file: file, object: object, message: "cannot read dataspace dimensions")
        }
        return dims.map { Int($0) }
    }
}
