import Foundation
import HDF5
import TestSupport
import Testing

/// Bad files give one clear line; handles close deterministically; concurrent use is serialised.
@Suite struct ErrorAndLifetimeTests {
    @Test func emptyFileIsNotHDF5() throws {
        let url = try temporaryH5("empty.h5")
        try Data().write(to: url)
        let error = try #require(throws: HDF5Error.self) { try HDF5File.open(url) }
        #expect(error.kind == .notHDF5)
        #expect(error.description == "\(url.path): not an HDF5 file (empty file)")
    }

    @Test func pngRenamedIsNotHDF5() throws {
        let url = try temporaryH5("picture.h5")
        // The PNG signature and an IHDR chunk header, padded to a plausible size.
        var bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]
        bytes += [UInt8](repeating: 0x42, count: 4096)
        try Data(bytes).write(to: url)
        let error = try #require(throws: HDF5Error.self) { try HDF5File.open(url) }
        #expect(error.kind == .notHDF5)
        #expect(error.description.hasPrefix("\(url.path): not an HDF5 file ("))
        #expect(!error.description.contains("\n"))
        #expect(error.stack.contains { $0.contains("signature") })
        #expect(error.stack.allSatisfy { $0.contains("(): ") })
    }

    @Test func truncatedFileIsCorrupt() throws {
        let url = try temporaryH5("whole.h5")
        do {
            let file = try HDF5File.create(url)
            try file.root.writeDataset(
                "model_weights/dense/kernel:0", shape: [64, 64], values: [Float](repeating: 1, count: 4096))
            try file.root.setAttribute("model_config", .string(String(repeating: "{}", count: 500), .vlenASCII))
        }
        let data = try Data(contentsOf: url)
        let truncated = url.deletingLastPathComponent().appendingPathComponent("half.h5")
        try data.prefix(data.count / 2).write(to: truncated)
        let error = try #require(throws: HDF5Error.self) { try HDF5File.open(truncated) }
        #expect(error.kind == .corrupt)
        #expect(error.description.hasPrefix("\(truncated.path): truncated or corrupt HDF5 file ("))
        #expect(!error.description.contains("\n"))
        #expect(!error.stack.isEmpty)
    }

    @Test func missingFileAndDirectory() throws {
        let url = try temporaryH5("absent.h5")
        let missing = try #require(throws: HDF5Error.self) { try HDF5File.open(url) }
        #expect(missing.kind == .fileNotFound)
        #expect(missing.description == "\(url.path): no such file")
        let directory = try #require(throws: HDF5Error.self) { try HDF5File.open(url.deletingLastPathComponent()) }
        #expect(directory.kind == .fileNotFound)
    }

    @Test func errorsNameFileObjectAndStack() throws {
        let url = try temporaryH5()
        let file = try HDF5File.create(url)
        let dataset = try file.root.writeDataset("g/x", shape: [2], values: [Int32(1), 2])
        // Closed handles are errors, not crashes.
        try dataset.close()
        let closed = try #require(throws: HDF5Error.self) { try dataset.read(as: Float.self) }
        #expect(closed.kind == .closed)
        #expect(closed.description == "\(url.path): /g/x: object is closed")
        // A failure inside HDF5 carries its stack, formatted "func(): desc".
        try file.close()
        let readOnly = try HDF5File.open(url)
        let denied = try #require(throws: HDF5Error.self) { try readOnly.root.createGroup("new") }
        #expect(denied.file == url.path && denied.object == "/new")
        #expect(denied.stack.first?.hasPrefix("H5Gcreate2(): ") == true)
        #expect(denied.description.hasPrefix("\(url.path): /new: cannot create group ("))
        try readOnly.close()
        let writable = try HDF5File.open(url, writable: true)
        let unsupported = try #require(throws: HDF5Error.self) {
            try writable.root.createDataset("s", type: .string(.vlenUTF8), shape: [1])
        }
        #expect(unsupported.kind == .unsupported)
    }

    @Test func noIdsStayOpen() throws {
        let url = try temporaryH5()
        do {
            let file = try HDF5File.create(url)
            let group = try file.root.createGroup("a/b")
            // Counted against what is open now (the file id, the root group and `group`), not against a fixed
            // 3: libhdf5's count of a file's ids also takes in ids that other tests' reads of damaged files
            // left pointing at a freed file structure, whenever this file's structure reuses its memory.
            let opened = try file.openObjectCount()
            #expect(opened >= 3)
            try group.writeDataset("d", shape: [2, 2], values: [Float(1), 2, 3, 4])
            try group.setAttribute("names", .strings(["x", "y"], .vlenASCII))
            try group.writeSplitStringList("big", (0..<3000).map { String(format: "%030d", $0) }, kind: .vlenASCII)
            _ = try group.children()
            _ = try group.attributeNames()
            _ = try? group.dataset("missing")
            _ = try? group.group("d")
            // Only the file id, the root group and `group` stay open: every temporary was closed.
            #expect(try file.openObjectCount() == opened)
        }
        #expect(isFullyClosed(url))
        do {
            let file = try HDF5File.open(url)
            let dataset = try file.root.dataset("a/b/d")
            let opened = try file.openObjectCount()  // file, root, dataset (as above)
            #expect(opened >= 3)
            _ = try dataset.read(as: Double.self, offset: [1, 0], count: [1, 2])
            _ = try file.root.group("a/b").readSplitStringList("big")
            _ = try file.root.group("a/b").attribute("names")
            #expect(try file.openObjectCount() == opened)
            try file.close()
            // A dataset still held keeps HDF5's file open until it is released (weak close).
            #expect(!isFullyClosed(url))
            #expect(try dataset.read(as: Float.self) == [1, 2, 3, 4])
        }
        #expect(isFullyClosed(url))
        // Failed opens leave nothing behind either.
        let bad = try temporaryH5("bad.h5")
        try Data("not hdf5".utf8).write(to: bad)
        _ = try? HDF5File.open(bad)
        #expect(isFullyClosed(bad))
    }

    @Test func concurrentReadersAndWriters() async throws {
        let source = TestPaths.fixture("hdf5/strings_and_types.h5")
        let shared = try HDF5File.open(source)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for task in 0..<8 {
                tasks.addTask {
                    // Shared read handle and a private file written from each task.
                    let kernel = try shared.root.dataset("model_weights/dense_1/dense_1/kernel:0")
                    for _ in 0..<20 {
                        #expect(try kernel.read(as: Float.self).count == 12)
                        #expect(try shared.root.stringAttribute("vlen_utf8_scalar") == "café ✓ データ")
                    }
                    let url = try temporaryH5("task\(task).h5")
                    let file = try HDF5File.create(url)
                    try file.root.writeDataset("x", shape: [3], values: [task, task + 1, task + 2])
                    #expect(try file.root.dataset("x").read(as: Int.self) == [task, task + 1, task + 2])
                }
            }
            try await tasks.waitForAll()
        }
    }

    @Test func libraryVersion() {
        #expect(HDF5Library.version.split(separator: ".").count == 3)
    }
}
