import FileSupport
import Foundation
import TestSupport
import Testing

@Suite struct AtomicFileTests {
    @Test func replacesTheDestinationAndLeavesNoTemporaryFile() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("out.txt")
        try Data("old".utf8).write(to: url)
        try AtomicFile.write(Data("new".utf8), to: url)
        #expect(try Data(contentsOf: url) == Data("new".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.txt"])
    }

    @Test func bodyWritesIntoAHiddenTemporaryFileBesideTheDestination() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("model.h5")
        var seen: URL?
        try AtomicFile.write(to: url) { temporary in
            seen = temporary
            try Data("x".utf8).write(to: temporary)
        }
        let temporary = try #require(seen)
        #expect(temporary.deletingLastPathComponent().path == dir.path)
        #expect(temporary.lastPathComponent.hasPrefix(".model.h5.") && temporary.lastPathComponent.hasSuffix(".tmp"))
        #expect(!FileManager.default.fileExists(atPath: temporary.path))
        #expect(try Data(contentsOf: url) == Data("x".utf8))
    }

    struct Boom: Error, Equatable {}

    @Test func anErrorRemovesTheTemporaryFileAndKeepsTheDestination() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("out.txt")
        try Data("old".utf8).write(to: url)
        #expect(throws: Boom()) {
            try AtomicFile.write(to: url) { temporary in
                try Data("half".utf8).write(to: temporary)
                throw Boom()
            }
        }
        #expect(try Data(contentsOf: url) == Data("old".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.txt"])
    }

    @Test func aMissingFolderIsReportedOnOneLine() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("missing/out.txt")
        let error = try #require(throws: FileWriteError.self) { try AtomicFile.write(Data("x".utf8), to: url) }
        #expect(error.description == "\(url.path): the folder \(dir.path)/missing does not exist")
    }

    @Test func aFolderAtTheDestinationIsRefusedBeforeWriting() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("taken")
        try FileManager.default.createDirectory(
            at: url.appendingPathComponent("inside"), withIntermediateDirectories: true)
        var called = false
        let error = try #require(throws: FileWriteError.self) { try AtomicFile.write(to: url) { _ in called = true } }
        #expect(error.description == "\(url.path): is a folder, not a file")
        #expect(!called)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["taken"])
    }

    @Test func aFailedRenameNamesTheDestination() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // A non-empty folder appears at the destination while the file is written: rename(2) over it fails.
        let url = dir.appendingPathComponent("taken")
        let error = try #require(throws: FileWriteError.self) {
            try AtomicFile.write(to: url) { temporary in
                try Data("x".utf8).write(to: temporary)
                try FileManager.default.createDirectory(
                    at: url.appendingPathComponent("inside"), withIntermediateDirectories: true)
            }
        }
        #expect(error.path == url.path)
        #expect(error.problem.hasPrefix("cannot move the written file into place: "))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["taken"])
    }
}
