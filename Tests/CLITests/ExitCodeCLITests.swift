import Dispatch
import Foundation
import Support
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The exit codes README documents: 0 success, 64 a usage error (nothing read), 1 any error in the input,
/// the output or the work (one `neatms: error:` line), and death by a signal the process does not handle
/// (the shell's 128 + N), which leaves any earlier output intact.
@Suite struct ExitCodeCLITests {
    @Test func successUsageAndErrors() throws {
        let dir = try TestPaths.temporaryDirectory("cli-exit-codes")
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = TestPaths.fixture("neatms_default_model.h5").path
        try Data("not HDF5".utf8).write(to: dir.appendingPathComponent("bad.h5"))
        let cases: [(arguments: [String], status: Int32)] = [
            (["--version"], 0),
            (["--help"], 0),
            (["summary", model], 0),
            (["no-such-command"], 64),
            (["summary", model, "--no-such-option"], 64),
            (["summary"], 64),
            (["train", "--data", "bad.h5", "--epochs", "many", "-o", "out.h5"], 64),
            (["summary", "missing.h5"], 1),
            (["summary", "bad.h5"], 1),
            (["convert", model, "no/such/folder/out.h5"], 1),
            (["summary", TestPaths.fixture("hostile/chunk_dim_overflow.h5").path], 1),
        ]
        for (arguments, status) in cases {
            let result = try runNeatms(arguments, in: dir)
            #expect(result.signal == nil && result.status == status, "\(arguments): \(result.status) \(result.stderr)")
            let errors = result.stderr.split(separator: "\n").filter { $0.hasPrefix("neatms: error: ") }
            // Errors (1) are exactly one line; usage errors come from swift-argument-parser with the usage.
            if status == 1 { #expect(errors.count == 1 && result.stderr.split(separator: "\n").count == 1) }
            if status == 0 { #expect(errors.isEmpty) }
            if status == 64 { #expect(result.stderr.hasPrefix("Error: "), "\(arguments): \(result.stderr)") }
        }
    }

    @Test func aSignalEndsTheRunAndKeepsTheEarlierOutput() throws {
        let dir = try TestPaths.temporaryDirectory("cli-exit-signal")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (peaks, _) = try TrainCLI().makePeaks(dir)
        let out = dir.appendingPathComponent("out.h5")
        let earlier = Data("an earlier model".utf8)
        try earlier.write(to: out)
        let process = Process()
        process.executableURL = try #require(neatmsExecutable())
        process.arguments = ["train", "--data", peaks.path, "--epochs", "100000", "-o", out.path]
        let err = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = err
        try ChildProcessGate.run(process)
        // Wait for the first epoch line (training has started), then keep draining stderr.
        var text = ""
        while !text.contains("Epoch 1/") {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        DispatchQueue.global().async { _ = err.fileHandleForReading.readDataToEndOfFile() }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            Issue.record("neatms train did not end on SIGTERM")
        }
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGTERM, "\(text)")
        #expect(try Data(contentsOf: out) == earlier)
    }
}
