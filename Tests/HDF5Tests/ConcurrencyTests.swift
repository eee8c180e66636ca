import Dispatch
import Foundation
import HDF5
import Support
import TestSupport
import Testing

/// Many threads of one process reading and writing HDF5 files at once through this layer (whose lock
/// serialises every libhdf5 call): files of their own, files other threads finished, one file they all read
/// and one file they all write into. Every value read back is checked.
@Suite struct ConcurrencyTests {
    static let threads = 8
    static let rounds = 12
    static let count = 4096

    /// The values thread `thread` writes in round `round`: distinct for every (thread, round, index).
    static func values(_ thread: Int, _ round: Int) -> [Int64] {
        (0..<count).map { Int64(thread) * 1_000_000_000 + Int64(round) * 1_000_000 + Int64($0) }
    }

    static func floats(_ thread: Int, _ round: Int) -> [Float] {
        (0..<count).map { Float(thread * 100 + round) + Float($0) / 4096 }
    }

    /// Writes one file: an int64 dataset, a float32 dataset in a group, and string and number attributes.
    static func write(_ url: URL, thread: Int, round: Int) throws {
        let file = try HDF5File.create(url)
        try file.root.writeDataset("ints", shape: [count / 64, 64], values: values(thread, round))
        let group = try file.root.createGroup("g/h")
        try group.writeDataset("floats", shape: [count], values: floats(thread, round))
        try group.setAttribute("who", .strings(["thread \(thread)", "round \(round)"], .vlenUTF8))
        try file.root.setAttribute("seed", .float64(Double(thread) + Double(round) / 100))
        try file.close()
    }

    /// Reads a file `write` made and returns what differs from what was written ("" when all agrees).
    static func check(_ url: URL, thread: Int, round: Int) throws -> String {
        let file = try HDF5File.open(url)
        defer { try? file.close() }
        var problems: [String] = []
        if try file.root.dataset("ints").read(as: Int64.self) != values(thread, round) { problems.append("ints") }
        let part = try file.root.dataset("ints").read(as: Int64.self, offset: [3, 8], count: [2, 16])
        let expectedPart = (0..<2).flatMap { row in (0..<16).map { values(thread, round)[(3 + row) * 64 + 8 + $0] } }
        if part != expectedPart { problems.append("ints hyperslab") }
        let group = try file.root.group("g/h")
        if try group.dataset("floats").read(as: Float.self) != floats(thread, round) { problems.append("floats") }
        if try group.stringListAttribute("who") != ["thread \(thread)", "round \(round)"] { problems.append("who") }
        if try file.root.attribute("seed") != .float64(Double(thread) + Double(round) / 100) { problems.append("seed") }
        return problems.isEmpty ? "" : "\(url.lastPathComponent): \(problems.joined(separator: ", ")) differ"
    }

    /// A child process must not inherit the descriptor of an open HDF5 file: libhdf5 holds a lock on it, and
    /// a child keeping a copy keeps the file locked after this process closed it (the next open then fails
    /// with "Resource temporarily unavailable"). The child here is started by a bare `posix_spawn`, which
    /// closes nothing itself, so only close-on-exec keeps the file out of it.
    @Test func childProcessesDoNotInheritOpenFiles() throws {
        let dir = try TestPaths.temporaryDirectory("hdf5-cloexec")
        defer { try? FileManager.default.removeItem(at: dir) }
        let written = dir.appendingPathComponent("written.h5")
        let read = dir.appendingPathComponent("read.h5")
        try Self.write(read, thread: 1, round: 1)
        let listing = dir.appendingPathComponent("child-descriptors.txt")
        let writing = try HDF5File.create(written)
        let reading = try HDF5File.open(read)
        defer {
            try? writing.close()
            try? reading.close()
        }
        let script = "ls -l /proc/$$/fd > '\(listing.path)'"
        let words: [String] = ["/bin/sh", "-c", script]
        let arguments: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { arguments.forEach { free($0) } }
        var pid: pid_t = 0
        #expect(posix_spawn(&pid, "/bin/sh", nil, nil, arguments, environ) == 0)
        var status: Int32 = 0
        #expect(waitpid(pid, &status, 0) == pid)
        let descriptors = try String(contentsOf: listing, encoding: .utf8)
        #expect(descriptors.contains(" -> "), "the child listed its descriptors: \(descriptors)")
        #expect(!descriptors.contains("written.h5"), "\(descriptors)")
        #expect(!descriptors.contains("read.h5"), "\(descriptors)")
    }

