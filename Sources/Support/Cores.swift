import CSupport
import Foundation

/// How many cores this process may run on.
public enum Cores {
    /// The cores in the process's CPU affinity mask where the platform has one (Linux: what `taskset` or
    /// a container's cpuset allows), else the active processor count. `ProcessInfo.activeProcessorCount`
    /// counts every online core even when the process is pinned to fewer, and work split for more cores
    /// than the process may use only takes turns on the ones it has.
    public static let available: Int = {
        let allowed = Int(nmk_available_cpus())
        return allowed > 0 ? allowed : max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()
}
