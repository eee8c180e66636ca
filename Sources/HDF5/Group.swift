import CHDF5

/// A group: a folder of links to groups and datasets. Paths may be nested (`"a/b/c"`), absolute (`"/a"`),
/// and link names may contain `:` (`"kernel:0"`).
public final class HDF5Group: HDF5Object, @unchecked Sendable {
    /// Opens the group at `path` below this one. Throws `.notFound` if absent and `.typeMismatch` if the
    /// path is a dataset, a soft or an external link (links are not followed, as Keras's `safe_get_h5_group`).
    public func group(_ path: String) throws -> HDF5Group {
        try HDF5Library.synchronized {
            try requireKind(.group, at: path)
            let id = H5Gopen2(try openID(), path, hid_t(neatms_h5p_default()))
            guard id >= 0 else { throw failure(.library, path, "cannot open group") }
            return HDF5Group(handle: HDF5Handle(id) { H5Gclose($0) }, filePath: filePath, name: fullPath(of: path))
        }
    }

    /// Creates the group at `path`, with any missing intermediate groups; returns it if it already exists.
    /// Throws `.typeMismatch` if `path` exists as something else.
    @discardableResult
    public func createGroup(_ path: String) throws -> HDF5Group {
        try HDF5Library.synchronized {
            if let existing = try kind(of: path) {
                guard existing == .group else {
                    throw HDF5Error(
                        .typeMismatch, file: filePath, object: fullPath(of: path),
                        message: "cannot create group: a \(existing) with this name exists")
                }
                return try group(path)
            }
            let parent = try openID()
            let id = try withLinkCreationList { lcpl in
                let id = H5Gcreate2(parent, path, lcpl, hid_t(neatms_h5p_default()), hid_t(neatms_h5p_default()))
                // Capture the error stack before closing the property list (any API call clears it).
                guard id >= 0 else { throw failure(.library, path, "cannot create group") }
                return id
            }
            return HDF5Group(handle: HDF5Handle(id) { H5Gclose($0) }, filePath: filePath, name: fullPath(of: path))
        }
    }

    /// The links in this group, in HDF5's order (by name, as h5py lists them), each with what it points to.
    public func children() throws -> [(name: String, kind: HDF5ObjectKind)] {
        try HDF5Library.synchronized {
            let id = try openID()
            var info = H5G_info_t()
            guard H5Gget_info(id, &info) >= 0 else { throw failure(.library, nil, "cannot list group") }
            var result: [(name: String, kind: HDF5ObjectKind)] = []
            for index in 0..<info.nlinks {
                let name = try linkName(at: index, in: id)
                result.append((name, try linkKind(name, in: id)))
            }
            return result
        }
    }

    /// True when a link exists at `path` (every component of a nested path is checked in turn).
    public func contains(_ path: String) -> Bool {
        (try? kind(of: path)) != nil
    }

    /// What `path` points to, or nil when there is no such link. Soft and external links are reported as
    /// such, not followed.
    public func kind(of path: String) throws -> HDF5ObjectKind? {
        try HDF5Library.synchronized {
            let id = try openID()
            let components = path.split(separator: "/", omittingEmptySubsequences: true)
            if components.isEmpty || components == ["."] { return .group }
            var prefix = path.hasPrefix("/") ? "/" : ""
            for (index, component) in components.enumerated() {
                prefix += (index == 0 ? "" : "/") + component
                // H5Lexists fails (negative) when an intermediate component is not a group: treat as absent.
                guard H5Lexists(id, prefix, hid_t(neatms_h5p_default())) > 0 else {
                    _ = captureErrorStack()
                    return nil
                }
            }
            return try linkKind(path, in: id)
        }
    }

    /// Opens the dataset at `path`. Throws `.notFound` if absent, `.typeMismatch` if it is not a dataset.
    public func dataset(_ path: String) throws -> HDF5Dataset {
        try HDF5Library.synchronized {
            try requireKind(.dataset, at: path)
            let id = H5Dopen2(try openID(), path, hid_t(neatms_h5p_default()))
            guard id >= 0 else { throw failure(.library, path, "cannot open dataset") }
            return try HDF5Dataset(
                opening: HDF5Handle(id) { H5Dclose($0) }, filePath: filePath, name: fullPath(of: path))
        }
    }