    @Test func threadsReadAndWriteFilesAtOnce() throws {
        let dir = try TestPaths.temporaryDirectory("hdf5-concurrency")
        defer { try? FileManager.default.removeItem(at: dir) }
        let shared = dir.appendingPathComponent("shared.h5")
        try Self.write(shared, thread: 99, round: 99)
        // One file every thread writes datasets into, each its own.
        let common = dir.appendingPathComponent("common.h5")
        try HDF5File.create(common).close()

        let finished = Locked<[(url: URL, thread: Int, round: Int)]>([])
        let failures = Locked<[String]>([])
        // Child processes start all the while (as in a test run, where other suites run the CLI): none may
        // take a file, and its lock, with it.
        let spawning = Locked(true)
        let spawner = Thread {
            while spawning.current {
                let child = Process()
                child.executableURL = URL(fileURLWithPath: "/bin/sleep")
                child.arguments = ["0.05"]
                do {
                    try ChildProcessGate.run(child)
                } catch {
                    failures.withLock { $0.append("cannot start /bin/sleep: \(error)") }
                    return
                }
            }
        }
        spawner.start()
        defer { spawning.withLock { $0 = false } }
        DispatchQueue.concurrentPerform(iterations: Self.threads) { thread in
            func fail(_ text: String) { failures.withLock { $0.append("thread \(thread): \(text)") } }
            var generator = SystemRandomNumberGenerator()
            for round in 0..<Self.rounds {
                do {
                    let own = dir.appendingPathComponent("t\(thread)-r\(round).h5")
                    try Self.write(own, thread: thread, round: round)
                    let problem = try Self.check(own, thread: thread, round: round)
                    if !problem.isEmpty { fail(problem) }
                    finished.withLock { $0.append((own, thread, round)) }

                    let sharedProblem = try Self.check(shared, thread: 99, round: 99)
                    if !sharedProblem.isEmpty { fail(sharedProblem) }
                    if let other = finished.withLock({ $0.randomElement(using: &generator) }) {
                        let otherProblem = try Self.check(other.url, thread: other.thread, round: other.round)
                        if !otherProblem.isEmpty { fail(otherProblem) }
                    }

                    let file = try HDF5File.open(common, writable: true)
                    let name = "t\(thread)/r\(round)"
                    try file.root.createGroup("t\(thread)")
                    try file.root.writeDataset(name, shape: [Self.count], values: Self.values(thread, round))
                    if try file.root.dataset(name).read(as: Int64.self) != Self.values(thread, round) {
                        fail("common.h5: \(name) differs right after writing")
                    }
                    try file.close()
                } catch {
                    fail("round \(round): \(error)")
                }
            }
        }
        spawning.withLock { $0 = false }
        #expect(failures.current.isEmpty, "\(failures.current.prefix(5))")
        #expect(finished.current.count == Self.threads * Self.rounds)
        // Every thread's datasets in the common file, each with its own values.
        let file = try HDF5File.open(common)
        defer { try? file.close() }
        for thread in 0..<Self.threads {
            #expect(try file.root.group("t\(thread)").children().count == Self.rounds)
            for round in 0..<Self.rounds {
                let values = try file.root.dataset("t\(thread)/r\(round)").read(as: Int64.self)
                #expect(values == Self.values(thread, round), "t\(thread)/r\(round)")
            }
        }
        #expect(isFullyClosed(shared))
    }
}
