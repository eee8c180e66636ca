import Foundation
import Support
import Testing

@Suite struct CoresTests {
    /// The affinity count equals what the kernel reports in /proc/self/status (`Cpus_allowed_list`,
    /// e.g. `0-1` or `0,2-3`), an independent reading of the same mask.
    @Test func affinityCountMatchesProcStatus() throws {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return }
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") })
        let list = line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)
        var count = 0
        for part in list.split(separator: ",") {
            let bounds = part.split(separator: "-").compactMap { Int($0) }
            count += bounds.count == 2 ? bounds[1] - bounds[0] + 1 : 1
        }
        #expect(Cores.available == count)
    }
}

@Suite struct LockedTests {
    /// 8 threads × 10,000 increments: no update is lost.
    @Test func concurrentIncrementsAreNotLost() {
        let counter = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<10_000 { counter.withLock { $0 += 1 } }
        }
        #expect(counter.current == 80_000)
    }

    @Test func withLockReturnsTheBodysResultAndRethrows() throws {
        struct Refused: Error {}
        let names = Locked(["a"])
        let count = names.withLock { names -> Int in
            names.append("b")
            return names.count
        }
        #expect(count == 2)
        #expect(throws: Refused.self) { try names.withLock { _ in throw Refused() } }
        #expect(names.current == ["a", "b"])
    }
}