    /// Creates a dataset of a numeric element type, with missing intermediate groups
    /// (Keras weight names such as `"dense_1/kernel:0"` are paths).
    ///
    /// The layout is contiguous (what h5py and Keras write) unless `chunks` is given; `gzipLevel` (0–9)
    /// adds deflate compression and needs `chunks`. Data reads as zeros until written.
    @discardableResult
    public func createDataset(
        _ path: String, type: HDF5ElementType, shape: [Int], chunks: [Int]? = nil, gzipLevel: Int? = nil
    ) throws -> HDF5Dataset {
        try HDF5Library.synchronized {
            guard let fileType = type.fileTypeID else {
                throw HDF5Error(
                    .unsupported, file: filePath, object: fullPath(of: path),
                    message: "cannot create a dataset of element type \(type)")
            }
            guard shape.allSatisfy({ $0 >= 0 }) else {
                throw HDF5Error(
                    .shapeMismatch, file: filePath, object: fullPath(of: path),
                    message: "negative dimension in \(shape)")
            }
            if let existing = try kind(of: path) {
                throw HDF5Error(
                    .alreadyExists, file: filePath, object: fullPath(of: path),
                    message: "cannot create dataset: a \(existing) with this name exists")
            }
            let parent = try openID()
            let id = try withDataspace(shape: shape, object: path) { space in
                try withDatasetCreationList(path: path, shape: shape, chunks: chunks, gzipLevel: gzipLevel) { dcpl in
                    try withLinkCreationList { lcpl in
                        let id = H5Dcreate2(parent, path, fileType, space, lcpl, dcpl, hid_t(neatms_h5p_default()))
                        guard id >= 0 else { throw failure(.library, path, "cannot create dataset") }
                        return id
                    }
                }
            }
            return try HDF5Dataset(
                opening: HDF5Handle(id) { H5Dclose($0) }, filePath: filePath, name: fullPath(of: path))
        }
    }

    /// Creates a dataset of `T`'s element type with `shape` and writes `values` (row-major) into it.
    @discardableResult
    public func writeDataset<T: HDF5Scalar>(
        _ path: String, shape: [Int], values: [T], chunks: [Int]? = nil, gzipLevel: Int? = nil
    ) throws -> HDF5Dataset {
        try HDF5Library.synchronized {
            guard let expected = checkedElementCount(shape), values.count == expected else {
                throw HDF5Error(
                    .shapeMismatch, file: filePath, object: fullPath(of: path),
                    message: "\(values.count) values do not fill shape \(shape)")
            }
            let dataset = try createDataset(
                path, type: T.hdf5ElementType, shape: shape, chunks: chunks, gzipLevel: gzipLevel)
            try dataset.write(values)
            return dataset
        }
    }

    /// Removes the link `name` (a path below this group). The space is not reclaimed in the file.
    public func deleteLink(_ name: String) throws {
        try HDF5Library.synchronized {
            guard try kind(of: name) != nil else {
                throw HDF5Error(.notFound, file: filePath, object: fullPath(of: name), message: "no such link")
            }
            guard H5Ldelete(try openID(), name, hid_t(neatms_h5p_default())) >= 0 else {
                throw failure(.library, name, "cannot delete link")
            }
        }
    }

    // MARK: - Helpers (caller holds the lock)

    private func requireKind(_ wanted: HDF5ObjectKind, at path: String) throws {
        guard let found = try kind(of: path) else {
            throw HDF5Error(.notFound, file: filePath, object: fullPath(of: path), message: "no such \(wanted)")
        }
        guard found == wanted else {
            throw HDF5Error(
                .typeMismatch, file: filePath, object: fullPath(of: path),
                message: "is \(found == .externalLink ? "an" : "a") \(found), not a \(wanted)"
                    + (found == .softLink || found == .externalLink ? " (links are not followed)" : ""))
        }
    }

