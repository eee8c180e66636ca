import FileSupport
import Foundation

/// How far a download has come: bytes received and, when known, bytes expected.
public struct FetchProgress: Sendable, Equatable {
    public var received: Int
    public var expected: Int?

    public init(received: Int, expected: Int?) {
        self.received = received
        self.expected = expected
    }
}

/// A fetched (or already present) model file.
public struct FetchResult: Sendable, Equatable {
    /// The verified file.
    public var file: URL
    /// Where it came from: a URL, or a local path.
    public var source: String
    /// Its size in bytes.
    public var size: Int
    /// True when the file was already in place and verified, so nothing was downloaded.
    public var alreadyPresent: Bool
}

/// Where a model file is read from: an `http(s)` URL, or a local file (a path or a `file://` URL).
public enum ModelSource: Sendable, Equatable {
    case http(URL)
    case file(URL)

    /// Parses what a user gave as the source. A URL ending in `/`, or a local folder, is a mirror folder: the
    /// model's file name is appended.
    /// - Throws: `ModelStoreError` for a scheme other than http, https and file.
    public init(_ text: String, fileName: String) throws {
        if let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme.count > 1 {
            switch scheme {
            case "http", "https":
                self = .http(text.hasSuffix("/") ? url.appendingPathComponent(fileName) : url)
            case "file":
                self = ModelSource.local(url.path, fileName: fileName)
            default:
                throw ModelStoreError(text, "unsupported URL scheme \(scheme) (http, https and file are)")
            }
        } else {
            self = ModelSource.local(text, fileName: fileName)
        }
    }

    private static func local(_ path: String, fileName: String) -> ModelSource {
        var isDirectory: ObjCBool = false
        let url = URL(fileURLWithPath: path)
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            return .file(url.appendingPathComponent(fileName))
        }
        return .file(url)
    }

    /// The URL or path, for messages.
    public var description: String {
        switch self {
        case .http(let url): return url.absoluteString
        case .file(let url): return url.path
        }
    }
}

/// Downloads a model, checks its size and git blob id, and only then puts it in place (a temporary file
/// beside the destination, renamed over it). On any failure nothing is left behind.
public struct ModelFetcher: Sendable {
    /// A download fails when no byte arrives for this long (seconds), connecting included.
    public var idleTimeout: TimeInterval
    /// A download fails when it takes longer than this in all (seconds).
    public var totalTimeout: TimeInterval

    public init(idleTimeout: TimeInterval = 60, totalTimeout: TimeInterval = 3600) {
        self.idleTimeout = idleTimeout
        self.totalTimeout = totalTimeout
    }

