import Foundation
import HDF5
import TestSupport

/// A fresh `.h5` path in its own temporary folder (tests run in parallel).
func temporaryH5(_ name: String = "test.h5") throws -> URL {
    try TestPaths.temporaryDirectory("hdf5tests").appendingPathComponent(name)
}

/// True when this process no longer has `url` open. libhdf5 keeps a file's descriptor until the last id in
/// that file (the file's own, a group, dataset, attribute or named type) is closed, so no descriptor naming the
/// file means no id of it leaked. (Asking libhdf5 itself over every id of the process, `H5Fget_name` or
/// `H5Fget_obj_count`, crashed now and then in full test runs and counted ids of other files as this file's.)
func isFullyClosed(_ url: URL) -> Bool {
    let target = url.standardizedFileURL.resolvingSymlinksInPath().path
    return !openDescriptorPaths().contains(target)
}

/// The paths of the files this process has open, one per descriptor.
func openDescriptorPaths() -> Set<String> {
    #if os(Linux)
        let folder = "/proc/self/fd"
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return Set(
            descriptors.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "\(folder)/\($0)") })
    #else
        var paths = Set<String>()
        var buffer = [CChar](repeating: 0, count: Int(MAXPATHLEN))
        for descriptor in 0..<getdtablesize() where fcntl(descriptor, F_GETPATH, &buffer) != -1 {
            paths.insert(String(cString: buffer))
        }
        return paths
    #endif
}
