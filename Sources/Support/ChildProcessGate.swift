import Foundation

/// Keeps child processes from inheriting files this process is opening.
///
/// A child process gets a copy of every file descriptor not marked close-on-exec at the moment it is
/// spawned. Foundation's `Process` closes the descriptors it saw when it prepared the spawn, but one opened
/// by another thread in between is inherited and lives as long as the child. That matters for libhdf5:
/// it opens files without close-on-exec and holds an advisory lock (`flock`) on them, so a child holding a
/// copy keeps a file locked after this process closed it, and the next `H5Fopen` of that file fails with
/// "Resource temporarily unavailable".
///
/// The gate closes that window from both sides:
/// - code that opens a descriptor without close-on-exec (the HDF5 layer) opens it and marks it
///   close-on-exec inside `openingDescriptors`;
/// - every child process starts through `run(_:)`, which holds the gate until the child has replaced its
///   image (glibc's `posix_spawn` returns only then), so the child drops every marked descriptor before
///   another file can be opened.
public enum ChildProcessGate {
    private static let gate = Locked(())

    /// Runs `body`, which opens descriptors and marks them close-on-exec, while no child process starts.
    public static func openingDescriptors<Result>(_ body: () throws -> Result) rethrows -> Result {
        try gate.withLock { _ in try body() }
    }

    /// Starts `process` (`Process.run()`) while no descriptor is being opened.
    public static func run(_ process: Process) throws {
        try gate.withLock { _ in try process.run() }
    }

    /// Marks `descriptor` close-on-exec; false when the descriptor is not open.
    @discardableResult
    public static func markCloseOnExec(_ descriptor: Int32) -> Bool {
        let flags = fcntl(descriptor, F_GETFD)
        guard flags >= 0 else { return false }
        return fcntl(descriptor, F_SETFD, flags | FD_CLOEXEC) == 0
    }
}
