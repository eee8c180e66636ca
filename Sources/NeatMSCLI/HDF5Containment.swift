import ArgumentParser
import Crypto
import Foundation
import HDF5
import ModelStore
import Support

/// Contains libhdf5 crashes: before this process opens an HDF5 file, a child `neatms _read-hdf5 FILE` opens it
/// and makes every libhdf5 call the readers can make (`HDF5ReadThrough`). A file that crashes libhdf5 kills
/// only the child; the command then stops with one error line (`FILE: libhdf5 crashed reading this file
/// (signal 11, SIGSEGV) …`), exit status 1, before it has written anything; a child that hangs in libhdf5 is
/// killed after a minute (plus a second per 10 MB of file). docs/SECURITY.md gives the reasons and the cost.
enum HDF5Containment {
    /// Installs the check for every `HDF5File.open` of this process (not in the child itself).
    static func install() {
        HDF5Library.openCheck = { url in try check(url) }
    }

    /// Files already read through by a child, by identity and version: a file opened again (annotate's
    /// views, a checkpoint, a model loaded twice) costs one child process until it changes.
    private static let passed = Locked<Set<FileVersion>>([])

    private struct FileVersion: Hashable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modified: Int64  // nanoseconds
        var changed: Int64

        init?(_ path: String) {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
            size = Int64(info.st_size)
            #if os(Linux)
                modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
                changed = Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec)
            #else
                modified = Int64(info.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(info.st_mtimespec.tv_nsec)
                changed = Int64(info.st_ctimespec.tv_sec) * 1_000_000_000 + Int64(info.st_ctimespec.tv_nsec)
            #endif
        }
    }

    /// Reads `url` through in a child process; throws `.libraryCrashed` when the child dies of a signal.
    static func check(_ url: URL) throws {
        let version = FileVersion(url.path)
        if let version, passed.withLock({ $0.contains(version) }) { return }
        let marker = readThroughMarker(url)
        if let marker, FileManager.default.fileExists(atPath: marker.path) {
            if let version { passed.withLock { _ = $0.insert(version) } }
            return
        }
        guard let executable = executableURL() else {
            throw HDF5Error(
                .library, file: url.relativePath,
                message: "cannot find the neatms executable to read this file in a child process")
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = [ReadHDF5Command.name, "--", url.path]
        var environment = ProcessInfo.processInfo.environment
        // A crash is expected here: no backtrace (the Swift runtime's takes seconds), no BLAS thread pool.
        environment["SWIFT_BACKTRACE"] = "enable=no"
        environment["OPENBLAS_NUM_THREADS"] = "1"
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        do {
            try ChildProcessGate.run(process)
        } catch {
            throw HDF5Error(
                .library, file: url.relativePath,
                message: "cannot start the child process that reads this file first (\(error.localizedDescription))")
        }
        // libhdf5 can also loop forever on a crafted file (fuzzing found one in H5HG_read): a child that has
        // not finished in a minute plus a second per 10 MB (or NEATMSKIT_HDF5_READ_TIMEOUT seconds) is killed.
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        let limit =
            ProcessInfo.processInfo.environment["NEATMSKIT_HDF5_READ_TIMEOUT"].flatMap { Int($0) }
            ?? 60 + size / 10_000_000
        if finished.wait(timeout: .now() + .seconds(limit)) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw HDF5Error(
                .libraryCrashed, file: url.relativePath,
                message:
                    "libhdf5 did not finish reading this file in \(limit) s (in the child process that reads HDF5 files "
                    + "first): the file is damaged or crafted")
        }
        process.waitUntilExit()
        if process.terminationReason == .uncaughtSignal {
            let signal = process.terminationStatus
            throw HDF5Error(
                .libraryCrashed, file: url.relativePath,
                message:
                    "libhdf5 crashed reading this file (signal \(signal)\(signalName(signal).map { ", " + $0 } ?? ""),"
                    + " in the child process that reads HDF5 files first): the file is damaged or crafted")
        }
        // A group or an object's attributes the child could not list: what is below was not gone through, but
        // libhdf5 may still find it by name (a fuzzed matrices file's `profile-/X` crashed H5Dread that way).
        if process.terminationStatus == ReadHDF5Command.notGoneThrough {
            throw HDF5Error(
                .corrupt, file: url.relativePath,
                message:
                    "libhdf5 cannot list every group and attribute of this file, so not all of it could be read "
                    + "through first (in the child process that reads HDF5 files first): the file is damaged or crafted"
            )
        }
        // Exit 0 (read through) or 1 (refused or unreadable: this process's own open reports why).
        if process.terminationStatus == 0, let version {
            passed.withLock { _ = $0.insert(version) }
            if let marker {
                try? FileManager.default.createDirectory(
                    at: marker.deletingLastPathComponent(), withIntermediateDirectories: true)
                FileManager.default.createFile(atPath: marker.path, contents: nil)
            }
        }
    }

    /// The per-user record that this version of `neatms` read these bytes through without harm: an empty file
    /// named by neatms's version and the SHA-256 of the file's content, in
    /// `$XDG_CACHE_HOME/neatmskit/hdf5-read-through` (else `~/.cache/…`). The same bytes opened by a later
    /// command, also under another name (a `.keras` archive's weights, extracted to a new temporary file each
    /// time), cost no child process; other bytes never match a record. nil (no record kept) with
    /// `NEATMSKIT_HDF5_READ_CACHE=off`, without a cache folder, or when the file cannot be read.
    private static func readThroughMarker(_ url: URL) -> URL? {
        let environment = ProcessInfo.processInfo.environment
        if environment["NEATMSKIT_HDF5_READ_CACHE"] == "off" { return nil }
        guard let base = ModelCache.userCacheFolder(environment: environment) else { return nil }
        guard let handle = FileHandle(forReadingAtPath: url.path) else { return nil }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let block = try? handle.read(upToCount: 1 << 20), !block.isEmpty { hasher.update(data: block) }
        let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        return base.appendingPathComponent("hdf5-read-through", isDirectory: true)
            .appendingPathComponent("\(neatmsVersion)-\(digest)")
    }

    /// This executable: the child is `neatms` itself.
    private static func executableURL() -> URL? {
        #if os(Linux)
            if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
                return URL(fileURLWithPath: path)
            }
        #endif
        return Bundle.main.executableURL
    }

    static func signalName(_ signal: Int32) -> String? {
        switch signal {
        case SIGSEGV: return "SIGSEGV"
        case SIGBUS: return "SIGBUS"
        case SIGFPE: return "SIGFPE"
        case SIGILL: return "SIGILL"
        case SIGABRT: return "SIGABRT"
        case SIGTRAP: return "SIGTRAP"
        case SIGKILL: return "SIGKILL"
        default: return nil
        }
    }
}

