import Foundation

/// A value that several threads share, reached only inside `withLock`, under one lock.
///
/// The project's one lock type: use it wherever state is shared between threads, instead of a class with
/// its own `NSLock` and `@unchecked Sendable`. (The Synchronization module's `Mutex` needs macOS 15; the
/// package supports macOS 13.) Waiting for a condition (a producer/consumer queue) needs `NSCondition`
/// and stays with the type that waits.
public final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) {
        self.value = value
    }

    /// Runs `body` with exclusive access to the value and returns its result.
    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }

    /// A copy of the value at this moment.
    public var current: Value { withLock { $0 } }
}
