import Foundation
import LoopbackServer
import ModelStore
import TestSupport
import Testing

/// `neatms model fetch|list` and the names neatms-default / neatms-default2 wherever a model file is accepted.
/// Every run gets its own XDG_CACHE_HOME; downloads come from a loopback server started by the test.
@Suite struct ModelCLITests {
    let bundled = TestPaths.fixture("neatms_default_model.h5")

    /// A fresh, not yet existing cache home, and the environment that points `neatms` at it.
    func freshCache() throws -> (home: URL, environment: [String: String]) {
        let home = try TestPaths.temporaryDirectory("model-cli").appendingPathComponent("cache")
        return (home, ["XDG_CACHE_HOME": home.path])
    }

    func errorLines(_ stderr: String) -> [Substring] {
        stderr.split(separator: "\n").filter { $0.hasPrefix("neatms: error:") }
    }

    @Test func listShowsThePinnedModels() throws {
        let (home, environment) = try freshCache()
        let result = try runNeatms(["model", "list"], environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        let out = result.stdout
        #expect(out.contains("neatms-default: ") && out.contains("neatms-default2: "))
        #expect(out.contains("blob id    ee11f2d04615763138f5078482c8cc0a27e3ea35"))
        #expect(out.contains("blob id    7efdac448d34dfd47e9b4176605f054821fa6bb8"))
        #expect(
            out.contains(
                "commit     bihealth/NeatMS@c737e7dede42df99b98fabc3531be13936a4c91d data/model/neatms_default_model.h5"
            ))
        #expect(
            out.contains(
                "source     https://raw.githubusercontent.com/bihealth/NeatMS/c737e7dede42df99b98fabc3531be13936a4c91d/data/model/neatms_default_model2_020.h5"
            ))
        #expect(out.contains("licence    MIT"))
        #expect(out.contains("threshold  0.22 (recommended by its authors)"))
        #expect(
            out.contains("cached     no (neatms model fetch neatms-default stores it in \(home.path)/neatmskit/models/")
        )
        #expect(!FileManager.default.fileExists(atPath: home.path), "list created the cache")
    }

    @Test(arguments: [
        ["summary", "neatms-default"], ["inspect", "neatms-default2"], ["convert", "neatms-default", "out.h5"],
    ])
    func aMissingNamedModelSaysHowToFetchIt(arguments: [String]) throws {
        let (home, environment) = try freshCache()
        let folder = home.deletingLastPathComponent()
        let result = try runNeatms(arguments, in: folder, environment: environment)
        #expect(result.status == 1)
        let name = arguments[1]
        #expect(
            result.stderr == "neatms: error: \(name): not fetched yet: `neatms model fetch \(name)` downloads it "
                + "into \(home.path)/neatmskit/models (or give ./\(name) for a file of that name)\n")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("out.h5").path))
    }

    @Test func aFetchedNameResolvesToTheCachedFile() throws {
        // Stands in for a fetched file: the cache holds only files that verified, so the name is resolved by
        // location alone.
        let (home, environment) = try freshCache()
        let cached = ModelCache(folder: home.appendingPathComponent("neatmskit/models")).location(
            of: ModelRegistry.neatmsDefault)
        try FileManager.default.createDirectory(
            at: cached.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: bundled, to: cached)

        let byName = try runNeatms(["summary", "neatms-default"], environment: environment)
        let byPath = try runNeatms(["summary", bundled.path], environment: environment)
        #expect(byName.status == 0, "\(byName.stderr)")
        #expect(byName.stdout == byPath.stdout && !byName.stdout.isEmpty)
        let list = try runNeatms(["model", "list"], environment: environment)
        #expect(list.stdout.contains("cached     yes, \(cached.path)"))
        // The other name is still missing.
        let other = try runNeatms(["summary", "neatms-default2"], environment: environment)
        #expect(other.status == 1 && other.stderr.contains("`neatms model fetch neatms-default2`"))
    }

    @Test func aNamedModelWorksInPredict() throws {
        let (home, environment) = try freshCache()
        let cached = ModelCache(folder: home.appendingPathComponent("neatmskit/models")).location(
            of: ModelRegistry.neatmsDefault)
        let demo = TestPaths.fixture("demo")
        let experiment = [
            "--raw", demo.appendingPathComponent("raw").path,
            "--features", demo.appendingPathComponent("tables/mzmine_aligned.csv").path, "--format", "mzmine",
            "--threshold", "0.22",
        ]
        let folder = home.deletingLastPathComponent()
        let missing = try runNeatms(
            ["predict", "--model", "neatms-default"] + experiment + [
                "-o", folder.appendingPathComponent("a.csv").path,
            ],
            environment: environment)
        #expect(missing.status == 1 && errorLines(missing.stderr).count == 1)
        #expect(missing.stderr.contains("`neatms model fetch neatms-default`"))

        try FileManager.default.createDirectory(
            at: cached.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: bundled, to: cached)
        let byName = try runNeatms(
            ["predict", "--model", "neatms-default"] + experiment + [
                "-o", folder.appendingPathComponent("a.csv").path,
            ],
            environment: environment)
        let byPath = try runNeatms(
            ["predict", "--model", bundled.path] + experiment + ["-o", folder.appendingPathComponent("b.csv").path],
            environment: environment)
        #expect(byName.status == 0 && byPath.status == 0, "\(byName.stderr)")
        let a = try Data(contentsOf: folder.appendingPathComponent("a.csv"))
        let b = try Data(contentsOf: folder.appendingPathComponent("b.csv"))
        #expect(!a.isEmpty && a == b)
    }

    @Test(arguments: ["wrong", "truncated", "missing", "error"])
    func aRefusedDownloadIsOneErrorLineAndLeavesNothing(kind: String) async throws {
        // The server holds a file that is not NeatMS's model, a short transfer, nothing, or a server error.
        let content = Data((0..<300_000).map { UInt8(($0 * 7 + 1) % 256) })
        let replies: [String: LoopbackReply] = [
            "/wrong/neatms_default_model.h5": .file(content),
            "/truncated/neatms_default_model.h5": .truncated(content, sent: 100_000),
            "/error/neatms_default_model.h5": .status(503),
        ]
        try await LoopbackServer.run(replies) { server in
            let (home, environment) = try freshCache()
            let mirror = server.url("/\(kind)/").absoluteString
            let result = try await onThread {
                try runNeatms(["model", "fetch", "neatms-default", "--url", mirror], environment: environment)
            }
            #expect(result.status == 1)
            #expect(result.stdout.isEmpty)
            let errors = errorLines(result.stderr)
            #expect(errors.count == 1, "\(result.stderr)")
            let prefix = "neatms: error: \(mirror)neatms_default_model.h5: "
            let problem = errors.first.map { String($0.dropFirst(prefix.count)) } ?? ""
            #expect(errors.first?.hasPrefix(prefix) == true, "\(result.stderr)")
            switch kind {
            case "wrong":
                #expect(
                    problem.hasPrefix("git blob id \(GitBlobID.of(content)) is not neatms-default's ee11f2d0"),
                    "\(problem)")
                #expect(result.stderr.contains("neatms: fetching neatms-default from \(mirror)"))  // progress
            case "truncated": #expect(problem.hasPrefix("the transfer ended after"), "\(problem)")
            case "missing": #expect(problem.hasPrefix("the server answered HTTP 404"), "\(problem)")
            default: #expect(problem.hasPrefix("the server answered HTTP 503"), "\(problem)")
            }
            #expect(problem.hasSuffix("; nothing was kept"))
            #expect(!FileManager.default.fileExists(atPath: home.path), "something was left in the cache")
            #expect(await server.requestedPaths() == ["/\(kind)/neatms_default_model.h5"])
        }
    }

    @Test func aWrongLocalFileWithOutputLeavesNothing() throws {
        let (home, environment) = try freshCache()
        let folder = home.deletingLastPathComponent()
        let output = folder.appendingPathComponent("model.h5")
        let result = try runNeatms(
            ["model", "fetch", "--url", bundled.path, "-o", output.path], environment: environment)
        #expect(result.status == 1)
        #expect(errorLines(result.stderr).count == 1)
        #expect(result.stderr.contains("neatms: error: \(bundled.path): git blob id "), "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    @Test func usageErrors() throws {
        let (_, environment) = try freshCache()
        let unknown = try runNeatms(["model", "fetch", "neatms-latest"], environment: environment)
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("unknown model 'neatms-latest' (known: neatms-default, neatms-default2)"))
        let missingFolder = try runNeatms(
            ["model", "fetch", "-o", "/nonexistent/folder/model.h5"], environment: environment)
        #expect(
            missingFolder.stderr
                == "neatms: error: /nonexistent/folder/model.h5: the folder /nonexistent/folder does not exist\n")
    }
}
