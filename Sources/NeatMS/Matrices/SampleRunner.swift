import Foundation
import Support

/// Runs per-sample work over the samples of a table, in parallel across cores with bounded memory: at
/// most `concurrency` samples' scans are in memory at once, and each result is handed to `consume` (called
/// serially, in completion order) before the worker moves on.
public enum SampleRunner {
    /// Calls `work` for every sample index in `samples` on up to `concurrency` threads and passes each
    /// result to `consume` under a lock. Stops starting new samples after the first error, which is
    /// rethrown.
    public static func run<Result: Sendable>(
        samples: [Int], concurrency: Int = Cores.available,
        work: @Sendable (Int) throws -> Result,
        consume: @Sendable (Int, Result) throws -> Void
    ) throws {
        // The next sample to start and the first error; `consume` runs under a lock of its own, so that
        // workers can take their next sample while one result is being consumed.
        let state = Locked<(next: Int, error: (any Error)?)>((0, nil))
        let consuming = Locked(())
        let workers = max(1, min(concurrency, samples.count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let next = state.withLock({ state -> Int? in
                guard state.error == nil, state.next < samples.count else { return nil }
                state.next += 1
                return state.next - 1
            }) {
                let sample = samples[next]
                do {
                    let result = try work(sample)
                    try consuming.withLock { _ in try consume(sample, result) }
                } catch {
                    state.withLock { if $0.error == nil { $0.error = error } }
                }
            }
        }
        if let error = state.current.error { throw error }
    }
}
