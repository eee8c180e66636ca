import Foundation
import ModelStore
import TestSupport
import Testing

/// Deterministic test content: byte i is (i·a + b) mod m.
func pattern(count: Int, a: Int, b: Int, modulo: Int) -> Data {
    Data((0..<count).map { UInt8((($0 * a) + b) % modulo) })
}

/// 200,000 bytes; `git hash-object` gives a63755d594655dc7348353ff0b975f3cf3abb783.
let smallModel = pattern(count: 200_000, a: 131, b: 3, modulo: 256)
let smallModelBlobID = "a63755d594655dc7348353ff0b975f3cf3abb783"

// Expected ids were computed by git itself (`git hash-object`), not by this code.
@Suite struct GitBlobIDTests {
    @Test func matchesGitForSmallContents() {
        #expect(GitBlobID.of(Data()) == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391")
        #expect(GitBlobID.of(Data("hello world\n".utf8)) == "3b18e512dba79e4c8300dd08aeb37f8e728b8dad")
        #expect(GitBlobID.of(smallModel) == smallModelBlobID)
    }

    @Test func fileIsReadInPiecesAndMatchesGit() throws {
        // 3 MiB + 17 bytes: crosses the 1 MiB reads; git hash-object gives 4eeb7857….
        let data = pattern(count: 3 * 1024 * 1024 + 17, a: 31, b: 7, modulo: 251)
        let file = try TestPaths.temporaryDirectory("blob").appendingPathComponent("big.bin")
        try data.write(to: file)
        #expect(try GitBlobID.ofFile(at: file) == "4eeb78575d9f39d7c46c6c7918d71b159462adcd")
    }

    @Test func incrementalUpdatesEqualOneUpdate() {
        var id = GitBlobID(size: smallModel.count)
        id.update(smallModel.prefix(70_001))
        id.update(smallModel.dropFirst(70_001))
        #expect(id.finalize() == smallModelBlobID)
    }
}

@Suite struct RegistryTests {
    // The issue's pins: NeatMS's two published models at bihealth/NeatMS c737e7de…, MIT, threshold 0.22.
    @Test func pinnedEntriesAreTheIssuesFiles() throws {
        #expect(ModelRegistry.known.map(\.name) == ["neatms-default", "neatms-default2"])
        let commit = "c737e7dede42df99b98fabc3531be13936a4c91d"
        let first = try #require(ModelRegistry.descriptor(named: "neatms-default"))
        #expect(first.repository == "bihealth/NeatMS")
        #expect(first.commit == commit)
        #expect(first.pathInRepository == "data/model/neatms_default_model.h5")
        #expect(first.fileName == "neatms_default_model.h5")
        #expect(first.blobID == "ee11f2d04615763138f5078482c8cc0a27e3ea35")
        #expect(first.licence == "MIT")
        #expect(first.recommendedThreshold == 0.22)
        #expect(
            first.url.absoluteString
                == "https://raw.githubusercontent.com/bihealth/NeatMS/\(commit)/data/model/neatms_default_model.h5")
        let second = try #require(ModelRegistry.descriptor(named: "neatms-default2"))
        #expect(second.commit == commit)
        #expect(second.pathInRepository == "data/model/neatms_default_model2_020.h5")
        #expect(second.blobID == "7efdac448d34dfd47e9b4176605f054821fa6bb8")
        #expect(second.licence == "MIT")
        #expect(
            second.url.absoluteString
                == "https://raw.githubusercontent.com/bihealth/NeatMS/\(commit)/data/model/neatms_default_model2_020.h5"
        )
        // The issue pins blob ids, not sizes; the blob id's `blob <size>` header fixes the size.
        #expect(first.size == nil && second.size == nil)
        #expect(ModelRegistry.descriptor(named: "neatms_default_model.h5") == nil)
    }
}

@Suite struct ModelCacheTests {
    @Test func xdgCacheHomeWins() throws {
        let cache = try ModelCache.standard(environment: ["XDG_CACHE_HOME": "/x/cache", "HOME": "/home/u"])
        #expect(cache.folder.path == "/x/cache/neatmskit/models")
        let model = ModelRegistry.neatmsDefault
        #expect(
            cache.location(of: model).path
                == "/x/cache/neatmskit/models/ee11f2d04615763138f5078482c8cc0a27e3ea35/neatms_default_model.h5")
    }

    @Test func homeWhenXDGIsUnsetEmptyOrRelative() throws {
        #if os(macOS)
            let expected = "/home/u/Library/Caches/neatmskit/models"
        #else
            let expected = "/home/u/.cache/neatmskit/models"
        #endif
        for xdg in [nil, "", "relative/cache"] {
            var environment = ["HOME": "/home/u"]
            environment["XDG_CACHE_HOME"] = xdg
            #expect(try ModelCache.standard(environment: environment).folder.path == expected)
        }
    }

    @Test func noHomeIsAnError() {
        #expect(throws: ModelStoreError.self) { try ModelCache.standard(environment: [:]) }
    }

    @Test func cachedFileOnlyWhenAFileIsInPlace() throws {
        let cache = ModelCache(folder: try TestPaths.temporaryDirectory("cache"))
        let model = ModelRegistry.neatmsDefault2
        #expect(cache.cachedFile(for: model) == nil)
        let location = cache.location(of: model)
        try FileManager.default.createDirectory(at: location, withIntermediateDirectories: true)  // a folder
        #expect(cache.cachedFile(for: model) == nil)
        try FileManager.default.removeItem(at: location)
        try Data([1]).write(to: location)
        #expect(cache.cachedFile(for: model) == location)
    }
}
