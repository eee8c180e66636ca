import Foundation
import Support
import TestSupport
import Testing

/// `neatms annotate` as a process: the URL with the token as the first stdout line, a clean end on SIGINT,
/// one error line for bad input. (The page itself: Scripts/browser/annotate_browser_test.py.)
@Suite struct AnnotateCLITests {
    let demo = TestPaths.fixture("demo")

    func arguments(labels: String) -> [String] {
        [
            "annotate", "--raw", demo.appendingPathComponent("raw").path, "--features",
            demo.appendingPathComponent("tables/mzmine_aligned.csv").path, "--format", "mzmine", "--labels", labels,
            "--no-open",
        ]
    }

    @Test func printsTheURLFirstAndEndsCleanlyOnSIGINT() throws {
        let executable = try #require(neatmsExecutable())
        let folder = try TestPaths.temporaryDirectory("annotate-cli")
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments(labels: folder.appendingPathComponent("labels.csv").path)
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try ChildProcessGate.run(process)
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let first = String(decoding: line, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
        #expect(first.wholeMatch(of: /http:\/\/127\.0\.0\.1:[0-9]+\/\?token=[0-9a-f]{32}/) != nil, "\(first)")
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
    }

    @Test func badInputIsOneErrorLine() throws {
        let missing = try runNeatms(arguments(labels: "no/such/folder/labels.csv"))
        #expect(missing.status == 1)
        #expect(missing.stderr.hasPrefix("neatms: error: no/such/folder/labels.csv: the folder "))
        #expect(missing.stdout.isEmpty)
        let model = try runNeatms(arguments(labels: "labels.csv") + ["--model", "no-such-model.h5"])
        #expect(model.status == 1)
        #expect(model.stderr == "neatms: error: no-such-model.h5: no such file\n")
        let uncertain = try runNeatms(arguments(labels: "labels.csv") + ["--order", "uncertain"])
        #expect(uncertain.status == 64)
        #expect(uncertain.stderr.contains("--order uncertain needs --model"))
    }
}
