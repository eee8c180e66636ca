import Foundation
import LoopbackServer
import ModelStore
import TestSupport
import Testing

/// A test-only registry entry for `smallModel`, served from `url`.
func testModel(url: URL, blobID: String = smallModelBlobID, size: Int? = nil) -> ModelDescriptor {
    ModelDescriptor(
        name: "test-model", fileName: "test_model.h5", repository: "example/models",
        pathInRepository: "data/test_model.h5", commit: String(repeating: "0", count: 40), blobID: blobID,
        size: size, licence: "MIT", recommendedThreshold: 0.5, url: url, summary: "a synthetic test file")
}

/// Every regular file under `folder` (temporary files included), as paths relative to it.
func filesUnder(_ folder: URL) -> [String] {
    guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey])
    else { return [] }
    return walker.compactMap { item in
        guard let url = item as? URL, (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true
        else { return nil }
        return String(url.path.dropFirst(folder.path.count))
    }
}

/// True when nothing at all (no file, no folder) is at or under `folder`.
func nothingAt(_ folder: URL) -> Bool {
    !FileManager.default.fileExists(atPath: folder.path)
}

/// Fetches `model` into a fresh cache (`<temp>/neatmskit/models`, none of it existing yet) and returns the
/// cache and the outcome.
func fetchIntoFreshCache(
    _ model: ModelDescriptor, from source: String? = nil,
    fetcher: ModelFetcher = ModelFetcher(idleTimeout: 10, totalTimeout: 60)
) async throws -> (ModelCache, Result<FetchResult, ModelStoreError>) {
    let cache = ModelCache(folder: try TestPaths.temporaryDirectory("cache").appendingPathComponent("neatmskit/models"))
    let result = try await onThread {
        Result { try fetcher.fetch(model, from: source, into: cache) }.mapError { $0 as! ModelStoreError }
    }
    return (cache, result)
}

@Suite struct HTTPFetchTests {
    @Test func goodFileIsVerifiedAndKept() async throws {
        try await LoopbackServer.run(["/m/test_model.h5": .file(smallModel)]) { server in
            let model = testModel(url: server.url("/m/test_model.h5"), size: smallModel.count)
            let (cache, outcome) = try await fetchIntoFreshCache(model)
            let result = try outcome.get()
            #expect(result.file == cache.location(of: model))
            #expect(result.size == smallModel.count && !result.alreadyPresent)
            #expect(try Data(contentsOf: result.file) == smallModel)
            #expect(filesUnder(cache.folder) == ["/\(smallModelBlobID)/test_model.h5"])
            #expect(cache.cachedFile(for: model) == result.file)
            #expect(await server.requestedPaths() == ["/m/test_model.h5"])
        }
    }

    @Test func progressIsReported() async throws {
        try await LoopbackServer.run(["/f": .file(smallModel)]) { server in
            let model = testModel(url: server.url("/f"))
            let cache = ModelCache(folder: try TestPaths.temporaryDirectory("cache"))
            let seen = Seen()
            _ = try await onThread {
                try ModelFetcher().fetch(model, into: cache) { seen.add($0) }
            }
            let updates = seen.all
            #expect(!updates.isEmpty)
            #expect(updates.last == FetchProgress(received: smallModel.count, expected: smallModel.count))
            #expect(zip(updates, updates.dropFirst()).allSatisfy { $0.received < $1.received })
        }
    }

    @Test func wrongBlobIDIsRefusedAndNothingIsCached() async throws {
        try await LoopbackServer.run(["/f": .file(smallModel)]) { server in
            let other = "7efdac448d34dfd47e9b4176605f054821fa6bb8"
            let (cache, outcome) = try await fetchIntoFreshCache(testModel(url: server.url("/f"), blobID: other))
            guard case .failure(let error) = outcome else {
                Issue.record("accepted a file with the wrong blob id")
                return
            }
            #expect(error.subject == server.url("/f").absoluteString)
            #expect(error.problem.contains("git blob id \(smallModelBlobID) is not test-model's \(other)"), "\(error)")
            #expect(nothingAt(cache.folder.deletingLastPathComponent()))
            #expect(!FileManager.default.fileExists(atPath: cache.folder.appendingPathComponent(other).path))
        }
    }

