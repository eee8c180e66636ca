import Foundation
import Support
import TestSupport

/// The result of running the built `neatms` binary.
struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
    /// The signal that ended the process, if one did (`status` is then the signal number).
    var signal: Int32? = nil
}

/// The `neatms` executable in the build products folder (next to the test bundle).
func neatmsExecutable() -> URL? {
    var candidates: [URL] = []
    let bundle = Bundle.main.bundleURL
    candidates.append(bundle.deletingLastPathComponent().appendingPathComponent("neatms"))
    candidates.append(bundle.appendingPathComponent("neatms"))
    if let argument = CommandLine.arguments.first {
        candidates.append(URL(fileURLWithPath: argument).deletingLastPathComponent().appendingPathComponent("neatms"))
    }
    for configuration in ["debug", "release"] {
        candidates.append(TestPaths.packageRoot.appendingPathComponent(".build/\(configuration)/neatms"))
    }
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
}

/// Runs `neatms` with `arguments` in `directory` (with `environment` added to this process's) and collects its output.
func runNeatms(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:]) throws
    -> CommandResult
{
    guard let executable = neatmsExecutable() else {
        throw CocoaError(
            .fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "neatms binary not found next to the tests"])
    }
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try ChildProcessGate.run(process)
    // Read both pipes to the end before waiting (large outputs would otherwise block the child).
    let group = DispatchGroup()
    nonisolated(unsafe) var errData = Data()
    group.enter()
    DispatchQueue.global().async {
        errData = err.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return CommandResult(
        status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData, as: UTF8.self),
        signal: process.terminationReason == .uncaughtSignal ? process.terminationStatus : nil)
}

func fixturePath(_ name: String) -> String { TestPaths.fixture("keras/\(name)").path }
