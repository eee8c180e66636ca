import Foundation

/// The per-user folder of downloaded models. Each file lives at `<folder>/<blob id>/<file name>`, so a file
/// is found only for the exact content it was verified as, and two models with one file name never collide.
public struct ModelCache: Sendable, Equatable {
    /// The folder that holds the models (`…/neatmskit/models`).
    public var folder: URL

    public init(folder: URL) {
        self.folder = folder
    }

    /// The user's cache: `$XDG_CACHE_HOME/neatmskit/models` when that variable holds an absolute path, else
    /// `~/Library/Caches/neatmskit/models` on macOS and `~/.cache/neatmskit/models` elsewhere.
    /// - Throws: `ModelStoreError` when neither `XDG_CACHE_HOME` nor `HOME` gives a folder.
    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> ModelCache
    {
        guard let base = userCacheFolder(environment: environment) else {
            throw ModelStoreError(
                "model cache", "neither XDG_CACHE_HOME nor HOME is set to an absolute path, so there is no cache folder"
            )
        }
        return ModelCache(folder: base.appendingPathComponent("models", isDirectory: true))
    }

    /// NeatMSKit's per-user cache folder (`$XDG_CACHE_HOME/neatmskit`, else `~/Library/Caches/neatmskit` on
    /// macOS and `~/.cache/neatmskit` elsewhere), or nil when neither variable holds an absolute path.
    public static func userCacheFolder(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        let base: URL
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            base = URL(fileURLWithPath: xdg, isDirectory: true)
        } else if let home = environment["HOME"], home.hasPrefix("/") {
            #if os(macOS)
                base = URL(fileURLWithPath: home, isDirectory: true).appendingPathComponent("Library/Caches")
            #else
                base = URL(fileURLWithPath: home, isDirectory: true).appendingPathComponent(".cache")
            #endif
        } else {
            return nil
        }
        return base.appendingPathComponent("neatmskit", isDirectory: true)
    }

    /// Where `model` is stored once it has been fetched.
    public func location(of model: ModelDescriptor) -> URL {
        folder.appendingPathComponent(model.blobID, isDirectory: true).appendingPathComponent(model.fileName)
    }

    /// The stored file of `model`, or nil when it has not been fetched. (Only verified files are ever stored,
    /// by `ModelFetcher`; the check here is that a regular file is in place.)
    public func cachedFile(for model: ModelDescriptor) -> URL? {
        let url = location(of: model)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue
        else { return nil }
        return url
    }
}
