import CHDF5

/// Owns one HDF5 id and closes it exactly once: on `close()` or in `deinit`, under the library lock.
final class HDF5Handle: @unchecked Sendable {
    /// How the id is closed (`H5Fclose`, `H5Gclose`, `H5Dclose`, ...).
    private let closer: @Sendable (hid_t) -> herr_t
    private var storedID: hid_t
    private var isOpen: Bool

    /// Takes ownership of `id` (which must be valid: callers check for a negative id first).
    init(_ id: hid_t, closer: @escaping @Sendable (hid_t) -> herr_t) {
        self.storedID = id
        self.closer = closer
        self.isOpen = true
    }

    /// The id, or nil once closed.
    var id: hid_t? {
        HDF5Library.synchronized { isOpen ? storedID : nil }
    }

    /// Closes the id. Returns false if HDF5 reported a failure; closing twice is a no-op.
    @discardableResult
    func close() -> Bool {
        HDF5Library.synchronized {
            guard isOpen else { return true }
            isOpen = false
            return closer(storedID) >= 0
        }
    }

    deinit {
        close()
    }
}

/// Runs `body` with a temporary HDF5 id (dataspace, datatype, property list, attribute...) and closes it after.
/// Fails with `error()` when `create` returns a negative id. Caller holds the lock.
func withTemporary<T>(
    _ create: () -> hid_t, close: (hid_t) -> herr_t, orThrow error: () -> HDF5Error, _ body: (hid_t) throws -> T
) throws -> T {
    let id = create()
    guard id >= 0 else { throw error() }
    defer { _ = close(id) }
    return try body(id)
}