    private func linkName(at index: hsize_t, in id: hid_t) throws -> String {
        let length = H5Lget_name_by_idx(
            id, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, hid_t(neatms_h5p_default()))
        guard length >= 0 else { throw failure(.library, nil, "cannot read link name #\(index)") }
        var buffer = [CChar](repeating: 0, count: Int(length) + 1)
        guard
            H5Lget_name_by_idx(
                id, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count, hid_t(neatms_h5p_default())) >= 0
        else { throw failure(.library, nil, "cannot read link name #\(index)") }
        return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The kind of an existing link (soft/external links are not followed).
    private func linkKind(_ path: String, in id: hid_t) throws -> HDF5ObjectKind {
        let linkType = neatms_h5l_link_type(id, path)
        guard linkType >= 0 else { throw failure(.library, path, "cannot read link information") }
        switch H5L_type_t(rawValue: linkType) {
        case H5L_TYPE_HARD: break
        case H5L_TYPE_SOFT: return .softLink
        case H5L_TYPE_EXTERNAL: return .externalLink
        default: return .other
        }
        let object = H5Oopen(id, path, hid_t(neatms_h5p_default()))
        guard object >= 0 else { throw failure(.library, path, "cannot open object") }
        defer { _ = H5Oclose(object) }
        switch H5Iget_type(object) {
        case H5I_GROUP: return .group
        case H5I_DATASET: return .dataset
        case H5I_DATATYPE: return .namedDatatype
        default: return .other
        }
    }

    /// A link-creation property list that creates missing intermediate groups.
    private func withLinkCreationList<T>(_ body: (hid_t) throws -> T) throws -> T {
        try withTemporary(
            { H5Pcreate(neatms_h5p_link_create()) }, close: H5Pclose,
            orThrow: { failure(.library, nil, "cannot create link property list") }
        ) { lcpl in
            guard H5Pset_create_intermediate_group(lcpl, 1) >= 0 else {
                throw failure(.library, nil, "cannot set intermediate group creation")
            }
            return try body(lcpl)
        }
    }

    private func withDatasetCreationList<T>(
        path: String, shape: [Int], chunks: [Int]?, gzipLevel: Int?, _ body: (hid_t) throws -> T
    ) throws -> T {
        guard let chunks else {
            guard gzipLevel == nil else {
                throw HDF5Error(
                    .invalidArgument, file: filePath, object: fullPath(of: path), message: "gzip needs chunks")
            }
            return try body(hid_t(neatms_h5p_default()))
        }
        guard chunks.count == shape.count, !shape.isEmpty, chunks.allSatisfy({ $0 > 0 }) else {
            throw HDF5Error(
                .invalidArgument, file: filePath, object: fullPath(of: path),
                message: "chunks \(chunks) do not fit shape \(shape) (one positive size per dimension)")
        }
        if let gzipLevel, !(0...9).contains(gzipLevel) {
            throw HDF5Error(
                .invalidArgument, file: filePath, object: fullPath(of: path),
                message: "gzip level \(gzipLevel) is not in 0...9")
        }
        return try withTemporary(
            { H5Pcreate(neatms_h5p_dataset_create()) }, close: H5Pclose,
            orThrow: { failure(.library, path, "cannot create dataset property list") }
        ) { dcpl in
            let dims = chunks.map { hsize_t($0) }
            guard H5Pset_chunk(dcpl, Int32(dims.count), dims) >= 0 else {
                throw failure(.invalidArgument, path, "cannot set chunks \(chunks)")
            }
            if let gzipLevel, H5Pset_deflate(dcpl, UInt32(gzipLevel)) < 0 {
                throw failure(.library, path, "cannot set gzip compression")
            }
            return try body(dcpl)
        }
    }

    /// A simple dataspace of `shape` (`[]` = scalar).
    func withDataspace<T>(shape: [Int], object: String?, _ body: (hid_t) throws -> T) throws -> T {
        try makeDataspace(shape: shape, file: filePath, object: object.map(fullPath(of:)) ?? name, body)
    }
}

/// Creates a dataspace of `shape` (`[]` = scalar), runs `body` with it and closes it. Caller holds the lock.
func makeDataspace<T>(shape: [Int], file: String, object: String, _ body: (hid_t) throws -> T) throws -> T {
    guard checkedElementCount(shape) != nil else {
        throw HDF5Error(.shapeMismatch, file: file, object: object, message: "invalid shape \(shape)")
    }
    return try withTemporary(
        {
            if shape.isEmpty { return H5Screate(H5S_SCALAR) }
            let dims = shape.map { hsize_t($0) }
            return H5Screate_simple(Int32(dims.count), dims, nil)
        }, close: H5Sclose,
        orThrow: { currentError(.library, file: file, object: object, message: "cannot create dataspace \(shape)") },
        body)
}