    /// Fetches `model` into `cache` (`<cache>/<blob id>/<file name>`), creating the folders it needs; when
    /// the file is already there and verifies, nothing is downloaded.
    /// - Parameters:
    ///   - source: a URL or path to read instead of the model's own URL (see `ModelSource`).
    ///   - progress: called as bytes arrive (on another thread).
    /// - Throws: `ModelStoreError` naming the source or the file; a folder this call created is removed again.
    public func fetch(
        _ model: ModelDescriptor, from source: String? = nil, into cache: ModelCache,
        progress: @escaping @Sendable (FetchProgress) -> Void = { _ in }
    ) throws -> FetchResult {
        let destination = cache.location(of: model)
        let folder = destination.deletingLastPathComponent()
        // The folders this call creates, deepest first, to remove again (when still empty) after a failure.
        var created: [URL] = []
        var missing = folder
        while !FileManager.default.fileExists(atPath: missing.path), missing.pathComponents.count > 1 {
            created.append(missing)
            missing = missing.deletingLastPathComponent()
        }
        func removeCreatedFolders() {
            for url in created where (try? FileManager.default.contentsOfDirectory(atPath: url.path))?.isEmpty == true {
                try? FileManager.default.removeItem(at: url)
            }
        }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            removeCreatedFolders()
            throw ModelStoreError(folder.path, "cannot create the cache folder: \(error.localizedDescription)")
        }
        do {
            return try fetch(model, from: source, to: destination, progress: progress)
        } catch {
            removeCreatedFolders()
            throw error
        }
    }

    /// Fetches `model` to the file `destination` (its folder must exist); when a file is already there and
    /// is the model, nothing is downloaded.
    /// - Throws: `ModelStoreError` (or `FileWriteError` for the destination) — the destination is untouched.
    public func fetch(
        _ model: ModelDescriptor, from source: String? = nil, to destination: URL,
        progress: @escaping @Sendable (FetchProgress) -> Void = { _ in }
    ) throws -> FetchResult {
        let source = try source.map { try ModelSource($0, fileName: model.fileName) } ?? .http(model.url)
        try AtomicFile.checkDestination(destination)
        if FileManager.default.fileExists(atPath: destination.path),
            let present = try? GitBlobID.ofFile(at: destination), present == model.blobID
        {
            return FetchResult(
                file: destination, source: destination.path, size: fileSize(destination) ?? 0, alreadyPresent: true)
        }
        let temporary = AtomicFile.temporaryURL(for: destination)
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw ModelStoreError(
                destination.path, "cannot create a temporary file in \(destination.deletingLastPathComponent().path)")
        }
        do {
            let size = try transfer(model, from: source, into: temporary, progress: progress)
            if let expected = model.size, size != expected {
                throw ModelStoreError(
                    source.description, "\(size) bytes arrived but \(model.name) has \(expected); nothing was kept")
            }
            let id = try GitBlobID.ofFile(at: temporary)
            guard id == model.blobID else {
                throw ModelStoreError(
                    source.description,
                    "git blob id \(id) is not \(model.name)'s \(model.blobID) "
                        + "(\(model.repository)@\(model.commit.prefix(7)) \(model.pathInRepository)); nothing was kept")
            }
            try AtomicFile.moveIntoPlace(temporary, over: destination)
            return FetchResult(file: destination, source: source.description, size: size, alreadyPresent: false)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }

    /// Copies the source's bytes into `file` (which exists, empty) and returns how many there were.
    private func transfer(
        _ model: ModelDescriptor, from source: ModelSource, into file: URL,
        progress: @escaping @Sendable (FetchProgress) -> Void
    ) throws -> Int {
        let output = try FileHandle(forWritingTo: file)
        defer { try? output.close() }
        switch source {
        case .file(let url):
            return try copyLocal(url, limit: model.size, to: output, progress: progress)
        case .http(let url):
            let download = HTTPDownload(
                url: url, limit: model.size, output: output, idleTimeout: idleTimeout, totalTimeout: totalTimeout,
                progress: progress)
            return try download.run()
        }
    }

    private func copyLocal(
        _ url: URL, limit: Int?, to output: FileHandle, progress: @escaping @Sendable (FetchProgress) -> Void
    ) throws -> Int {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw ModelStoreError(url.path, "no such file")
        }
        guard !isDirectory.boolValue else { throw ModelStoreError(url.path, "is a folder, not a file") }
        let input: FileHandle
        do {
            input = try FileHandle(forReadingFrom: url)
        } catch {
            throw ModelStoreError(url.path, "cannot be read: \(error.localizedDescription)")
        }
        defer { try? input.close() }
        let expected = fileSize(url)
        if let limit, let expected, expected != limit {
            throw ModelStoreError(url.path, "has \(expected) bytes but the model has \(limit); nothing was kept")
        }
        var copied = 0
        do {
            while let piece = try input.read(upToCount: 1 << 20), !piece.isEmpty {
                try output.write(contentsOf: piece)
                copied += piece.count
                if let limit, copied > limit {
                    throw ModelStoreError(url.path, "holds more than the model's \(limit) bytes; nothing was kept")
                }
                progress(FetchProgress(received: copied, expected: expected))
            }
        } catch let error as ModelStoreError {
            throw error
        } catch {
            throw ModelStoreError(url.path, "cannot be copied: \(error.localizedDescription); nothing was kept")
        }
        return copied
    }
}

/// The size of the file at `url`, or nil when it cannot be read.
func fileSize(_ url: URL) -> Int? {
    (try? url.resourceValues(forKeys: [.fileSizeKey]))?.fileSize
}