    @Test func truncatedBodyIsRefusedAndNothingIsCached() async throws {
        try await LoopbackServer.run(["/f": .truncated(smallModel, sent: 50_000)]) { server in
            let (cache, outcome) = try await fetchIntoFreshCache(testModel(url: server.url("/f")))
            guard case .failure(let error) = outcome else {
                Issue.record("accepted a short transfer")
                return
            }
            #expect(error.problem.contains("ended after") && error.problem.contains("of 200000 bytes"), "\(error)")
            #expect(nothingAt(cache.folder.deletingLastPathComponent()))
        }
    }

    @Test func notFoundIsRefusedAndNothingIsCached() async throws {
        try await LoopbackServer.run(["/f": .file(smallModel)]) { server in
            let (cache, outcome) = try await fetchIntoFreshCache(testModel(url: server.url("/missing.h5")))
            guard case .failure(let error) = outcome else {
                Issue.record("accepted a 404")
                return
            }
            #expect(error.subject == server.url("/missing.h5").absoluteString)
            #expect(error.problem.hasPrefix("the server answered HTTP 404"), "\(error)")
            #expect(nothingAt(cache.folder.deletingLastPathComponent()))
        }
    }

    @Test func serverErrorIsRefused() async throws {
        try await LoopbackServer.run(["/f": .status(500)]) { server in
            let (cache, outcome) = try await fetchIntoFreshCache(testModel(url: server.url("/f")))
            guard case .failure(let error) = outcome else {
                Issue.record("accepted a 500")
                return
            }
            #expect(error.problem.hasPrefix("the server answered HTTP 500"), "\(error)")
            #expect(nothingAt(cache.folder.deletingLastPathComponent()))
        }
    }

    @Test func pinnedSizeIsCheckedBeforeTheBody() async throws {
        try await LoopbackServer.run(["/f": .file(smallModel)]) { server in
            let (cache, outcome) = try await fetchIntoFreshCache(testModel(url: server.url("/f"), size: 199_999))
            guard case .failure(let error) = outcome else {
                Issue.record("accepted a file of another size")
                return
            }
            #expect(error.problem.contains("announces 200000 bytes but the model has 199999"), "\(error)")
            #expect(nothingAt(cache.folder.deletingLastPathComponent()))
        }
    }

    @Test func stalledServerTimesOut() async throws {
        try await LoopbackServer.run(["/f": .stalled(smallModel, sent: 10_000, seconds: 4)]) { server in
            let fetcher = ModelFetcher(idleTimeout: 1, totalTimeout: 30)
            let (cache, outcome) = try await fetchIntoFreshCache(testModel(url: server.url("/f")), fetcher: fetcher)
            guard case .failure(let error) = outcome else {
                Issue.record("a stalled download succeeded")
                return
            }
            #expect(error.problem.contains("timed out"), "\(error)")
            #expect(nothingAt(cache.folder.deletingLastPathComponent()))
        }
    }

    @Test func mirrorFolderURLGetsTheFileName() async throws {
        try await LoopbackServer.run(["/mirror/test_model.h5": .file(smallModel)]) { server in
            let model = testModel(url: server.url("/elsewhere"))
            let (cache, outcome) = try await fetchIntoFreshCache(model, from: server.url("/mirror/").absoluteString)
            #expect(try outcome.get().file == cache.location(of: model))
            #expect(await server.requestedPaths() == ["/mirror/test_model.h5"])
        }
    }

    @Test func verifiedFileInPlaceIsNotDownloadedAgain() async throws {
        try await LoopbackServer.run(["/f": .file(smallModel)]) { server in
            let model = testModel(url: server.url("/f"))
            let cache = ModelCache(folder: try TestPaths.temporaryDirectory("cache"))
            let location = cache.location(of: model)
            try FileManager.default.createDirectory(
                at: location.deletingLastPathComponent(), withIntermediateDirectories: true)
            try smallModel.write(to: location)
            let result = try await onThread { try ModelFetcher().fetch(model, into: cache) }
            #expect(result.alreadyPresent)
            #expect(await server.requestedPaths().isEmpty)
        }
    }

