import CHDF5
import Foundation
import Support

/// An open HDF5 file.
///
/// ```swift
/// let file = try HDF5File.open(url)
/// let names = try file.root.group("model_weights").stringListAttribute("layer_names")
/// ```
/// The file id closes on `close()` or when the object is released. HDF5 keeps the file itself open until its
/// last group, dataset or attribute id is closed too.
public final class HDF5File: @unchecked Sendable {
    private let handle: HDF5Handle
    /// The path the file was opened or created with, as given (`URL.relativePath`); errors name it.
    public let path: String
    /// True when opened for writing.
    public let isWritable: Bool
    /// The root group `/`.
    public let root: HDF5Group

    private init(id: hid_t, path: String, writable: Bool) throws {
        handle = HDF5Handle(id) { H5Fclose($0) }
        self.path = path
        self.isWritable = writable
        let rootID = HDF5Library.synchronized { H5Gopen2(id, "/", hid_t(neatms_h5p_default())) }
        guard rootID >= 0 else {
            throw currentError(.corrupt, file: path, object: "/", message: "cannot open the root group")
        }
        root = HDF5Group(handle: HDF5Handle(rootID) { H5Gclose($0) }, filePath: path, name: "/")
    }

    /// Opens an existing file, read-only unless `writable`, after `HDF5Library.openCheck` (if set) passed it.
    ///
    /// Throws `.fileNotFound` for a missing file, `.notHDF5` for a file without the HDF5 signature
    /// (empty file, another format) and `.corrupt` for a damaged or truncated HDF5 file.
    public static func open(_ url: URL, writable: Bool = false) throws -> HDF5File {
        let path = url.relativePath
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw HDF5Error(.fileNotFound, file: path, message: "no such file")
        }
        guard !isDirectory.boolValue else {
            throw HDF5Error(.fileNotFound, file: path, message: "is a directory, not an HDF5 file")
        }
        try HDF5Library.openCheck?(url)
        return try HDF5Library.synchronized {
            let flags = writable ? neatms_h5f_acc_rdwr() : neatms_h5f_acc_rdonly()
            let id = ChildProcessGate.openingDescriptors {
                let id = H5Fopen(url.path, flags, hid_t(neatms_h5p_default()))
                if id >= 0 { markCloseOnExec(id) }
                return id
            }
            guard id >= 0 else { throw openFailure(url) }
            return try HDF5File(id: id, path: path, writable: writable)
        }
    }

    /// Creates a file. With `overwrite` an existing file is truncated; without it, an existing file is an
    /// `.alreadyExists` error. The layout is HDF5's default (superblock v0, old-style groups), like h5py's.
    public static func create(_ url: URL, overwrite: Bool = true) throws -> HDF5File {
        let path = url.relativePath
        if !overwrite, FileManager.default.fileExists(atPath: url.path) {
            throw HDF5Error(.alreadyExists, file: path, message: "file already exists")
        }
        return try HDF5Library.synchronized {
            let flags = overwrite ? neatms_h5f_acc_trunc() : neatms_h5f_acc_excl()
            let id = ChildProcessGate.openingDescriptors {
                let id = H5Fcreate(url.path, flags, hid_t(neatms_h5p_default()), hid_t(neatms_h5p_default()))
                if id >= 0 { markCloseOnExec(id) }
                return id
            }
            guard id >= 0 else {
                throw currentError(.library, file: path, object: nil, message: "cannot create HDF5 file")
            }
            return try HDF5File(id: id, path: path, writable: true)
        }
    }

    /// Writes buffered data to disk.
    public func flush() throws {
        try HDF5Library.synchronized {
            guard let id = handle.id else {
                throw HDF5Error(.closed, file: path, message: "file is closed")
            }
            guard H5Fflush(id, H5F_SCOPE_GLOBAL) >= 0 else {
                throw currentError(.library, file: path, object: nil, message: "cannot flush file")
            }
        }
    }

    /// Closes the root group and the file id. Groups and datasets still held elsewhere keep HDF5's file open
    /// until they are released.
    public func close() throws {
        try HDF5Library.synchronized {
            try root.close()
            guard handle.close() else {
                throw currentError(.library, file: path, object: nil, message: "cannot close file")
            }
        }
    }

    /// How many ids (this file's own id, groups, datasets, attributes, named types) are open in this file.
    public func openObjectCount() throws -> Int {
        try HDF5Library.synchronized {
            guard let id = handle.id else {
                throw HDF5Error(.closed, file: path, message: "file is closed")
            }
            let count = H5Fget_obj_count(id, neatms_h5f_obj_all())
            guard count >= 0 else {
                throw currentError(.library, file: path, object: nil, message: "cannot count open objects")
            }
            return Int(count)
        }
    }

    /// Marks the descriptor libhdf5 opened for file `id` close-on-exec (libhdf5 1.10 opens without it), so
    /// that a child process started later does not keep the file and its lock (see `ChildProcessGate`).
    /// Caller holds the library lock and the gate.
    private static func markCloseOnExec(_ id: hid_t) {
        var handle: UnsafeMutableRawPointer?
        guard H5Fget_vfd_handle(id, hid_t(neatms_h5p_default()), &handle) >= 0, let handle else { return }
        ChildProcessGate.markCloseOnExec(handle.load(as: Int32.self))
    }

    /// Classifies a failed `H5Fopen` from HDF5's error stack (caller holds the lock).
    private static func openFailure(_ url: URL) -> HDF5Error {
        let path = url.relativePath
        let frames = captureErrorStack()
        let stack = frames.map(\.text)
        let minors = Set(frames.map(\.minor))
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.intValue
        if size == 0 {
            return HDF5Error(.notHDF5, file: path, message: "not an HDF5 file (empty file)", stack: [])
        }
        if minors.contains(neatms_h5e_nothdf5()) {
            return HDF5Error(.notHDF5, file: path, message: "not an HDF5 file", stack: stack)
        }
        if minors.contains(neatms_h5e_truncated()) || minors.contains(neatms_h5e_readerror())
            || minors.contains(neatms_h5e_seekerror()) || minors.contains(neatms_h5e_badfile())
        {
            return HDF5Error(.corrupt, file: path, message: "truncated or corrupt HDF5 file", stack: stack)
        }
        return HDF5Error(.corrupt, file: path, message: "cannot open HDF5 file", stack: stack)
    }
}
