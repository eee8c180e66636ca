// The HDF5 module: the only code in NeatMSKit that calls the HDF5 C library (through CHDF5).
//
//   HDF5File.open/create -> root: HDF5Group -> group(_:)/createGroup(_:)/children()/dataset(_:)/writeDataset(...)
//   HDF5Dataset: shape, elementType, read(as:)/write(_:) whole or by hyperslab (HDF5 converts types)
//   HDF5Object (groups, datasets): attribute(_:)/setAttribute(_:_:) with exact string kinds (HDF5StringKind),
//   stringAttribute/stringListAttribute for any kind, readSplitStringList/writeSplitStringList (Keras name0...)
//   HDF5Error: one line naming file and object, with HDF5's own error stack.
//
// Every C call runs under HDF5Library's reentrant lock; every id is owned by one HDF5Handle that closes it once.

import CHDF5
import Foundation
import Support

/// Process-wide state of the HDF5 C library: one reentrant lock around every C call and a one-time init.
///
/// Every call into libhdf5 in this module goes through `HDF5Library.synchronized`. The lock is reentrant
/// (`NSRecursiveLock`) because handles close themselves in `deinit`, which can run while the lock is
/// already held by the same thread (for example when a temporary group is released inside an operation).
public enum HDF5Library {
    private static let lock = NSRecursiveLock()

    /// Runs `H5open()` once (lazily, on first use), without HDF5's exit handler: libhdf5 1.10 crashes at
    /// exit (null dereference in its shutdown) when a file's close failed earlier, e.g. on a full disk;
    /// NeatMSKit closes every file it writes itself and removes the temporary file of a failed write, so
    /// there is nothing left for the handler to flush.
    private static let initialized: Bool = {
        _ = H5dont_atexit()
        return H5open() >= 0
    }()

    /// How deeply the current lock holder has nested `synchronized` calls (only touched under the lock).
    nonisolated(unsafe) private static var depth = 0

    /// Runs `body` holding the library lock, after making sure the library is initialised.
    ///
    /// On entry at the outermost level, HDF5's automatic printing of error stacks to stderr is turned off
    /// for the calling thread: failures are reported through `HDF5Error`, which carries the stack instead.
    /// (A thread-safe libhdf5, such as Debian's, keeps that setting per thread, so once at init is not
    /// enough; nested calls skip it because any HDF5 API call clears the pending error stack.)
    static func synchronized<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        _ = initialized
        if depth == 0 { _ = H5Eset_auto2(hid_t(neatms_h5e_default()), nil, nil) }
        depth += 1
        defer { depth -= 1 }
        return try body()
    }

    /// Runs before every `HDF5File.open`, outside the lock; what it throws, `open` throws. `neatms` sets it to
    /// read the file through in a child process first (containing libhdf5 crashes on files from others);
    /// nil (the default) opens directly.
    public typealias OpenCheck = @Sendable (URL) throws -> Void
    private static let openCheckStorage = Locked<OpenCheck?>(nil)

    /// The check run before every open (nil: none).
    public static var openCheck: OpenCheck? {
        get { openCheckStorage.current }
        set { openCheckStorage.withLock { $0 = newValue } }
    }

    /// The HDF5 library version, e.g. "1.10.8".
    public static var version: String {
        synchronized {
            var major: UInt32 = 0
            var minor: UInt32 = 0
            var release: UInt32 = 0
            _ = H5get_libversion(&major, &minor, &release)
            return "\(major).\(minor).\(release)"
        }
    }
}