    @Test func damagedFileInPlaceIsReplaced() async throws {
        try await LoopbackServer.run(["/f": .file(smallModel)]) { server in
            let model = testModel(url: server.url("/f"))
            let folder = try TestPaths.temporaryDirectory("out")
            let destination = folder.appendingPathComponent("model.h5")
            var damaged = smallModel
            damaged[1000] ^= 1
            try damaged.write(to: destination)
            let result = try await onThread { try ModelFetcher().fetch(model, to: destination) }
            #expect(!result.alreadyPresent)
            #expect(try Data(contentsOf: destination) == smallModel)
            #expect(filesUnder(folder) == ["/model.h5"])
        }
    }

    @Test func failedFetchLeavesAnExistingFileUntouched() async throws {
        try await LoopbackServer.run(["/f": .truncated(smallModel, sent: 1000)]) { server in
            let folder = try TestPaths.temporaryDirectory("out")
            let destination = folder.appendingPathComponent("model.h5")
            try Data("old".utf8).write(to: destination)
            await #expect(throws: ModelStoreError.self) {
                try await onThread { try ModelFetcher().fetch(testModel(url: server.url("/f")), to: destination) }
            }
            #expect(try Data(contentsOf: destination) == Data("old".utf8))
            #expect(filesUnder(folder) == ["/model.h5"])
        }
    }
}

@Suite struct LocalFetchTests {
    @Test(arguments: [false, true]) func localPathOrFileURLIsVerifiedToo(asURL: Bool) async throws {
        let source = try TestPaths.temporaryDirectory("src").appendingPathComponent("anything.h5")
        try smallModel.write(to: source)
        let model = testModel(url: URL(string: "http://127.0.0.1:9/never-used")!)
        let text = asURL ? source.absoluteString : source.path
        #expect(text.hasPrefix("file://") == asURL)
        let (cache, good) = try await fetchIntoFreshCache(model, from: text)
        #expect(try Data(contentsOf: good.get().file) == smallModel)
        #expect(filesUnder(cache.folder).count == 1)

        var wrong = model
        wrong.blobID = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
        let (badCache, bad) = try await fetchIntoFreshCache(wrong, from: text)
        guard case .failure(let error) = bad else {
            Issue.record("accepted a local file with the wrong blob id")
            return
        }
        #expect(error.subject == source.path && error.problem.contains("git blob id"), "\(error)")
        #expect(nothingAt(badCache.folder.deletingLastPathComponent()))
    }

    @Test func localFolderIsAMirror() async throws {
        let folder = try TestPaths.temporaryDirectory("mirror")
        try smallModel.write(to: folder.appendingPathComponent("test_model.h5"))
        let (_, outcome) = try await fetchIntoFreshCache(
            testModel(url: URL(string: "http://127.0.0.1:9/never-used")!), from: folder.path)
        #expect(try outcome.get().size == smallModel.count)
    }

    @Test func missingLocalFileAndUnknownScheme() async throws {
        let model = testModel(url: URL(string: "http://127.0.0.1:9/never-used")!)
        let (_, missing) = try await fetchIntoFreshCache(model, from: "/nonexistent/model.h5")
        #expect(missing.failureDescription == "/nonexistent/model.h5: no such file")
        let (_, ftp) = try await fetchIntoFreshCache(model, from: "ftp://example.org/model.h5")
        #expect(
            ftp.failureDescription
                == "ftp://example.org/model.h5: unsupported URL scheme ftp (http, https and file are)")
    }
}

extension Result where Failure == ModelStoreError {
    var failureDescription: String? {
        if case .failure(let error) = self { return error.description }
        return nil
    }
}

/// Progress updates collected from the download's thread.
final class Seen: @unchecked Sendable {
    private let lock = NSLock()
    private var updates: [FetchProgress] = []
    func add(_ update: FetchProgress) { lock.withLock { updates.append(update) } }
    var all: [FetchProgress] { lock.withLock { updates } }
}
