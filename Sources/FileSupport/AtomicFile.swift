import Foundation
import Support

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A file that could not be written: `<path>: <problem>` on one line.
public struct FileWriteError: LocatedError, Equatable, Sendable {
    /// The destination, as the user gave it (`URL.relativePath`).
    public var path: String
    /// What went wrong, e.g. `the folder /x does not exist`.
    public var problem: String

    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }

    /// `path`, as `LocatedError` names it.
    public var file: String? {
        get { path }
        set { path = newValue ?? "" }
    }
}

/// The one way NeatMSKit writes files: into a temporary file in the destination's folder, then one
/// `rename(2)` over the destination, so readers see either the old file or the complete new one.
public enum AtomicFile {
    /// Writes `url` atomically: checks that its folder exists, lets `body` fill a temporary file
    /// `.<name>.<uuid>.tmp` beside it, then renames that over `url`. On any error the temporary file is
    /// removed, `url` is untouched and the error is rethrown.
    /// - Throws: `FileWriteError` when the folder is missing or the rename fails; whatever `body` throws.
    public static func write(to url: URL, _ body: (URL) throws -> Void) throws {
        try checkDestination(url)
        let temporary = temporaryURL(for: url)
        do {
            try body(temporary)
            try moveIntoPlace(temporary, over: url)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }

    /// Checks that `url` can be written the atomic way: its folder exists and is writable, and `url` is
    /// not a folder. Commands call it before their work, so that a mistyped output path fails at once.
    /// - Throws: `FileWriteError` naming `url`.
    public static func checkDestination(_ url: URL) throws {
        let folder = url.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            throw FileWriteError(path: url.relativePath, problem: "the folder \(folder.relativePath) does not exist")
        }
        guard access(folder.path, W_OK | X_OK) == 0 else {
            let readOnly = errno == EROFS
            throw FileWriteError(
                path: url.relativePath,
                problem: "the folder \(folder.relativePath) is not writable"
                    + (readOnly ? " (read-only file system)" : ""))
        }
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw FileWriteError(path: url.relativePath, problem: "is a folder, not a file")
        }
    }

    /// Writes `data` to `url` atomically (see `write(to:_:)`).
    /// - Throws: `FileWriteError` for every failure, naming `url`.
    public static func write(_ data: Data, to url: URL) throws {
        try write(to: url) { temporary in
            do {
                try data.write(to: temporary)
            } catch {
                throw FileWriteError(path: url.relativePath, problem: "cannot write: \(error.localizedDescription)")
            }
        }
    }

    /// A fresh temporary path beside `url`, `.<name>.<uuid>.tmp`, for writers that fill the file over
    /// several calls; finish with `moveIntoPlace(_:over:)`, or remove it on error.
    public static func temporaryURL(for url: URL) -> URL {
        url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
    }

    /// Replaces `destination` with `temporary` in one rename (both must be in the same folder). The
    /// temporary file's data is flushed to the disk first (`fsync`, so a full disk is reported here
    /// rather than lost later) and the folder after the rename, so the new file survives a crash too.
    /// - Throws: `FileWriteError` naming `destination` when the flush or the rename fails.
    public static func moveIntoPlace(_ temporary: URL, over destination: URL) throws {
        let fd = open(temporary.path, O_RDONLY)
        guard fd >= 0, fsync(fd) == 0 else {
            let reason = String(cString: strerror(errno))
            if fd >= 0 { close(fd) }
            throw FileWriteError(path: destination.relativePath, problem: "cannot write: \(reason)")
        }
        close(fd)
        guard rename(temporary.path, destination.path) == 0 else {
            let reason = String(cString: strerror(errno))
            throw FileWriteError(
                path: destination.relativePath, problem: "cannot move the written file into place: \(reason)")
        }
        let folder = open(destination.deletingLastPathComponent().path, O_RDONLY)
        if folder >= 0 {
            _ = fsync(folder)
            close(folder)
        }
    }

    /// Removes the temporary files a killed writer of `url` left beside it (`.<name>.<uuid>.tmp`).
    /// Only for callers that know no other process is writing `url` now (e.g. a resumed training).
    public static func removeLeftovers(for url: URL) {
        let folder = url.deletingLastPathComponent()
        let prefix = ".\(url.lastPathComponent)."
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return }
        for name in names where name.hasPrefix(prefix) && name.hasSuffix(".tmp") {
            let middle = name.dropFirst(prefix.count).dropLast(4)
            guard UUID(uuidString: String(middle)) != nil else { continue }
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
    }
}
