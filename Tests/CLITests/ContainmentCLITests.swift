import Foundation
import Support
import TestSupport
import Testing

/// libhdf5 crashes are contained: `Fixtures/hostile/chunk_dim_overflow.h5` passes every check NeatMSKit makes
/// on open and crashes libhdf5 1.10 itself when its data is read — a plain C `H5Fopen`/`H5Dread` program dies
/// of a signal, and so does NeatMSKit's own reading in one process (`neatms _read-hdf5`). Every command that
/// meets it must instead print one error line naming the file, exit 1, and leave its outputs as they were.
@Suite struct ContainmentCLITests {
    static let crasher = TestPaths.fixture("hostile/chunk_dim_overflow.h5")

    /// Runs `executable` and returns (exit status, signal or nil).
    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, signal: Int32?) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.environment = ProcessInfo.processInfo.environment.merging(["SWIFT_BACKTRACE": "enable=no"]) { $1 }
        try ChildProcessGate.run(process)
        process.waitUntilExit()
        let signalled = process.terminationReason == .uncaughtSignal
        return (process.terminationStatus, signalled ? process.terminationStatus : nil)
    }

    /// The plain C reader (Scripts/fixtures/h5_read_probe.c) built with cc against the system libhdf5.
    static func plainReader(in dir: URL) throws -> String? {
        let source = TestPaths.packageRoot.appendingPathComponent("Scripts/fixtures/h5_read_probe.c").path
        let output = dir.appendingPathComponent("probe").path
        let command = "cc -o '\(output)' '\(source)' $(pkg-config --cflags --libs hdf5)"
        guard let built = try? run("/bin/sh", ["-c", command]), built.status == 0, built.signal == nil else {
            return nil
        }
        return output
    }

    @Test func aPlainProgramAndAnInProcessReadCrash() throws {
        let dir = try TestPaths.temporaryDirectory("containment-plain")
        defer { try? FileManager.default.removeItem(at: dir) }
        let probe = try #require(
            try Self.plainReader(in: dir), "cc and libhdf5-dev (pkg-config hdf5) are needed to build the plain reader")
        // The plain reader reads a sound file of the same shape …
        let sound = TestPaths.fixture("neatms/profile/neatms_reference_matrices.h5").path
        let good = try Self.run(probe, [sound])
        #expect(good.status == 0 && good.signal == nil)
        // … and dies on the crafted one, as does NeatMSKit's own reading when it runs in one process.
        let plain = try Self.run(probe, [Self.crasher.path])
        #expect(plain.signal != nil, "a plain H5Fopen/H5Dread program no longer crashes: status \(plain.status)")
        let inProcess = try runNeatms(["_read-hdf5", Self.crasher.path], environment: ["SWIFT_BACKTRACE": "enable=no"])
        #expect(inProcess.signal != nil, "NeatMSKit's in-process read no longer crashes: \(inProcess.stderr)")
        // The child reads sound files through (exit 0).
        let soundRead = try runNeatms(["_read-hdf5", sound])
        #expect(soundRead.status == 0 && soundRead.signal == nil, "\(soundRead.stderr)")
        #expect(soundRead.stdout.contains("0 refused"), "\(soundRead.stdout)")
    }

    @Test func everyCommandGivesOneLineAndKeepsItsOutputs() throws {
        let dir = try TestPaths.temporaryDirectory("containment-cli")
        defer { try? FileManager.default.removeItem(at: dir) }
        let fileManager = FileManager.default
        try fileManager.copyItem(at: Self.crasher, to: dir.appendingPathComponent("peaks.h5"))
        try fileManager.copyItem(at: Self.crasher, to: dir.appendingPathComponent("model.h5"))
        let earlier = Data("an earlier result".utf8)
        for name in ["out.h5", "out.csv", "roc.svg"] { try earlier.write(to: dir.appendingPathComponent(name)) }
        let before = Set(try fileManager.contentsOfDirectory(atPath: dir.path))
        let model = TestPaths.fixture("neatms_default_model.h5").path
        let cases: [(arguments: [String], file: String)] = [
            (["train", "--data", "peaks.h5", "--epochs", "1", "-o", "out.h5"], "peaks.h5"),
            (
                ["threshold", "--model", model, "--data", "peaks.h5", "--csv", "out.csv", "--svg", "roc.svg"],
                "peaks.h5"
            ),
            (["predict", "--model", model, "--matrices", "peaks.h5", "-o", "out.csv"], "peaks.h5"),
            (["convert", "model.h5", "out.h5", "--force"], "model.h5"),
            (["inspect", "model.h5"], "model.h5"),
            (["summary", "model.h5"], "model.h5"),
        ]
        for (arguments, file) in cases {
            let result = try runNeatms(arguments, in: dir)
            #expect(result.signal == nil && result.status == 1, "\(arguments): \(result.status) \(result.stderr)")
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(arguments): \(result.stderr)")
            let prefix = "neatms: error: \(file): libhdf5 crashed reading this file (signal "
            #expect(lines.first?.hasPrefix(prefix) == true, "\(arguments): \(result.stderr)")
            for name in ["out.h5", "out.csv", "roc.svg"] {
                #expect(try Data(contentsOf: dir.appendingPathComponent(name)) == earlier, "\(arguments): \(name)")
            }
            #expect(Set(try fileManager.contentsOfDirectory(atPath: dir.path)) == before, "\(arguments)")
        }
    }

    /// A file on which libhdf5 loops forever (found by fuzzing: `H5Aread` of a variable-length string spins in
    /// `H5HG_read`): the child is killed after its time limit and the command stops with one line, exit 1.
    @Test func aChildThatHangsInLibhdf5IsKilled() throws {
        let dir = try TestPaths.temporaryDirectory("containment-hang")
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = TestPaths.fixture("fuzz/libhdf5/keras-h5_hang_H5HG_read.h5.gz")
        let hanging = dir.appendingPathComponent("hang.h5")
        let unpack = try Self.run("/bin/sh", ["-c", "gzip -dc '\(input.path)' > '\(hanging.path)'"])
        #expect(unpack.status == 0)
        let r = try runNeatms(
            ["summary", "hang.h5"], in: dir, environment: ["NEATMSKIT_HDF5_READ_TIMEOUT": "5"])
        #expect(r.status == 1)
        #expect(
            r.stderr
                == "neatms: error: hang.h5: libhdf5 did not finish reading this file in 5 s (in the child process that reads HDF5 files first): the file is damaged or crafted\n"
        )
    }

    /// A file read through once is recorded per user and not read again by later commands while unchanged; the
    /// record never vouches for other bytes at the same path.
    @Test func aRecordedFileThatChangesIsReadThroughAgain() throws {
        let dir = try TestPaths.temporaryDirectory("containment-record")
        defer { try? FileManager.default.removeItem(at: dir) }
        let environment = ["XDG_CACHE_HOME": dir.appendingPathComponent("cache").path]
        let records = dir.appendingPathComponent("cache/neatmskit/hdf5-read-through")
        try FileManager.default.copyItem(
            at: TestPaths.fixture("keras/reduced_tfkeras2_full.h5"), to: dir.appendingPathComponent("m.h5"))
        #expect(try runNeatms(["summary", "m.h5"], in: dir, environment: environment).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: records.path).count == 1)
        #expect(try runNeatms(["summary", "m.h5"], in: dir, environment: environment).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: records.path).count == 1)
        // The same path, now the crafted file (same inode, other size and times).
        let crafted = try Data(contentsOf: Self.crasher)
        let handle = try FileHandle(forWritingTo: dir.appendingPathComponent("m.h5"))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: crafted)
        try handle.close()
        let r = try runNeatms(["summary", "m.h5"], in: dir, environment: environment)
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("neatms: error: m.h5: libhdf5 crashed reading this file (signal"), "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: records.path).count == 1)
    }
}