/// `neatms _read-hdf5 FILE…` (hidden): the child of `HDF5Containment`. Reads each file through; exit 0 when it
/// could, 1 with the error line when a file cannot be opened at all, 2 (`notGoneThrough`) when a group's links
/// or an object's attributes could not be listed (the objects below were not read); a crash in libhdf5 ends it
/// by a signal.
struct ReadHDF5Command: ParsableCommand {
    static let name = "_read-hdf5"
    static let notGoneThrough: Int32 = 2
    static let configuration = CommandConfiguration(
        commandName: name, abstract: "Read HDF5 files through (the child process that contains libhdf5 crashes).",
        shouldDisplay: false)

    @Argument(help: "HDF5 files.")
    var files: [String]

    func run() throws {
        try Diagnostics.reportingErrors {
            for file in files {
                let summary = try HDF5ReadThrough.run(URL(fileURLWithPath: file))
                printResult(
                    "\(file): \(summary.groups) groups, \(summary.datasets) datasets, \(summary.attributes) attributes, "
                        + "\(summary.elements) elements read, \(summary.refused) refused\n")
                if let first = summary.unlisted.first {
                    printResult("\(file): \(first): cannot list its links or attributes: not read through\n")
                    throw ExitCode(Self.notGoneThrough)
                }
            }
        }
    }
}
