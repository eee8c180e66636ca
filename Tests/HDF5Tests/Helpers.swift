import Foundation
import HDF5
import TestSupport

/// A fresh `.h5` path in its own temporary folder (tests run in parallel).
func temporaryH5(_ name: String = "test.h5") throws -> URL {
    try TestPaths.temporaryDirectory("hdf5tests").appendingPathComponent(name)
}

/// True when HDF5 no longer has `url` open (every id of that file was closed).
func isFullyClosed(_ url: URL) -> Bool {
    HDF5Library.openIDCount(in: url) == 0
}
