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

/// The guard before work: `count` elements of `elementSize` bytes each, as a file declares them, must fit in the
/// `available` bytes it has for them (× `ratio`, the compression accepted); otherwise (or past 2^63 bytes, or when
/// `alwaysRefuse`) a `.corrupt` error `declares <what> (<N> bytes) but <present>`. Datasets and attributes are
/// checked with it before anything is allocated for their values.
func checkDeclaredBytes(
    _ what: String, count: Int, of elementSize: Int, within available: Int, ratio: Int = 1, present: String,
    file: String, object: String, alwaysRefuse: Bool = false
) throws {
    let declared = count.multipliedReportingOverflow(by: elementSize)
    let (limit, limitOverflow) = available.multipliedReportingOverflow(by: ratio)
    guard alwaysRefuse || declared.overflow || (!limitOverflow && limit < declared.partialValue) else { return }
    throw HDF5Error(
        .corrupt, file: file, object: object,
        message:
            "declares \(what) (\(declared.overflow ? "more than 2^63" : "\(declared.partialValue)") bytes) but \(present)"
    )
}
