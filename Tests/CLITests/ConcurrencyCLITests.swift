import Dispatch
import Foundation
import KerasFormat
import Support
import TestSupport
import Testing

/// Several `neatms` processes at once reading the same model file, writing different files, writing the same
/// file, and reading a file while others replace it: every process succeeds and every file written holds
/// exactly the source's weights (writers replace a file in one rename, so a reader sees a whole file).
@Suite struct ConcurrencyCLITests {
    /// Every weight as bit patterns.
    static func bits(_ url: URL) throws -> [[[UInt32]]] {
        try KerasModelFile.read(url).weights.map { $0.map { $0.scalars.map(\.bitPattern) } }
    }

    /// Runs every argument list as its own `neatms` process, all at once; returns the results in order.
    static func runAll(_ commands: [[String]], in dir: URL) -> [Result<CommandResult, any Error>] {
        let results = Locked<[Int: Result<CommandResult, any Error>]>([:])
        DispatchQueue.concurrentPerform(iterations: commands.count) { index in
            let result = Result { try runNeatms(commands[index], in: dir) }
            results.withLock { $0[index] = result }
        }
        return (0..<commands.count).map { results.current[$0]! }
    }

    @Test func processesReadAndWriteTheSameAndDifferentFiles() throws {
        let dir = try TestPaths.temporaryDirectory("cli-concurrency")
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = dir.appendingPathComponent("source.h5")
        try FileManager.default.copyItem(at: TestPaths.fixture("keras/reduced_sequential.h5"), to: source)
        let expected = try Self.bits(source)

        // Wave 1: one input read by every process; different outputs; three writers of one output.
        var first: [[String]] = []
        for index in 0..<4 { first.append(["convert", "source.h5", "out-\(index).h5"]) }
        for index in 0..<2 { first.append(["convert", "source.h5", "out-\(index).keras"]) }
        for _ in 0..<3 { first.append(["convert", "source.h5", "same.h5", "--force"]) }
        for _ in 0..<2 { first.append(["summary", "source.h5"]) }
        for (command, result) in zip(first, Self.runAll(first, in: dir)) {
            let outcome = try result.get()
            #expect(outcome.status == 0 && outcome.signal == nil, "\(command): \(outcome.stderr)")
        }
        let written = (0..<4).map { "out-\($0).h5" } + (0..<2).map { "out-\($0).keras" } + ["same.h5"]
        for name in written {
            #expect(try Self.bits(dir.appendingPathComponent(name)) == expected, "\(name)")
        }

        // Wave 2: readers of same.h5 while writers replace it.
        var second: [[String]] = []
        for index in 0..<4 { second.append(["convert", "same.h5", "back-\(index).h5"]) }
        for _ in 0..<4 { second.append(["convert", "source.h5", "same.h5", "--force"]) }
        for (command, result) in zip(second, Self.runAll(second, in: dir)) {
            let outcome = try result.get()
            #expect(outcome.status == 0 && outcome.signal == nil, "\(command): \(outcome.stderr)")
        }
        for name in (0..<4).map({ "back-\($0).h5" }) + ["same.h5"] {
            #expect(try Self.bits(dir.appendingPathComponent(name)) == expected, "\(name)")
        }
        // No temporary file is left behind.
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") }
        #expect(left.isEmpty, "\(left)")
    }
}
