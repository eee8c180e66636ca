import CHDF5

/// A group or dataset in an open HDF5 file: its id, its full path and the file it is in.
///
/// Attributes are read and written through this class (see `Attributes.swift`). Instances are safe to share
/// between threads: every C call is serialised by `HDF5Library`'s lock.
public class HDF5Object: @unchecked Sendable {
    let handle: HDF5Handle
    /// The path of the file on disk.
    public let filePath: String
    /// The full path of this object inside the file, e.g. `/model_weights/dense_1`.
    public let name: String

    init(handle: HDF5Handle, filePath: String, name: String) {
        self.handle = handle
        self.filePath = filePath
        self.name = name
    }

    /// Closes this object's id now (it would otherwise close when the object is released).
    public func close() throws {
        guard handle.close() else {
            throw currentError(.library, file: filePath, object: name, message: "cannot close object")
        }
    }

    /// The open id, or a `.closed` error.
    func openID() throws -> hid_t {
        guard let id = handle.id else {
            throw HDF5Error(.closed, file: filePath, object: name, message: "object is closed")
        }
        return id
    }

    /// An error about `object` (a path relative to this object, or nil for this object itself)
    /// with HDF5's current error stack.
    func failure(_ kind: HDF5Error.Kind, _ object: String? = nil, _ message: String) -> HDF5Error {
        currentError(kind, file: filePath, object: object.map(fullPath(of:)) ?? name, message: message)
    }

    /// The full path of `relative` below this object (absolute paths are returned unchanged).
    func fullPath(of relative: String) -> String {
        if relative.hasPrefix("/") { return relative }
        return name == "/" ? "/" + relative : name + "/" + relative
    }
}

/// Anything that carries attributes: groups (including a file's root group) and datasets.
public typealias HDF5AttributeOwner = HDF5Object
