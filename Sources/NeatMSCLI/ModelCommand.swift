import ArgumentParser
import Foundation
import ModelStore

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `neatms model fetch|list`: NeatMS's published models, downloaded once into the per-user cache.
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Fetch NeatMS's published models into the per-user cache; list the known models.",
        discussion: """
            Wherever a model file is accepted, the names neatms-default and neatms-default2 stand for the \
            fetched file (write ./neatms-default for a file of that name). The cache is \
            $XDG_CACHE_HOME/neatmskit/models, else ~/.cache/neatmskit/models (~/Library/Caches/neatmskit/models \
            on macOS).
            """,
        subcommands: [ModelFetchCommand.self, ModelListCommand.self])
}

/// `neatms model fetch [NAME] [--url URL] [-o PATH]`.
struct ModelFetchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Download a published model, verify it, store it and print its path.",
        discussion: """
            The file comes from the commit the model is pinned to. Its git blob id (SHA-1 of "blob <size>\\0" \
            and the content) and size are checked before anything is kept; the file is then renamed into place \
            in one step. A mismatch, a short transfer or a server error leaves nothing behind. A file already in \
            place that verifies is not downloaded again. Progress goes to stderr; a download fails after 60 s \
            without data or 1 h in all.
            """)

    @Argument(help: "The model: \(ModelRegistry.known.map(\.name).joined(separator: " or ")).")
    var name: String = ModelRegistry.neatmsDefault.name

    @Option(
        help: ArgumentHelp(
            "Read the file from here instead: a mirror's URL, a file:// URL or a local path (still verified). A URL ending in / or a folder gets the model's file name appended.",
            valueName: "url"))
    var url: String?

    @Option(
        name: [.short, .long],
        help: "Store the file here instead of the per-user cache (a folder gets the model's file name).")
    var output: String?

    func validate() throws {
        guard ModelRegistry.descriptor(named: name) != nil else {
            throw ValidationError(
                "unknown model '\(name)' (known: \(ModelRegistry.known.map(\.name).joined(separator: ", ")))")
        }
    }

    func run() throws {
        try Diagnostics.reportingErrors {
            guard let model = ModelRegistry.descriptor(named: name) else { return }
            var destination = output.map { URL(fileURLWithPath: $0) }
            if let path = output {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                    destination = destination?.appendingPathComponent(model.fileName)
                } else {
                    try CommandSupport.checkOutputs(path)
                }
            }
            #if canImport(FoundationNetworking)
                // Foundation on Linux makes its shared URL cache, and that cache's folder in the user's cache folder,
                // with the first session configuration. Downloads here use no URL cache: make the shared one a cache
                // without a folder (a path that cannot be created leaves it without disk storage).
                URLCache.shared = URLCache(memoryCapacity: 0, diskCapacity: 0, diskPath: "/dev/null/no-url-cache")
            #endif
            let progress = FetchProgressLine(name: model.name, source: url ?? model.url.absoluteString)
            defer { progress.finish() }
            let result: FetchResult
            if let destination {
                result = try ModelFetcher().fetch(model, from: url, to: destination, progress: progress.update)
            } else {
                result = try ModelFetcher().fetch(
                    model, from: url, into: try ModelCache.standard(), progress: progress.update)
            }
            progress.finish()
            if result.alreadyPresent {
                progress.note("\(model.name) is already in place and verified (git blob \(model.blobID))")
            } else {
                progress.note("verified \(result.size) bytes, git blob \(model.blobID)")
            }
            printResult(result.file.path + "\n")
        }
    }
}

/// `neatms model list`.
struct ModelListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the known models: whether each is fetched, its source, commit, blob id, licence and threshold.")

    func run() throws {
        try Diagnostics.reportingErrors {
            let cache = try ModelCache.standard()
            var text = ""
            for model in ModelRegistry.known {
                let cached =
                    cache.cachedFile(for: model).map { "yes, \($0.path)" }
                    ?? "no (neatms model fetch \(model.name) stores it in \(cache.location(of: model).path))"
                let threshold =
                    model.recommendedThreshold.map { "\($0) (recommended by its authors)" } ?? "none published"
                text += """
                    \(model.name): \(model.summary)
                      cached     \(cached)
                      source     \(model.url.absoluteString)
                      commit     \(model.repository)@\(model.commit) \(model.pathInRepository)
                      blob id    \(model.blobID)\(model.size.map { " (\($0) bytes)" } ?? "")
                      licence    \(model.licence)
                      threshold  \(threshold)


                    """
            }
            printResult(String(text.dropLast()))
        }
    }
}

/// Model-file arguments: a known model's name (`neatms-default`) stands for its fetched file in the cache.
enum ModelNames {
    /// The path to open for the model-file argument `argument`: itself, or for a known model's name the
    /// cached file. - Throws: `CommandError` naming the command that fetches a missing model.
    static func resolve(_ argument: String) throws -> String {
        guard let model = ModelRegistry.descriptor(named: argument) else { return argument }
        let cache = try ModelCache.standard()
        guard let file = cache.cachedFile(for: model) else {
            throw CommandError(
                file: argument,
                problem: "not fetched yet: `neatms model fetch \(model.name)` downloads it into \(cache.folder.path) "
                    + "(or give ./\(argument) for a file of that name)")
        }
        return file.path
    }
}

/// Download progress on stderr: one updating line on a terminal, else a line per tenth of the file.
final class FetchProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private let name: String
    private let terminal = isatty(STDERR_FILENO) == 1
    private var started = false
    private var open = false  // a terminal line without its newline yet
    private var lastStep = -1
    private var lastDraw = Date.distantPast
    private let source: String

    init(name: String, source: String) {
        self.name = name
        self.source = source
    }

    func update(_ progress: FetchProgress) {
        lock.withLock {
            if !started {
                started = true
                write("neatms: fetching \(name) from \(source)\n")
            }
            let text = "neatms: \(name): \(Self.describe(progress))"
            if terminal {
                let now = Date()
                guard now.timeIntervalSince(lastDraw) >= 0.1 || progress.received == progress.expected else { return }
                lastDraw = now
                write("\r\(text)\u{1B}[K")
                open = true
            } else {
                // A line per tenth (or per 10 MB when the size is not announced).
                let step =
                    progress.expected.map { $0 > 0 ? progress.received * 10 / $0 : 10 } ?? progress.received
                    / 10_000_000
                guard step > lastStep else { return }
                lastStep = step
                write(text + "\n")
            }
        }
    }

    /// Ends an open terminal line.
    func finish() {
        lock.withLock {
            if open { write("\n") }
            open = false
        }
    }

    /// One line after the download.
    func note(_ text: String) {
        lock.withLock { write("neatms: \(text)\n") }
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    private static func describe(_ progress: FetchProgress) -> String {
        let large = (progress.expected ?? progress.received) >= 1_000_000
        let mb = { (bytes: Int) in
            large ? String(format: "%.1f MB", Double(bytes) / 1e6) : String(format: "%.0f kB", Double(bytes) / 1e3)
        }
        guard let expected = progress.expected, expected > 0 else { return "\(mb(progress.received))" }
        return "\(mb(progress.received)) of \(mb(expected)) (\(progress.received * 100 / expected) %)"
    }
}
